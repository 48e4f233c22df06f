/**
 * The lifecycle every operation on a rack shares (docs/architecture.md, "The operation lifecycle"):
 *
 *   identity  → the rack's StackId resolved (and kept in the registry), so one stack is one rack
 *   lock      → taken; a stale one (its process gone, its lease run out) is broken and that is recorded
 *   recovery  → what a dead process left is finished: its history entry, its stack operation (attached to),
 *               its change sets (deleted) — services/recovery.ts
 *   plan      → nothing written; a refusal ends here
 *   journal   → the history entry opened, in progress, before the first write
 *   writes    → each preceded by `beforeWrite` (Ctrl-C, a lost lock), each recorded as a step
 *   end       → the entry completed; change sets not executed deleted; the lock released
 *
 * Services call `withOperation` and do their work inside it; they never take a lock or write a history
 * entry any other way.
 */
import type { AwsClients } from '../aws/clients.js';
import { deleteChangeSet, type ChangeSetRef } from '../aws/changeSets.js';
import { findStack } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { busy, interrupted, isRackError } from '../errors.js';
import { isBusyHolder } from './busy.js';
import { legacyStateKey, stackStateKey } from '../core/stackIdentity.js';
import { readHistory } from '../state/history.js';
import { acquireLock, readLock, type LockHolder, type LockTarget } from '../state/locks.js';
import { updateRack, type Rack } from '../state/registry.js';
import { clearInFlight, inFlightKey, markInFlight, readInFlight, type InFlight } from './inFlight.js';
import { openJournal, type Journal } from './journal.js';
import { recordBrokenLocks, recoverRack, type RecoveryReport } from './recovery.js';

export const lockTarget = (rack: Rack): LockTarget => ({
  rack: rack.name,
  stack: rack.stack,
  key: stackStateKey(rack),
});

export interface Operation {
  readonly ctx: Context;
  /** The rack, with its StackId once the stack exists. */
  readonly rack: Rack;
  readonly name: string;
  /** What the start of this operation found and finished of earlier ones. */
  readonly recovery: RecoveryReport;
  readonly journal: Journal | undefined;
  /** Opens the operation's history entry (in progress): call before the first write. */
  begin(fields?: { from?: string; to?: string; channel?: string }): Promise<Journal>;
  /**
   * Opens the entry, unless this operation keeps none (a dry run): called by the write helpers right before
   * a write, so that an operation that turns out to change nothing leaves no entry.
   */
  beforeFirstWrite(): Promise<void>;
  /**
   * Call right before every call that writes (CreateChangeSet, ExecuteChangeSet, PutObject, ImportKeyPair,
   * TerminateInstanceInAutoScalingGroup, …): throws when the operator interrupted (exit 130) or the lock
   * was lost (exit 5), so that no write starts after either.
   */
  beforeWrite(what: string): void;
  /** A change set this operation made: deleted if the operation ends before executing it. */
  track(aws: AwsClients, ref: ChangeSetRef): void;
  untrack(ref: ChangeSetRef): void;
  /**
   * Starts a stack operation under the in-flight marker (see inFlight.ts): the marker is written, then
   * `start` called; when `start` fails, the operation did not start and the marker goes again.
   */
  startInFlight<T>(
    fields: Omit<InFlight, 'rack' | 'stack' | 'stackId' | 'historyId' | 'startedAt'>,
    start: () => Promise<T>,
  ): Promise<T>;
  /** Clears the marker once rack saw the stack operation end. Never throws: a stale marker is recovered. */
  clearInFlight(): Promise<void>;
  /** True while a stack operation this process started runs (marker written, end not seen). */
  readonly inFlight: boolean;
}

export interface OperationOptions {
  /** Skip finishing what earlier processes left (a cancel, which must not follow what it cancels). */
  recover?: boolean;
  /**
   * `name`: keep the rack keyed by its stack's name (an install, whose stack does not exist when it starts:
   * its lock and marker must be found again under the same key by the same command run again).
   */
  identity?: 'stack-id' | 'name';
  /** Called before following a stack operation an earlier process started. */
  onAttach?: (inFlight: InFlight) => Promise<void>;
  /** A dry run: nothing it makes stays, so it keeps no history entry. */
  dryRun?: boolean;
}

/**
 * Runs `work` as one operation on the rack: identity, lock, recovery, then `work`; at the end, the change
 * sets it made and did not execute are deleted, its history entry is completed if `work` left it open, and
 * the lock is released — also when it fails or is interrupted.
 */
export async function withOperation<T>(
  ctx: Context,
  given: Rack,
  name: string,
  work: (op: Operation) => Promise<T>,
  options: OperationOptions = {},
): Promise<T> {
  const rack = options.identity === 'name' ? given : await ensureStackIdentity(ctx, given);
  const broken: Array<{ holder: LockHolder; reason: string }> = [];
  const lock = await acquireLock(ctx.state, lockTarget(rack), name, {
    now: () => ctx.clock.now(),
    onBroken: async (holder, reason) => {
      broken.push({ holder, reason });
    },
  });
  const unregisterLock = ctx.teardown.add(`lock of ${rack.name}`, () => lock.release(1500));
  const tracked = new Map<string, { aws: AwsClients; ref: ChangeSetRef; unregister: () => void }>();
  let journal: Journal | undefined;
  let marker: InFlight | undefined;

  const op: Operation = {
    ctx,
    rack,
    name,
    recovery: { recovered: [], deletedChangeSets: [] },
    get journal() {
      return journal;
    },
    get inFlight() {
      return marker !== undefined;
    },
    async begin(fields = {}) {
      journal ??= await openJournal(ctx, rack, name, fields);
      return journal;
    },
    async beforeFirstWrite() {
      if (!options.dryRun) await op.begin();
    },
    beforeWrite(what) {
      if (ctx.signal.aborted) {
        throw interrupted(`Interrupted before ${what}.`, {
          untouched: `Nothing more was written to ${rack.name}${journal?.wrote ? '; what was done before stays done' : ''}.`,
          next: `Run the command again to go on from where ${rack.name} is.`,
        });
      }
      const lost = lock.lost();
      if (lost) {
        throw busy(`Lost the lock of ${rack.name}: ${lost}.`, {
          untouched: `rack started no further write (${what} was not done).`,
          next: `See who works on it with \`rack status --rack ${rack.name}\`, then run the command again.`,
          details: { lostLock: lost },
        });
      }
    },
    track(aws, ref) {
      const key = ref.name;
      const unregister = ctx.teardown.add(`change set ${ref.name}`, () => deleteChangeSet(aws, ref));
      tracked.set(key, { aws, ref, unregister });
    },
    untrack(ref) {
      const key = ref.name;
      tracked.get(key)?.unregister();
      tracked.delete(key);
    },
    async startInFlight(fields, start) {
      if (!journal) throw new Error(`${name}: startInFlight before begin`);
      marker = {
        rack: rack.name,
        stack: rack.stack,
        ...(rack.stackId ? { stackId: rack.stackId } : {}),
        historyId: journal.id,
        startedAt: ctx.clock.now().toISOString(),
        ...fields,
      };
      await markInFlight(ctx, rack, marker);
      try {
        return await start();
      } catch (error) {
        await op.clearInFlight();
        throw error;
      }
    },
    async clearInFlight() {
      const id = marker?.historyId;
      marker = undefined;
      await clearInFlight(ctx, rack, id).catch((error: unknown) =>
        ctx.events.emit({
          type: 'warning',
          text: `could not clear ${ctx.state.describe(inFlightKey(rack))} (${(error as Error).message}); the next command on ${rack.name} does`,
        }),
      );
    },
  };

  try {
    if (options.recover !== false) {
      Object.assign(op, {
        recovery: await recoverRack(ctx, rack, {
          brokenLocks: broken,
          onAttach: options.onAttach,
          // A stack created by this very operation has no leftovers; reading it first would be a wasted call.
          leftovers: options.identity !== 'name',
        }),
      });
    } else {
      await recordBrokenLocks(ctx, rack, broken);
    }
    const result = await work(op);
    await deleteTracked(ctx, tracked, journal);
    if (journal && !journal.finished && !marker) await journal.finish('succeeded');
    const lost = lock.lost();
    if (lost) ctx.events.emit({ type: 'warning', text: `the lock of ${rack.name} was lost meanwhile: ${lost}` });
    return result;
  } catch (error) {
    await deleteTracked(ctx, tracked, journal);
    // A stack operation still running stays in progress: the marker lets the next command attach and finish it.
    if (journal && !journal.finished && !marker) {
      const stopped =
        isRackError(error) && (error.kind === 'declined' || error.kind === 'interrupted' || error.kind === 'busy');
      const result = stopped ? (journal.wrote ? 'interrupted' : 'cancelled') : 'failed';
      await journal.finish(result, { cause: (error as Error)?.message ?? String(error) });
    }
    throw error;
  } finally {
    await lock.release();
    unregisterLock();
  }
}

async function deleteTracked(
  ctx: Context,
  tracked: Map<string, { aws: AwsClients; ref: ChangeSetRef; unregister: () => void }>,
  journal: Journal | undefined,
): Promise<void> {
  for (const [key, { aws, ref, unregister }] of tracked) {
    try {
      await deleteChangeSet(aws, ref);
      await journal?.step('change-set-deleted', ref.name);
    } catch (error) {
      ctx.events.emit({
        type: 'warning',
        text: `could not delete change set ${ref.name} (${(error as Error).message}); the next rack command on the stack does`,
      });
    }
    unregister();
    tracked.delete(key);
  }
}

/**
 * The rack with its StackId. A rack registered before rack kept StackIds gets it now (the registry entry is
 * updated, and its marker and keyroll progress move to the StackId's keys); a stack that does not exist
 * yet (install) or any more keeps its name.
 */
async function ensureStackIdentity(ctx: Context, rack: Rack): Promise<Rack> {
  if (rack.stackId) return rack;
  const stack = await findStack(ctx.aws(rack), rack.stack);
  if (!stack?.id) return rack;
  const identified = { ...rack, stackId: stack.id };
  const registered = await updateRack(ctx.state, rack.name, (r) => ({ ...r, stackId: stack.id })).catch(
    () => undefined,
  );
  if (registered) {
    const from = legacyStateKey(rack);
    const to = stackStateKey(identified);
    for (const prefix of ['operations', 'keyroll'])
      await moveState(ctx, `${prefix}/${from}.json`, `${prefix}/${to}.json`);
  }
  return registered ?? identified;
}

async function moveState(ctx: Context, from: string, to: string): Promise<void> {
  const old = await ctx.state.get(from);
  if (!old) return;
  if (await ctx.state.put(to, old.text, null)) await ctx.state.delete(from, old.version);
}

/**
 * For a command that touches a rack without writing to it (a sync that finds it at its target, `rack
 * history`): when a gone process left something — a lock, an in-flight marker, an entry in progress — it is
 * finished as any operation's start would (recovery under the lock). Nothing is done, and nothing read from
 * AWS, when nothing was left; a live holder is left alone.
 */
export async function recoverIfLeft(ctx: Context, rack: Rack): Promise<RecoveryReport | undefined> {
  const [lock, marker, entries] = await Promise.all([
    readLock(ctx.state, lockTarget(rack)),
    readInFlight(ctx, rack),
    readHistory(ctx.state, rack.name),
  ]);
  if (!lock && !marker && !entries.some((e) => e.result === 'in-progress')) return undefined;
  try {
    return await withOperation(ctx, rack, 'recover', async (op) => op.recovery);
  } catch (error) {
    if (isBusyHolder(error)) return undefined;
    throw error;
  }
}
