/**
 * `rack cancel`: cancels the rack's update in progress; CloudFormation rolls it back and rack follows
 * the rollback to its end. It does not take the rack's lock: the process that holds it may be the very
 * update being cancelled.
 */
import { CancelUpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { findStack, parameterValue } from '../aws/cloudformation.js';
import { toRackError } from '../aws/errors.js';
import type { Context } from '../context.js';
import { updateFailed, usageError } from '../errors.js';
import { resolveRack } from '../state/registry.js';
import { clearInFlight, readInFlight, record } from './operation.js';
import { followStack } from './stackWait.js';

export async function cancelUpdate(
  ctx: Context,
  rackName: string | undefined,
): Promise<{ rack: string; status: string; version?: string }> {
  const rack = await resolveRack(ctx.state, rackName);
  const aws = ctx.aws(rack);
  const stack = await findStack(aws, rack.stack);
  if (!stack) throw usageError(`Stack ${rack.stack} does not exist in ${rack.region}.`);
  if (stack.status !== 'UPDATE_IN_PROGRESS') {
    throw usageError(`Stack ${rack.stack} is ${stack.status}: there is no update in progress to cancel.`, {
      untouched: 'Nothing was written.',
      next: `See \`rack status --rack ${rack.name}\`.`,
    });
  }
  const inFlight = await readInFlight(ctx, rack);
  const started = ctx.clock.now();
  const cfn = await aws.cloudformation();
  try {
    await cfn.send(new CancelUpdateStackCommand({ StackName: rack.stack }));
  } catch (error) {
    throw toRackError(error, { doing: `cancelling the update of ${rack.stack}`, untouched: 'The update goes on.' });
  }
  ctx.events.emit({ type: 'step', text: `Cancelled the update of ${rack.name}; CloudFormation is rolling it back.` });
  const result = await followStack(ctx, aws, {
    rack: rack.name,
    stackName: rack.stack,
    since: new Date(started.getTime() - 5 * 60_000),
  });
  const after = await findStack(aws, rack.stack);
  const version = after ? parameterValue(after, 'Version') : undefined;
  const ok = result.status === 'UPDATE_ROLLBACK_COMPLETE';
  await record(ctx, {
    rack: rack.name,
    stack: rack.stack,
    operation: 'cancel',
    startedAt: started.toISOString(),
    finishedAt: ctx.clock.now().toISOString(),
    durationMs: ctx.clock.now().getTime() - started.getTime(),
    from: inFlight?.from,
    to: inFlight?.to,
    hops: [],
    result: ok ? 'cancelled' : 'rollback-failed',
    cause: ok ? 'cancelled by the operator' : (result.firstFailure?.reason ?? result.status),
  });
  await clearInFlight(ctx, rack);
  if (!ok) {
    throw updateFailed(`Cancelling the update of ${rack.name} ended in ${result.status}.`, {
      next: `Run \`rack rollback --rack ${rack.name} --continue\`${result.firstFailure ? ` --skip ${result.firstFailure.logicalId}` : ''}.`,
    });
  }
  return { rack: rack.name, status: result.status, version };
}
