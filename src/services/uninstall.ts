/**
 * `rack uninstall`: deletes a rack's stack and forgets the rack, keeping its history. The settings bucket
 * is emptied first, since CloudFormation cannot delete a bucket that holds objects (it holds the rack's
 * keys, so the confirmation says so). A stack with termination protection is refused, never unprotected
 * by rack: turning protection off is a deliberate act of its own.
 */
import { findStack, parameterValue, type StackSummary } from '../aws/cloudformation.js';
import { countBucketObjects, deleteStack, emptyBucket } from '../aws/stacks.js';
import type { Context } from '../context.js';
import { busy, RackError, refused, updateFailed } from '../errors.js';
import { finalOutcome, isInProgress, outcomeCause } from '../core/stackStatus.js';
import { historyKey } from '../state/history.js';
import { removeRack, resolveRack, type Rack } from '../state/registry.js';
import type { OperationHooks } from './hooks.js';
import { withOperation, type Operation } from './operation.js';
import { existingEventIds, followStarted, isLostSight } from './stackWait.js';

export interface UninstallPlan {
  rack: Rack;
  /** False when the stack no longer exists: only the registry entry goes. */
  stackExists: boolean;
  stackStatus?: string;
  version?: string;
  settingsBucket?: string;
  /** Object versions and delete markers in the settings bucket; undefined when it has none or is gone. */
  settingsObjects?: number;
}

export interface UninstallOutcome {
  rack: string;
  stack: string;
  region: string;
  outcome: 'uninstalled' | 'forgotten';
  objectsDeleted: number;
  /** Where the rack's history stays. */
  history: string;
  durationMs: number;
}

/** Failed creations have no outputs: there is no settings bucket to find, nor to empty. */
const hasNoOutputs = (status: string) => /^ROLLBACK_(COMPLETE|FAILED)$/.test(status);

/** Reads the stack and refuses what must not be deleted. Writes nothing. */
async function planUninstall(ctx: Context, rack: Rack): Promise<UninstallPlan> {
  const aws = ctx.aws(rack);
  const stack = await findStack(aws, rack.stackId ?? rack.stack);
  if (!stack) return { rack, stackExists: false };
  refuseUndeletable(rack, stack);
  const settingsBucket = stack.outputs.SettingsBucket || undefined;
  if (!settingsBucket && !hasNoOutputs(stack.status)) {
    throw refused(
      `Stack ${stack.name} has no SettingsBucket output, so rack cannot empty the rack's settings bucket before deleting it.`,
      {
        untouched: 'Nothing was deleted.',
        next: 'Check that this stack is a rack (see "The rack template contract"); delete it yourself if it is not.',
      },
    );
  }
  return {
    rack,
    stackExists: true,
    stackStatus: stack.status,
    version: parameterValue(stack, 'Version'),
    ...(settingsBucket ? { settingsBucket, settingsObjects: await countBucketObjects(aws, settingsBucket) } : {}),
  };
}

function refuseUndeletable(rack: Rack, stack: StackSummary): void {
  if (stack.terminationProtection) {
    throw refused(`Stack ${stack.name} has termination protection on; rack will not delete it.`, {
      untouched: 'Nothing was deleted: the stack, its settings bucket and the registry entry are as they were.',
      next: `If the rack really is to go, turn protection off with \`aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name ${stack.name} --region ${rack.region}\`, then run \`rack uninstall ${rack.name}\` again.`,
      details: { reason: 'termination-protection', stack: stack.name },
    });
  }
  // A deletion already under way (an uninstall that stopped following) is finished, not refused.
  if (isInProgress(stack.status) && stack.status !== 'DELETE_IN_PROGRESS') {
    throw busy(`Stack ${stack.name} is in ${stack.status}; rack will not delete it in the middle of an operation.`, {
      untouched: 'Nothing was deleted.',
      next: `Wait for it to finish (\`rack status --rack ${rack.name}\`), then try again.`,
    });
  }
}

/**
 * `rack uninstall` as one operation: a deletion a killed uninstall started is followed to its end first (and
 * the rack forgotten), else confirm, empty the settings bucket, delete the stack and forget the rack.
 */
export async function runUninstall(
  ctx: Context,
  name: string,
  hooks: OperationHooks<UninstallPlan>,
): Promise<{ plan: UninstallPlan; outcome: UninstallOutcome }> {
  const rack = await resolveRack(ctx.state, name);
  return withOperation(
    ctx,
    rack,
    'uninstall',
    async (op) => {
      const done = op.recovery.recovered.find((e) => e.operation === 'uninstall' && e.result === 'succeeded');
      if (done) {
        const plan: UninstallPlan = { rack: op.rack, stackExists: false };
        return {
          plan,
          outcome: {
            rack: op.rack.name,
            stack: op.rack.stack,
            region: op.rack.region,
            outcome: 'uninstalled',
            objectsDeleted: 0,
            history: ctx.state.describe(historyKey(op.rack.name)),
            durationMs: 0,
          },
        };
      }
      const plan = await planUninstall(ctx, op.rack);
      await hooks.confirm(plan);
      await op.begin({ ...(plan.version ? { from: plan.version } : {}), channel: op.rack.channel });
      return { plan, outcome: await executeUninstall(op, plan) };
    },
    { onAttach: hooks.onAttach },
  );
}

async function executeUninstall(op: Operation, plan: UninstallPlan): Promise<UninstallOutcome> {
  const { ctx } = op;
  const { rack } = plan;
  const aws = ctx.aws(rack);
  const journal = op.journal!;
  const outcome = (kind: UninstallOutcome['outcome'], objectsDeleted: number): UninstallOutcome => ({
    rack: rack.name,
    stack: rack.stack,
    region: rack.region,
    outcome: kind,
    objectsDeleted,
    history: ctx.state.describe(historyKey(rack.name)),
    durationMs: ctx.clock.now().getTime() - journal.startedAt.getTime(),
  });

  if (!plan.stackExists) {
    op.beforeWrite(`removing ${rack.name} from the registry`);
    await removeRack(ctx.state, rack.name);
    await journal.step('unregistered', rack.name);
    await journal.finish('succeeded', {
      note: `stack ${rack.stack} no longer existed in ${rack.region}; the rack was removed from the registry`,
    });
    return outcome('forgotten', 0);
  }

  let objectsDeleted = 0;
  if (plan.settingsBucket) {
    op.beforeWrite(`emptying the settings bucket ${plan.settingsBucket}`);
    ctx.events.emit({ type: 'step', text: `Emptying the settings bucket ${plan.settingsBucket}.` });
    objectsDeleted = await emptyBucket(aws, plan.settingsBucket);
    await journal.step('bucket-emptied', `${objectsDeleted} objects of ${plan.settingsBucket}`);
    ctx.events.emit({
      type: 'step',
      text: `Deleted ${objectsDeleted} object${objectsDeleted === 1 ? '' : 's'} from ${plan.settingsBucket}.`,
    });
  }

  const stackName = rack.stackId ?? rack.stack;
  ctx.events.emit({ type: 'step', text: `Deleting stack ${rack.stack} in ${rack.region}.` });
  const seen = await existingEventIds(aws, stackName);
  op.beforeWrite(`deleting stack ${rack.stack}`);
  await op.startInFlight({ operation: 'uninstall', ...(plan.version ? { from: plan.version } : {}) }, () =>
    deleteStack(aws, stackName, rack.roleArn),
  );
  await journal.step('stack-delete-requested', rack.stack);
  const result = await followStarted(ctx, aws, journal, {
    rack: rack.name,
    stackName,
    startedAt: journal.startedAt,
    seen,
    deleting: true,
  }).catch((error: unknown) => {
    if (isLostSight(error)) {
      throw new RackError(
        (error as RackError).kind,
        `Stopped following the deletion of ${rack.stack}: ${(error as Error).message}`,
        {
          exitCode: (error as RackError).exitCode,
          untouched: 'CloudFormation keeps deleting the stack; the rack is still registered.',
          next: `Run \`rack uninstall ${rack.name}\` again to follow the deletion to its end and remove the rack from the registry.`,
          details: (error as RackError).details,
        },
      );
    }
    throw error;
  });
  await journal.step('final-status', result.status);
  await op.clearInFlight();

  const deleted = finalOutcome('delete', result);
  if (deleted.type !== 'succeeded') {
    const cause = outcomeCause(deleted);
    await journal.finish('failed', { cause });
    throw updateFailed(`The deletion of ${rack.stack} failed (${result.status}); cause: ${cause}.`, {
      untouched: `The rack is still registered${objectsDeleted ? `; the ${objectsDeleted} objects of its settings bucket were deleted` : ''}.`,
      next: `Fix the cause (see the events above), then run \`rack uninstall ${rack.name}\` again.`,
      details: { status: result.status, firstFailure: result.firstFailure },
    });
  }

  await removeRack(ctx.state, rack.name);
  await journal.step('unregistered', rack.name);
  await journal.finish('succeeded', {
    note: `deleted stack ${rack.stack} and ${objectsDeleted} settings object${objectsDeleted === 1 ? '' : 's'}`,
  });
  return outcome('uninstalled', objectsDeleted);
}
