/**
 * One operation per rack at a time, across processes and, with the S3 store, across machines. A lock
 * is an object created only if absent (compare-and-swap), carrying its holder and a lease the holder
 * renews. A lock whose lease expired, or whose holder ran on this machine and is gone, is stale: it is
 * reported, and broken only by `rack unlock --force`.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { busy } from '../errors.js';
import type { StateStore } from './store.js';

export const LEASE_MS = 60_000;
const RENEW_EVERY_MS = 20_000;

const holderSchema = z.object({
  id: z.string(),
  rack: z.string(),
  stack: z.string(),
  operation: z.string(),
  user: z.string(),
  host: z.string(),
  pid: z.number(),
  since: z.string(),
  leaseUntil: z.string(),
});
export type LockHolder = z.infer<typeof holderSchema>;

export interface LockTarget {
  rack: string;
  stack: string;
  region: string;
}

/** Locks are per stack: one stack registered under two names is still one rack to CloudFormation. */
export const lockKey = (target: LockTarget) => `locks/${target.region}/${target.stack}.json`;

export interface HeldLock {
  holder: LockHolder;
  release(): Promise<void>;
}

export interface LockOptions {
  now: () => Date;
  /** Whether a process on this machine is alive (injectable for tests). */
  isAlive?: (pid: number) => boolean;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function staleReason(holder: LockHolder, now: Date, isAlive = processIsAlive): string | undefined {
  if (new Date(holder.leaseUntil).getTime() < now.getTime()) return `its lease expired at ${holder.leaseUntil}`;
  if (holder.host === os.hostname() && !isAlive(holder.pid)) return `process ${holder.pid} on this machine is gone`;
  return undefined;
}

export function describeHolder(holder: LockHolder): string {
  return `${holder.user}@${holder.host} (pid ${holder.pid}, ${holder.operation}) since ${holder.since}`;
}

export async function readLock(
  store: StateStore,
  target: LockTarget,
): Promise<{ holder: LockHolder; version: string } | undefined> {
  const current = await store.get(lockKey(target));
  if (!current) return undefined;
  const parsed = holderSchema.safeParse(safeJson(current.text));
  // An unreadable lock still blocks: better to ask for `unlock --force` than to run twice.
  const holder = parsed.success
    ? parsed.data
    : {
        id: 'unreadable',
        rack: target.rack,
        stack: target.stack,
        operation: 'unknown',
        user: 'unknown',
        host: 'unknown',
        pid: 0,
        since: 'unknown',
        leaseUntil: new Date(0).toISOString(),
      };
  return { holder, version: current.version };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function acquireLock(
  store: StateStore,
  target: LockTarget,
  operation: string,
  options: LockOptions,
): Promise<HeldLock> {
  const since = options.now();
  const holder: LockHolder = {
    id: randomUUID(),
    rack: target.rack,
    stack: target.stack,
    operation,
    user: safeUser(),
    host: os.hostname(),
    pid: process.pid,
    since: since.toISOString(),
    leaseUntil: new Date(since.getTime() + LEASE_MS).toISOString(),
  };
  const key = lockKey(target);
  if (!(await store.put(key, JSON.stringify(holder), null))) {
    const existing = await readLock(store, target);
    if (!existing) return acquireLock(store, target, operation, options);
    const stale = staleReason(existing.holder, options.now(), options.isAlive);
    throw busy(
      `Rack ${target.rack} is locked by ${describeHolder(existing.holder)}${stale ? `; the lock looks stale: ${stale}` : ''}.`,
      {
        untouched: 'Nothing was changed.',
        next: stale
          ? `If no rack process is working on it, break the lock with \`rack unlock --rack ${target.rack} --force\`.`
          : `Wait for that operation to finish; \`rack status --rack ${target.rack}\` shows what is happening.`,
        details: { holder: existing.holder, stale: stale ?? null },
      },
    );
  }

  let version = (await store.get(key))?.version ?? '';
  let released = false;
  const renew = async () => {
    if (released) return;
    const renewed = { ...holder, leaseUntil: new Date(options.now().getTime() + LEASE_MS).toISOString() };
    const text = JSON.stringify(renewed);
    if (await store.put(key, text, version).catch(() => false)) version = (await store.get(key))?.version ?? version;
  };
  const timer = setInterval(() => void renew(), RENEW_EVERY_MS);
  timer.unref();
  return {
    holder,
    release: async () => {
      released = true;
      clearInterval(timer);
      await store.delete(key, version).catch(() => false);
    },
  };
}

/** Breaks a lock; only a stale one unless `evenIfLive`. Returns the holder that was removed. */
export async function breakLock(
  store: StateStore,
  target: LockTarget,
  options: LockOptions & { evenIfLive?: boolean },
): Promise<LockHolder | undefined> {
  const existing = await readLock(store, target);
  if (!existing) return undefined;
  const stale = staleReason(existing.holder, options.now(), options.isAlive);
  if (!stale && !options.evenIfLive) {
    throw busy(
      `The lock on ${target.rack} is held by ${describeHolder(existing.holder)} and is not stale (its lease runs until ${existing.holder.leaseUntil}).`,
      {
        untouched: 'The lock was left in place.',
        next: 'Wait for that operation to finish; a live lock is never broken.',
      },
    );
  }
  await store.delete(lockKey(target), existing.version);
  return existing.holder;
}

export async function withRackLock<T>(
  store: StateStore,
  target: LockTarget,
  operation: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(store, target, operation, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
