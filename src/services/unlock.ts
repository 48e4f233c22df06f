/** `rack unlock`: who holds a rack's lock, and breaking a stale one, recorded in the history. */
import type { Context } from '../context.js';
import { breakLock, describeHolder, readLock, staleReason, type LockHolder } from '../state/locks.js';
import { resolveRack } from '../state/registry.js';
import { recordEntry } from './journal.js';
import { lockTarget } from './operation.js';

export interface LockView {
  rack: string;
  holder?: LockHolder;
  description?: string;
  stale?: string;
}

export async function showLock(ctx: Context, name: string | undefined): Promise<LockView> {
  const rack = await resolveRack(ctx.state, name);
  const lock = await readLock(ctx.state, lockTarget(rack));
  if (!lock) return { rack: rack.name };
  return {
    rack: rack.name,
    holder: lock.holder,
    description: describeHolder(lock.holder),
    stale: staleReason(lock.holder, ctx.clock.now()),
  };
}

export async function breakStaleLock(ctx: Context, name: string | undefined): Promise<LockView> {
  const rack = await resolveRack(ctx.state, name);
  const holder = await breakLock(ctx.state, lockTarget(rack), { now: () => ctx.clock.now() });
  if (!holder) return { rack: rack.name };
  const now = ctx.clock.now().toISOString();
  await recordEntry(ctx, {
    rack: rack.name,
    stack: rack.stack,
    operation: 'unlock --force',
    startedAt: now,
    finishedAt: now,
    hops: [],
    result: 'succeeded',
    note: `broke the stale lock of ${describeHolder(holder)}: ${staleReason(holder, ctx.clock.now()) ?? 'stale'}`,
  });
  return { rack: rack.name, holder, description: describeHolder(holder) };
}
