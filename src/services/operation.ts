/**
 * What every rack-changing operation shares: the rack's lock, the operator's identity for the history,
 * and the marker that says rack itself started the stack operation in progress (so that a later
 * `rack update` or `rack status` attaches to it instead of calling the rack busy).
 */
import { randomUUID } from 'node:crypto';
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

export async function record(
  ctx: Context,
  entry: Omit<HistoryEntry, 'id' | 'user'> & { id?: string },
): Promise<HistoryEntry> {
  return appendHistory(ctx.state, { ...entry, user: localUser() });
}

export type OperationResult = HistoryEntry['result'];

export interface OperationRecord {
  /** The history entry's id (also kept by the in-flight marker). */
  id: string;
  startedAt: Date;
  /** Appends the entry: timing and identity filled in; `extra` may add hops, cause or note. */
  finish(
    result: OperationResult,
    extra?: Partial<Pick<HistoryEntry, 'hops' | 'cause' | 'note'>>,
  ): Promise<HistoryEntry>;
}

/**
 * Starts the history entry of an operation on a rack: when it began, who did it (the local user and the
 * AWS caller identity), and the fields known from the start (from, to, channel).
 */
export async function beginRecord(
  ctx: Context,
  rack: Rack,
  operation: string,
  fields: Partial<Pick<HistoryEntry, 'from' | 'to' | 'channel'>> = {},
): Promise<OperationRecord> {
  const startedAt = ctx.clock.now();
  const identity = await callerIdentity(ctx.aws(rack));
  const id = randomUUID();
  return {
    id,
    startedAt,
    finish: (result, extra = {}) => {
      const finishedAt = ctx.clock.now();
      return record(ctx, {
        id,
        rack: rack.name,
        stack: rack.stack,
        operation,
        identity,
        ...fields,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        hops: [],
        ...extra,
        result,
      });
    },
  };
}
