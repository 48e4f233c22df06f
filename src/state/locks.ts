/**
 * One operation per rack at a time, across processes and, with the S3 store, across machines. A lock is an
 * object created only if absent (compare-and-swap), carrying its holder — host, pid, the process's start
 * time, and a lease the holder renews.
 *
 * A lock is stale when its lease ran out, or when its holder ran on this machine and is gone (its pid no
 * longer runs, or now belongs to another program). A stale lock is broken by the next process that wants
 * it, and the caller records that in the rack's history: a killed process never leaves a rack locked.
 *
 * The holder renews its lease in the background, retrying with backoff when the store fails. A lease that
 * runs out, or a lock someone else took over, is *lost*: `lost()` says why, and the operation starts no
 * further write (docs/architecture.md, "The operation lifecycle").
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { busy } from '../errors.js';
import { localUser, processGone, thisProcess, type ProcessProbe } from './processes.js';
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
  /** When the holder's process started, as the OS counts it: tells a reused pid from the holder. */
  processStart: z.string().optional(),
  since: z.string(),
  leaseUntil: z.string(),
});
export type LockHolder = z.infer<typeof holderSchema>;

export interface LockTarget {
  rack: string;
  stack: string;
  /** Where the stack's state lives in the store, e.g. `us-east-1/123456789012/prod/4c1f…` (see stackIdentity). */
  key: string;
}

/** Locks are per stack: one stack registered under two names is still one rack to CloudFormation. */
export const lockKey = (target: Pick<LockTarget, 'key'>) => `locks/${target.key}.json`;

export interface HeldLock {
  holder: LockHolder;
  /** Why the lock is no longer ours (lease ran out, taken over, removed); undefined while it is. */
  lost(): string | undefined;
  /** Removes the lock if it is still ours; gives up after `withinMs` when the store does not answer. */
  release(withinMs?: number): Promise<void>;
}

export interface LockOptions extends ProcessProbe {
  now: () => Date;
  /** Called after a stale lock was broken to take it: the caller records it in the history. */
  onBroken?: (holder: LockHolder, reason: string) => Promise<void>;
}

export function staleReason(holder: LockHolder, now: Date, probe: ProcessProbe = {}): string | undefined {
  if (new Date(holder.leaseUntil).getTime() < now.getTime()) return `its lease expired at ${holder.leaseUntil}`;
  return processGone({ host: holder.host, pid: holder.pid, start: holder.processStart }, probe);
}

export function describeHolder(holder: LockHolder): string {
  return `${holder.user}@${holder.host} (pid ${holder.pid}, ${holder.operation}) since ${holder.since}`;
}

export async function readLock(
  store: StateStore,
  target: Pick<LockTarget, 'key' | 'rack' | 'stack'>,
): Promise<{ holder: LockHolder; version: string } | undefined> {
  const current = await store.get(lockKey(target));
  if (!current) return undefined;
  const parsed = holderSchema.safeParse(safeJson(current.text));
  // An unreadable lock is treated as expired: it names no process that could still be working.
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
  const me = thisProcess();
  const holder: LockHolder = {
    id: randomUUID(),
    rack: target.rack,
    stack: target.stack,
    operation,
    user: localUser(),
    host: me.host,
    pid: me.pid,
    ...(me.start ? { processStart: me.start } : {}),
    since: since.toISOString(),
    leaseUntil: new Date(since.getTime() + LEASE_MS).toISOString(),
  };
  const key = lockKey(target);
  for (let attempt = 0; ; attempt++) {
    if (await store.put(key, JSON.stringify(holder), null)) break;
    const existing = await readLock(store, target);
    if (!existing) continue;
    // Our own write, whose answer was lost and retried, is ours.
    if (existing.holder.id === holder.id) break;
    const stale = staleReason(existing.holder, options.now(), options);
    if (stale && attempt < 3) {
      if (await store.delete(key, existing.version)) await options.onBroken?.(existing.holder, stale);
      continue;
    }
    throw busy(`Rack ${target.rack} is locked by ${describeHolder(existing.holder)}.`, {
      untouched: 'Nothing was changed.',
      next: `Wait for that operation to finish; \`rack status --rack ${target.rack}\` shows what is happening.`,
      details: { holder: existing.holder },
    });
  }
  return holdLock(store, key, holder, options);
}

/** Keeps the lease renewed until released; a renewal that fails is retried with backoff until the lease ends. */
function holdLock(store: StateStore, key: string, holder: LockHolder, options: LockOptions): HeldLock {
  let leaseUntil = new Date(holder.leaseUntil).getTime();
  let lostReason: string | undefined;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  const schedule = (ms: number) => {
    if (released || lostReason) return;
    timer = setTimeout(() => void renew(), ms);
    timer.unref();
  };
  const renew = async () => {
    if (released || lostReason) return;
    try {
      const current = await store.get(key);
      const owner = current && holderSchema.safeParse(safeJson(current.text));
      if (!current || !owner?.success) {
        lostReason = 'the lock was removed while this operation held it (by `rack unlock --force`?)';
        return;
      }
      if (owner.data.id !== holder.id) {
        lostReason = `the lock was taken over by ${describeHolder(owner.data)}`;
        return;
      }
      const next = options.now().getTime() + LEASE_MS;
      if (
        await store.put(key, JSON.stringify({ ...holder, leaseUntil: new Date(next).toISOString() }), current.version)
      ) {
        leaseUntil = next;
        failures = 0;
        schedule(RENEW_EVERY_MS);
      } else {
        schedule(200);
      }
    } catch (error) {
      failures++;
      if (options.now().getTime() >= leaseUntil) {
        lostReason = `its lease ran out while the state store could not be reached (${(error as Error).message})`;
        return;
      }
      schedule(Math.min(10_000, 500 * 2 ** failures));
    }
  };
  schedule(RENEW_EVERY_MS);

  return {
    holder,
    lost: () => {
      if (!lostReason && !released && options.now().getTime() >= leaseUntil) {
        lostReason = `its lease ran out at ${new Date(leaseUntil).toISOString()} before it could be renewed`;
      }
      return lostReason;
    },
    release: async (withinMs = 10_000) => {
      if (released) return;
      released = true;
      if (timer) clearTimeout(timer);
      const deadline = Date.now() + withinMs;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        try {
          const current = await store.get(key);
          const owner = current && holderSchema.safeParse(safeJson(current.text));
          // Only our own lock is removed: one taken over since is someone else's.
          if (!current || !owner?.success || owner.data.id !== holder.id) return;
          if (await store.delete(key, current.version)) return;
        } catch {
          // The store is failing: try again until the deadline; the lease expires by itself otherwise.
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
      }
    },
  };
}

/** Breaks a lock; only a stale one unless `evenIfLive`. Returns the holder that was removed. */
export async function breakLock(
  store: StateStore,
  target: Pick<LockTarget, 'key' | 'rack' | 'stack'>,
  options: LockOptions & { evenIfLive?: boolean },
): Promise<LockHolder | undefined> {
  const existing = await readLock(store, target);
  if (!existing) return undefined;
  const stale = staleReason(existing.holder, options.now(), options);
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
