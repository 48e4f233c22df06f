/**
 * Finishing what a dead process left on a rack, at the start of every operation (docs/architecture.md, "The
 * operation lifecycle"; under the rack's lock, so nothing else of rack's is working on the stack):
 *
 * - the stack operation its in-flight marker names is followed to its end if it still runs ("attaching"),
 *   or its end is read from CloudFormation (a change set still AVAILABLE never ran);
 * - every history entry still in progress whose process is gone is completed with the real outcome and a
 *   note saying it was recovered;
 * - the change sets rack made (named `rack-*`) that were never executed are deleted: they may hold new
 *   secret values, and nobody will execute them.
 *
 * What the outcome was is read from the stack's status through core/stackStatus, never guessed.
 */
import os from 'node:os';
import type { AwsClients } from '../aws/clients.js';
import { deleteChangeSet, executionStatus, listChangeSets } from '../aws/changeSets.js';
import { findStack, parameterValue, type StackSummary } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import {
  finalOutcome,
  hopResultOf,
  isInProgress,
  isKnownFailure,
  type OperationKind,
  type WriteOutcome,
} from '../core/stackStatus.js';
import {
  readHistory,
  updateHistoryEntry,
  type HistoryEntry,
  type HistoryHop,
  type HistoryResult,
} from '../state/history.js';
import { describeHolder, type LockHolder } from '../state/locks.js';
import { localUser, processGone } from '../state/processes.js';
import { addRack, listRacks, removeRack, type Rack } from '../state/registry.js';
import { clearInFlight, readInFlight, type InFlight } from './inFlight.js';
import { recordEntry, redactedEntry } from './journal.js';
import { followStack } from './stackWait.js';

export interface RecoveryReport {
  /** Entries of gone processes completed by this run. */
  recovered: HistoryEntry[];
  /** The stack operation an earlier process started, as it ended (followed here if it still ran). */
  attached?: { marker: InFlight; outcome: WriteOutcome; entry?: HistoryEntry };
  /** Names of leftover change sets deleted. */
  deletedChangeSets: string[];
}

export interface RecoveryOptions {
  /** Delete leftover change sets (false for an install: its stack is new, and no AWS call may come first). */
  leftovers?: boolean;
  /** Locks broken on the way in: said in the gone process's entry, or in an entry of their own. */
  brokenLocks?: ReadonlyArray<{ holder: LockHolder; reason: string }>;
  /** Called before following a stack operation an earlier process started (e.g. to open a live view). */
  onAttach?: (marker: InFlight) => Promise<void>;
}

/**
 * An entry whose process still runs on this machine is that process's to complete. Entries of this very
 * process are not: it holds the rack's lock now, so an entry it left open belongs to an operation that
 * stopped following (the dashboard runs several operations in one process).
 */
function runsElsewhereHere(entry: HistoryEntry): boolean {
  const p = entry.process;
  return !!p && p.host === os.hostname() && p.pid !== process.pid && processGone(p) === undefined;
}

const kindOf = (operation: string): OperationKind =>
  operation === 'install' ? 'create' : operation === 'uninstall' ? 'delete' : 'update';

export async function recoverRack(ctx: Context, rack: Rack, options: RecoveryOptions = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], deletedChangeSets: [] };
  const aws = ctx.aws(rack);
  const [marker, history] = await Promise.all([readInFlight(ctx, rack), readHistory(ctx.state, rack.name)]);
  const orphans = history.filter((entry) => entry.result === 'in-progress' && !runsElsewhereHere(entry));
  // Nothing to finish and nothing to clean: not even a read goes to AWS.
  if (!marker && orphans.length === 0 && options.leftovers === false) {
    await recordBrokenLocks(ctx, rack, options.brokenLocks ?? []);
    return report;
  }
  let stack = await findStack(aws, rack.stackId ?? rack.stack);
  const broken = [...(options.brokenLocks ?? [])];
  const brokenFor = (entry: HistoryEntry) => {
    const index = broken.findIndex(
      ({ holder }) => entry.process && holder.pid === entry.process.pid && holder.host === entry.process.host,
    );
    return index >= 0 ? broken.splice(index, 1)[0] : undefined;
  };

  const markerEntry = marker && history.find((entry) => entry.id === marker.historyId);
  if (marker && !(markerEntry && runsElsewhereHere(markerEntry))) {
    const followed = stack !== undefined && isInProgress(stack.status);
    const outcome = await settle(ctx, rack, aws, marker, stack, options.onAttach);
    // Under the lock, only the operation settle followed can have changed the stack since it was read.
    if (followed) stack = await findStack(aws, rack.stackId ?? rack.stack);
    const entry = markerEntry
      ? await complete(ctx, rack, markerEntry, stack, { marker, outcome, broken: brokenFor(markerEntry) })
      : await recordAttached(ctx, rack, marker, outcome);
    if (entry) report.recovered.push(entry);
    report.attached = { marker, outcome, ...(entry ? { entry } : {}) };
    await clearInFlight(ctx, rack, marker.historyId);
  }
  for (const orphan of orphans) {
    if (orphan.id === marker?.historyId) continue;
    // A cancel keeps no marker (the update's is the stack's): its end is the stack's status now.
    const cancelled =
      orphan.operation === 'cancel' &&
      orphan.steps.some((s) => s.step === 'cancel-requested') &&
      stack &&
      !isInProgress(stack.status)
        ? finalOutcome('update', { status: stack.status, statusReason: stack.statusReason })
        : undefined;
    const entry = await complete(ctx, rack, orphan, stack, {
      broken: brokenFor(orphan),
      ...(cancelled ? { outcome: cancelled } : {}),
    });
    if (entry) report.recovered.push(entry);
  }
  await recordBrokenLocks(ctx, rack, broken);
  if (stack && !isInProgress(stack.status) && options.leftovers !== false) {
    report.deletedChangeSets = await deleteLeftovers(ctx, aws, stack);
  }
  for (const entry of report.recovered) {
    ctx.events.emit({
      type: 'step',
      text: `Recovered the ${entry.operation} of ${rack.name} started ${entry.startedAt} by a process that is gone: ${entry.result}.`,
    });
  }
  return report;
}

/** Locks broken on the way in that no recovered entry mentions get an entry of their own. */
export async function recordBrokenLocks(
  ctx: Context,
  rack: Rack,
  broken: ReadonlyArray<{ holder: LockHolder; reason: string }>,
): Promise<void> {
  for (const { holder, reason } of broken) {
    const now = ctx.clock.now().toISOString();
    await recordEntry(ctx, {
      rack: rack.name,
      stack: rack.stack,
      operation: 'unlock',
      startedAt: now,
      finishedAt: now,
      hops: [],
      result: 'succeeded',
      note: `broke the stale lock of ${describeHolder(holder)} automatically: ${reason}`,
    }).catch(() => undefined);
  }
}

/** How the stack operation a marker names ended, following it first if it still runs. */
async function settle(
  ctx: Context,
  rack: Rack,
  aws: AwsClients,
  marker: InFlight,
  stack: StackSummary | undefined,
  onAttach: RecoveryOptions['onAttach'],
): Promise<WriteOutcome> {
  const kind = kindOf(marker.operation);
  if (stack && isInProgress(stack.status)) {
    await onAttach?.(marker);
    ctx.events.emit({
      type: 'step',
      text: `Attaching to the ${marker.operation} of ${rack.name}${marker.to ? ` (${marker.from ?? '?'} → ${marker.to})` : ''} started ${marker.startedAt}.`,
    });
    const result = await followStack(ctx, aws, {
      rack: rack.name,
      stackName: stack.id || rack.stack,
      startedAt: new Date(marker.startedAt),
      deleting: kind === 'delete',
    });
    return finalOutcome(kind, result);
  }
  if (marker.changeSetId && stack) {
    const execution = await executionStatus(aws, {
      id: marker.changeSetId,
      name: marker.changeSetName ?? marker.changeSetId,
      stackName: stack.id,
    }).catch(() => undefined);
    if (execution === 'AVAILABLE') return { type: 'never-started', cause: 'its change set was never executed' };
  }
  if (!stack) {
    if (kind === 'create') return { type: 'never-started', cause: `stack ${rack.stack} was never created` };
    return kind === 'delete'
      ? finalOutcome(kind, { status: 'DELETE_COMPLETE' })
      : { type: 'failed', status: 'NOT_FOUND', cause: `stack ${rack.stack} no longer exists` };
  }
  const outcome = finalOutcome(kind, { status: stack.status, statusReason: stack.statusReason });
  // A change set that is gone and a version that did not move: the write never happened.
  const version = parameterValue(stack, 'Version');
  if (outcome.type === 'succeeded' && kind === 'update' && marker.to && version !== marker.to) {
    return { type: 'never-started', cause: `the stack runs ${version ?? '?'}, not ${marker.to}` };
  }
  return outcome;
}

/**
 * The result a recovered entry gets: a known failure as such; success when the operation reached what it
 * set out to do; otherwise `interrupted` (what it did stays done; running the command again goes on).
 */
export function recoveredResult(
  entry: Pick<HistoryEntry, 'operation' | 'to' | 'hops'>,
  outcome: WriteOutcome | undefined,
): Exclude<HistoryResult, 'in-progress'> {
  // Rolling back is what a cancel and a continued rollback are for.
  if (outcome && entry.operation === 'cancel' && outcome.type === 'rolled-back') return 'cancelled';
  if (outcome && entry.operation === 'rollback --continue' && outcome.type === 'rolled-back') return 'succeeded';
  if (isKnownFailure(outcome)) return outcome.type;
  const lastHop = entry.hops.at(-1);
  if (entry.hops.some((hop) => hop.result === 'rolled-back')) return 'rolled-back';
  if (entry.hops.some((hop) => hop.result === 'rollback-failed')) return 'rollback-failed';
  if (outcome?.type === 'succeeded') {
    if (entry.operation === 'params set' || entry.operation === 'install' || entry.operation === 'uninstall') {
      return 'succeeded';
    }
    if (entry.to !== undefined && lastHop?.result === 'succeeded' && lastHop.to === entry.to) return 'succeeded';
  }
  return 'interrupted';
}

async function complete(
  ctx: Context,
  rack: Rack,
  entry: HistoryEntry,
  stack: StackSummary | undefined,
  found: { marker?: InFlight; outcome?: WriteOutcome; broken?: { holder: LockHolder; reason: string } },
): Promise<HistoryEntry | undefined> {
  const { marker, outcome } = found;
  const hop = marker && outcome ? markerHop(marker, outcome, { withCause: true }) : undefined;
  const hops = hop ? [...entry.hops, hop] : entry.hops;
  const result = recoveredResult({ ...entry, hops }, outcome);
  await settleRegistry(ctx, rack, entry, result, stack);
  const now = ctx.clock.now();
  const process_ = entry.process ? `process ${entry.process.pid} on ${entry.process.host}` : 'its process';
  const what = outcome
    ? outcome.type === 'never-started'
      ? `; ${outcome.cause}`
      : `; the stack operation it started ended ${'status' in outcome ? outcome.status : outcome.type}`
    : '';
  const note = `recovered by ${localUser()}@${os.hostname()} at ${now.toISOString()}: ${process_} was gone${
    found.broken ? ' (its lock was broken)' : ''
  }${what}`;
  const cause = outcome && 'cause' in outcome && result !== 'succeeded' ? outcome.cause : undefined;
  // The outcome's cause, on the entry and on its hop, comes from CloudFormation: redacted before it is stored.
  return updateHistoryEntry(ctx.state, entry.rack, entry.id, (current) =>
    redactedEntry(ctx, {
      ...current,
      hops,
      result,
      finishedAt: now.toISOString(),
      durationMs: now.getTime() - new Date(current.startedAt).getTime(),
      note: current.note ? `${current.note}; ${note}` : note,
      ...(cause && !current.cause ? { cause } : {}),
      steps: [...current.steps, { at: now.toISOString(), step: 'recovered', detail: result }],
    }),
  ).catch((error: unknown) => {
    ctx.events.emit({
      type: 'warning',
      text: `could not complete the history entry of the ${entry.operation} started ${entry.startedAt}: ${(error as Error).message}`,
    });
    return undefined;
  });
}

/** The hop a marker's stack operation made, as its outcome says; none for a marker without one, or lost sight. */
function markerHop(marker: InFlight, outcome: WriteOutcome, options: { withCause: boolean }): HistoryHop | undefined {
  if (!marker.from || !marker.to || outcome.type === 'lost-sight') return undefined;
  const cause = options.withCause && 'cause' in outcome && outcome.type !== 'never-started' ? outcome.cause : undefined;
  return { from: marker.from, to: marker.to, result: hopResultOf(outcome), ...(cause ? { cause } : {}) };
}

/** A recovered install that created its stack registers the rack; a recovered uninstall forgets it. */
async function settleRegistry(
  ctx: Context,
  rack: Rack,
  entry: HistoryEntry,
  result: HistoryResult,
  stack: StackSummary | undefined,
): Promise<void> {
  if (result !== 'succeeded') return;
  const registered = (await listRacks(ctx.state)).some((r) => r.name === entry.rack);
  if (entry.operation === 'install' && !registered && stack && entry.rack === rack.name) {
    await addRack(ctx.state, { ...rack, stackId: stack.id });
  }
  if (entry.operation === 'uninstall' && registered && !stack) await removeRack(ctx.state, entry.rack);
}

/** A marker left by a rack that kept no entry for it (older versions of rack): one entry saying how it ended. */
async function recordAttached(
  ctx: Context,
  rack: Rack,
  marker: InFlight,
  outcome: WriteOutcome,
): Promise<HistoryEntry | undefined> {
  const result = recoveredResult({ operation: marker.operation, to: marker.to, hops: [] }, outcome);
  return recordEntry(ctx, {
    rack: rack.name,
    stack: rack.stack,
    operation: `${marker.operation} (attached)`,
    startedAt: marker.startedAt,
    finishedAt: ctx.clock.now().toISOString(),
    ...(marker.from ? { from: marker.from } : {}),
    ...(marker.to ? { to: marker.to } : {}),
    ...(marker.channel ? { channel: marker.channel } : {}),
    hops: [markerHop(marker, outcome, { withCause: false })].filter((hop) => hop !== undefined),
    result: result === 'interrupted' && outcome.type === 'succeeded' ? 'succeeded' : result,
  }).catch(() => undefined);
}

/**
 * Change sets rack made (`rack-*`) and nobody executed: AVAILABLE ones could still be executed by mistake and
 * may hold new secret values; FAILED ones are clutter. Ones rack did not make are never touched.
 */
async function deleteLeftovers(ctx: Context, aws: AwsClients, stack: StackSummary): Promise<string[]> {
  let summaries: Awaited<ReturnType<typeof listChangeSets>>;
  try {
    summaries = await listChangeSets(aws, stack.id || stack.name);
  } catch (error) {
    ctx.events.emit({
      type: 'warning',
      text: `could not list the change sets of ${stack.name}: ${(error as Error).message}`,
    });
    return [];
  }
  const leftovers = summaries.filter(
    (s) =>
      s.name.startsWith('rack-') &&
      (!s.stackId || s.stackId === stack.id) &&
      (s.executionStatus === 'AVAILABLE' || s.status === 'FAILED'),
  );
  const deleted: string[] = [];
  for (const leftover of leftovers) {
    try {
      await deleteChangeSet(aws, { id: leftover.id, name: leftover.name, stackName: stack.id || stack.name });
      deleted.push(leftover.name);
    } catch (error) {
      ctx.events.emit({
        type: 'warning',
        text: `could not delete change set ${leftover.name}: ${(error as Error).message}`,
      });
    }
  }
  if (deleted.length > 0) {
    ctx.events.emit({
      type: 'step',
      text: `Deleted ${deleted.length} change set${deleted.length === 1 ? '' : 's'} an earlier rack process made and never executed: ${deleted.join(', ')}.`,
    });
  }
  return deleted;
}
