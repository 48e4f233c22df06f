/**
 * `rack cancel`: cancels the rack's update in progress; CloudFormation rolls it back and rack follows the
 * rollback to its end. When the process that runs the update is alive it holds the rack's lock, and the
 * cancel goes on without it (that process sees its update rolled back and records it). When that process
 * is gone, the cancel takes the lock and, at the end, completes the gone process's entry too.
 */
import { cancelUpdateStack, findStack, parameterValue } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { interrupted, usageError } from '../errors.js';
import { finalOutcome, outcomeCause } from '../core/stackStatus.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { isBusyHolder } from './busy.js';
import type { OperationHooks } from './hooks.js';
import { readInFlight } from './inFlight.js';
import { openJournal, type Journal } from './journal.js';
import { withOperation, type Operation } from './operation.js';
import { recoverRack } from './recovery.js';
import { writeFailed } from './stackWrite.js';
import { followStarted, isLostSight } from './stackWait.js';

export interface CancelPlan {
  rack: Rack;
  /** The update being cancelled, as rack started it (when it was rack). */
  from?: string;
  to?: string;
}

export interface CancelOutcome {
  rack: string;
  status: string;
  version?: string;
}

export async function cancelUpdate(
  ctx: Context,
  rackName: string | undefined,
  hooks: OperationHooks<CancelPlan>,
): Promise<CancelOutcome> {
  const rack = await resolveRack(ctx.state, rackName);
  try {
    return await withOperation(ctx, rack, 'cancel', (op) => cancel(ctx, op.rack, hooks, op), { recover: false });
  } catch (error) {
    // The lock is held by a live process: most likely the very update being cancelled.
    if (isBusyHolder(error)) return cancel(ctx, rack, hooks);
    throw error;
  }
}

async function cancel(
  ctx: Context,
  rack: Rack,
  hooks: OperationHooks<CancelPlan>,
  op?: Operation,
): Promise<CancelOutcome> {
  const aws = ctx.aws(rack);
  const stackName = rack.stackId ?? rack.stack;
  const stack = await findStack(aws, stackName);
  if (!stack) throw usageError(`Stack ${rack.stack} does not exist in ${rack.region}.`);
  if (stack.status !== 'UPDATE_IN_PROGRESS') {
    throw usageError(`Stack ${rack.stack} is ${stack.status}: there is no update in progress to cancel.`, {
      untouched: 'Nothing was written.',
      next: `See \`rack status --rack ${rack.name}\`.`,
    });
  }
  const inFlight = await readInFlight(ctx, rack);
  const fields = { ...(inFlight?.from ? { from: inFlight.from } : {}), ...(inFlight?.to ? { to: inFlight.to } : {}) };
  await hooks.confirm({ rack, ...fields });
  const journal: Journal = op ? await op.begin(fields) : await openJournal(ctx, rack, 'cancel', fields);
  try {
    return await cancelAndFollow(ctx, rack, journal, stack.id, op);
  } catch (error) {
    // Inside an operation, withOperation completes the entry; without one (no lock), it is done here.
    if (!op && !journal.finished && !isLostSight(error)) {
      await journal.finish(journal.wrote ? 'failed' : 'cancelled', { cause: (error as Error).message });
    }
    throw error;
  }
}

async function cancelAndFollow(
  ctx: Context,
  rack: Rack,
  journal: Journal,
  stackId: string,
  op: Operation | undefined,
): Promise<CancelOutcome> {
  const aws = ctx.aws(rack);
  if (op) op.beforeWrite(`cancelling the update of ${rack.stack}`);
  else if (ctx.signal.aborted) {
    throw interrupted(`Interrupted before cancelling the update of ${rack.name}.`, {
      untouched: 'The update goes on.',
    });
  }
  const started = ctx.clock.now();
  await cancelUpdateStack(aws, stackId);
  await journal.step('cancel-requested');
  ctx.events.emit({ type: 'step', text: `Cancelled the update of ${rack.name}; CloudFormation is rolling it back.` });
  const result = await followStarted(ctx, aws, journal, { rack: rack.name, stackName: stackId, startedAt: started });
  await journal.step('final-status', result.status);
  const after = await findStack(aws, stackId);
  const version = after ? parameterValue(after, 'Version') : undefined;
  const outcome = finalOutcome('update', result);
  // Holding the lock means the update's own process is gone: finish its entry and marker now.
  if (op) await recoverRack(ctx, op.rack).catch(() => undefined);
  if (outcome.type !== 'rolled-back') {
    await journal.finish('rollback-failed', { cause: outcomeCause(outcome) });
    throw writeFailed(rack, outcome, `Cancelling the update of ${rack.name}`);
  }
  await journal.finish('cancelled', { cause: 'cancelled by the operator' });
  return { rack: rack.name, status: result.status, version };
}
