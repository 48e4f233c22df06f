/**
 * The operation journal: every operation that writes to a rack records its start in the rack's history
 * before its first write (result `in-progress`), each step as it takes it, and its end. A process killed in
 * between leaves an in-progress entry naming its host and pid; the next command that touches the rack
 * completes it from what CloudFormation and S3 say (services/recovery.ts). No write without a record.
 *
 * Only the first write of an entry must succeed (else the operation stops before writing anything). A step
 * or the end that cannot be recorded, because the state store fails for longer than it retries, is reported
 * as a warning: the entry stays in progress and is completed by recovery.
 */
import { randomUUID } from 'node:crypto';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.js';
import type { Context } from '../context.js';
import { internalError } from '../errors.js';
import {
  appendHistory,
  updateHistoryEntry,
  type HistoryEntry,
  type HistoryHop,
  type HistoryResult,
} from '../state/history.js';
import { localUser, thisProcess } from '../state/processes.js';
import type { Rack } from '../state/registry.js';

/** The steps an operation records (docs/reliability.md, "Journal steps"). */
export type JournalStep =
  | 'change-set-made'
  | 'change-set-deleted'
  | 'executed'
  | 'final-status'
  | 'stopped-following'
  | 'lost-sight'
  | 'health-checked'
  | 'key-generated'
  | 'key-imported'
  | 'key-stored'
  | 'key-promoted'
  | 'key-discarded'
  | 'instance-replaced'
  | 'surge-raised'
  | 'surge-returned'
  | 'keys-pruned'
  | 'template-uploaded'
  | 'stack-create-requested'
  | 'stack-delete-requested'
  | 'bucket-emptied'
  | 'registered'
  | 'unregistered'
  | 'cancel-requested';

export type FinalResult = Exclude<HistoryResult, 'in-progress'>;

export interface FinishExtra {
  cause?: string;
  note?: string;
  /** What the last hop came to after its stack update (e.g. unhealthy at the health check). */
  lastHopResult?: HistoryHop['result'];
}

export interface Journal {
  readonly id: string;
  readonly startedAt: Date;
  /** Whether a write reached the stack (a change set executed, a stack created or deleted, …). */
  readonly wrote: boolean;
  readonly finished: boolean;
  /** Records a step, and the hop it completed if any. Never throws. */
  step(step: JournalStep, detail?: string, hop?: HistoryHop): Promise<void>;
  /** Completes the entry. Never throws; the entry stays in progress (and is recovered) if it cannot be written. */
  finish(result: FinalResult, extra?: FinishExtra): Promise<void>;
  readonly hops: readonly HistoryHop[];
}

/** Steps after which something was written to the stack or to AWS on the rack's behalf. */
const WRITES = new Set<JournalStep>([
  'executed',
  'stack-create-requested',
  'stack-delete-requested',
  'bucket-emptied',
  'instance-replaced',
  'surge-raised',
  'key-promoted',
  'cancel-requested',
]);

async function callerIdentity(aws: AwsClients): Promise<string | undefined> {
  try {
    const sts = await aws.sts();
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch {
    // The history still records the local user; a missing identity must not stop an operation.
    return undefined;
  }
}

/**
 * The entry with its free text — causes, notes, step details, which come from AWS and from errors —
 * redacted like every line rack prints, before it is stored. Names, versions and times are kept as they
 * are: a short secret masked as a token must not rewrite a version the rollback rule reads.
 */
export function redactedEntry<T extends Partial<Pick<HistoryEntry, 'cause' | 'note' | 'hops' | 'steps'>>>(
  ctx: Context,
  entry: T,
): T {
  const redact = (text: string) => ctx.logger.redact(text);
  return {
    ...entry,
    ...(entry.cause !== undefined ? { cause: redact(entry.cause) } : {}),
    ...(entry.note !== undefined ? { note: redact(entry.note) } : {}),
    ...(entry.hops
      ? { hops: entry.hops.map((hop) => (hop.cause === undefined ? hop : { ...hop, cause: redact(hop.cause) })) }
      : {}),
    ...(entry.steps
      ? {
          steps: entry.steps.map((step) =>
            step.detail === undefined ? step : { ...step, detail: redact(step.detail) },
          ),
        }
      : {}),
  };
}

/** Appends a finished entry in one write (an unlock, a lock broken, a record of something already over). */
export async function recordEntry(
  ctx: Context,
  entry: Omit<HistoryEntry, 'id' | 'user' | 'steps'> & { id?: string },
): Promise<HistoryEntry> {
  return appendHistory(ctx.state, redactedEntry(ctx, { ...entry, user: localUser() }));
}

/**
 * Starts an operation's entry, in progress, before its first write. Throws when it cannot be written:
 * the operation must then stop, having written nothing.
 */
export async function openJournal(
  ctx: Context,
  rack: Rack,
  operation: string,
  fields: Partial<Pick<HistoryEntry, 'from' | 'to' | 'channel'>> = {},
): Promise<Journal> {
  const startedAt = ctx.clock.now();
  const identity = await callerIdentity(ctx.aws(rack));
  const id = randomUUID();
  const base: HistoryEntry = {
    id,
    rack: rack.name,
    stack: rack.stack,
    ...(rack.stackId ? { stackId: rack.stackId } : {}),
    operation,
    startedAt: startedAt.toISOString(),
    user: localUser(),
    ...(identity ? { identity } : {}),
    ...fields,
    hops: [],
    result: 'in-progress',
    process: thisProcess(),
    steps: [],
  };
  try {
    await appendHistory(ctx.state, base);
  } catch (error) {
    throw internalError(`Could not record the start of the ${operation} in the history: ${(error as Error).message}`, {
      untouched: 'Nothing was written to the rack: rack does not write without a record.',
      next: `Check the state store (${ctx.state.location}) and try again.`,
      cause: error,
    });
  }

  const hops: HistoryHop[] = [];
  let wrote = false;
  let finished = false;
  const write = (change: (entry: HistoryEntry) => HistoryEntry) =>
    updateHistoryEntry(ctx.state, rack.name, id, (entry) => redactedEntry(ctx, change(entry)), base);
  const warn = (what: string, error: unknown) =>
    ctx.events.emit({
      type: 'warning',
      text: `could not record ${what} in the history (${(error as Error).message}); the entry stays in progress and the next rack command on ${rack.name} completes it`,
    });

  return {
    id,
    startedAt,
    get wrote() {
      return wrote;
    },
    get finished() {
      return finished;
    },
    hops,
    async step(step, detail, hop) {
      if (WRITES.has(step)) wrote = true;
      if (hop) hops.push(hop);
      const at = ctx.clock.now().toISOString();
      await write((entry) => ({
        ...entry,
        steps: [...entry.steps, { at, step, ...(detail ? { detail } : {}) }],
        ...(hop ? { hops: [...entry.hops, hop] } : {}),
      })).catch((error: unknown) => warn(`the step "${step}"`, error));
    },
    async finish(result, extra = {}) {
      if (finished) return;
      finished = true;
      const finishedAt = ctx.clock.now();
      const last = hops.at(-1);
      if (last && extra.lastHopResult) {
        last.result = extra.lastHopResult;
        if (extra.cause) last.cause = extra.cause;
      }
      await write((entry) => ({
        ...entry,
        hops: hops.length >= entry.hops.length ? [...hops] : entry.hops,
        result,
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        ...(extra.cause ? { cause: extra.cause } : {}),
        ...(extra.note ? { note: extra.note } : {}),
      })).catch((error: unknown) => warn(`the end of the ${operation}`, error));
    },
  };
}
