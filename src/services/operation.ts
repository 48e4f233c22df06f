/**
 * What every rack-changing operation shares: the rack's lock, the operator's identity for the history,
 * and the marker that says rack itself started the stack operation in progress (so that a later
 * `rack update` or `rack status` attaches to it instead of calling the rack busy).
 */
import os from 'node:os';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.js';
import type { Context } from '../context.js';
import { appendHistory, type HistoryEntry } from '../state/history.js';
import { withRackLock } from '../state/locks.js';
import type { Rack } from '../state/registry.js';
import { z } from 'zod';

export async function callerIdentity(aws: AwsClients): Promise<string | undefined> {
  try {
    const sts = await aws.sts();
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch {
    // The history still records the local user; a missing identity must not stop an operation.
    return undefined;
  }
}

export function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export const lockTarget = (rack: Rack) => ({ rack: rack.name, stack: rack.stack, region: rack.region });

export function withLock<T>(ctx: Context, rack: Rack, operation: string, fn: () => Promise<T>): Promise<T> {
  return withRackLock(ctx.state, lockTarget(rack), operation, { now: () => ctx.clock.now() }, fn);
}

const inFlightSchema = z.object({
  rack: z.string(),
  stack: z.string(),
  operation: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  channel: z.string().optional(),
  startedAt: z.string(),
  historyId: z.string(),
});
export type InFlight = z.infer<typeof inFlightSchema>;

const inFlightKey = (rack: Rack) => `operations/${rack.region}/${rack.stack}.json`;

/** Marks a stack operation rack has started; cleared when rack saw it end. */
export async function markInFlight(ctx: Context, rack: Rack, entry: InFlight): Promise<void> {
  const key = inFlightKey(rack);
  const current = await ctx.state.get(key);
  await ctx.state.put(key, JSON.stringify(entry), current?.version ?? null);
}

export async function readInFlight(ctx: Context, rack: Rack): Promise<InFlight | undefined> {
  const current = await ctx.state.get(inFlightKey(rack));
  if (!current) return undefined;
  const parsed = inFlightSchema.safeParse(JSON.parse(current.text));
  return parsed.success ? parsed.data : undefined;
}

export async function clearInFlight(ctx: Context, rack: Rack): Promise<void> {
  const key = inFlightKey(rack);
  const current = await ctx.state.get(key);
  if (current) await ctx.state.delete(key, current.version);
}

export async function record(ctx: Context, entry: Omit<HistoryEntry, 'id' | 'user'> & { id?: string }): Promise<HistoryEntry> {
  return appendHistory(ctx.state, { ...entry, user: localUser() });
}
