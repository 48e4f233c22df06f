/**
 * Every CloudFormation write rack makes to a rack's stack goes through here: `rack params set`, each hop
 * of `rack update` and `rack rollback`, and `rack instances keyroll`. A write is planned by the
 * parameter-safety layer (core/parameterPlan), prepared as a change set that can be shown and discarded,
 * and only then executed and followed — inside an operation (services/operation.ts), which checks for an
 * interrupt or a lost lock before each call that writes and records each step in the journal.
 */
import type { StackSummary } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import {
  createChangeSet,
  currentTemplateBody,
  deleteChangeSet,
  executeChangeSet,
  noEchoKeysFromSummary,
  type ChangeSetResult,
  type TemplateSource,
} from '../aws/changeSets.js';
import { busy, refused, updateFailed } from '../errors.js';
import { readRackStack } from './rackStack.js';

export { readRackStack } from './rackStack.js';
import {
  hasChanges,
  planParametersOrRefuse,
  type MigrationChanges,
  type ParameterPlan,
  type UnrecoverableParameter,
} from '../core/parameterPlan.js';
import {
  acceptsUpdates,
  finalOutcome,
  hopResultOf,
  isInProgress,
  outcomeCause,
  outcomeResult,
  stackPhase,
  type WriteOutcome,
} from '../core/stackStatus.js';
import { mergeNoEchoFromSummary, noEchoKeysOf, parseTemplate, type RackTemplate } from '../core/template.js';
import type { HistoryHop } from '../state/history.js';
import type { Rack } from '../state/registry.js';
import type { Operation } from './operation.js';
import { sha256 } from '../core/digest.js';
import { firedAlarm, type RackAlarm, rollbackSettings } from './rollbackAlarms.js';
import { existingEventIds, followStarted, type WaitResult } from './stackWait.js';
import { sendableTemplate, type SentTemplate } from './templateTransport.js';
import { templateBytes, transportFor } from '../core/templateSize.js';

/** What GetTemplateSummary says of each parameter: whether CloudFormation treats it as NoEcho. */
type NoEchoSummary = Awaited<ReturnType<typeof noEchoKeysFromSummary>>;

export interface WriteRequest {
  rack: Rack;
  /** The template to move to: its body (a release's, with its verified sha256) or the stack's current one. */
  target: { body: string; url?: string; origin: string; sha256?: string } | { usePrevious: true };
  userChanges?: Record<string, string>;
  migrationChanges?: MigrationChanges;
  unrecoverable?: UnrecoverableParameter[];
  /** Short words for the change set's name and description, e.g. "params-set" or "update-1.2.0". */
  purpose: string;
  /** false: no alarm rollback triggers (and the stack's saved ones cleared), for `rack rollback`. */
  rollbackTriggers?: false;
  /** The stack and its template's summary, when the caller read them just before (under the same lock). */
  current?: { stack: StackSummary; summary: NoEchoSummary };
}

export interface PreparedWrite {
  request: WriteRequest;
  aws: AwsClients;
  stack: StackSummary;
  template: RackTemplate;
  plan: ParameterPlan;
  /** Undefined when the plan changes nothing and the template stays: no change set was made. */
  changeSet?: ChangeSetResult;
  /** The alarms the change set carries as rollback triggers (the health gate waits for them to be OK). */
  alarms: RackAlarm[];
}

/** True when applying the write would change nothing on the stack. */
export function nothingToChange(prepared: PreparedWrite): boolean {
  return !prepared.changeSet?.hasChanges;
}

/** Refuses a stack that cannot take an update now, naming what to do instead. */
export function requireUpdatable(rack: Rack, stack: StackSummary): void {
  if (isInProgress(stack.status)) {
    // Under the rack's lock, after recovery followed any operation rack started: this one is someone else's.
    throw busy(
      `Stack ${stack.name} is in ${stack.status}, an operation rack did not start; rack will not start another operation on it.`,
      {
        untouched: 'Nothing was written.',
        next: 'Wait for it to finish (see the CloudFormation console or `aws cloudformation describe-stack-events`), then try again.',
      },
    );
  }
  if (stackPhase(stack.status) === 'rollback-failed') {
    throw refused(`Stack ${stack.name} is ${stack.status}: an update failed and so did its rollback.`, {
      untouched: 'Nothing was written.',
      next: `Finish the rollback first with \`rack rollback --rack ${rack.name} --continue\` (add --skip <logicalId> for a resource that cannot be rolled back), then try again.`,
      details: { status: stack.status },
    });
  }
  if (!acceptsUpdates(stack.status)) {
    throw refused(`Stack ${stack.name} is ${stack.status}; CloudFormation does not update a stack in that state.`, {
      untouched: 'Nothing was written.',
      next: `See \`rack status --rack ${rack.name}\`.`,
      details: { status: stack.status },
    });
  }
}

export async function prepareWrite(op: Operation, request: WriteRequest): Promise<PreparedWrite> {
  const { ctx } = op;
  const aws = ctx.aws(request.rack);
  const stack = request.current?.stack ?? (await readRackStack(ctx, request.rack, aws));
  requireUpdatable(request.rack, stack);

  const targetBody = 'body' in request.target ? request.target.body : await currentTemplateBody(aws, stack.name);
  const origin = 'body' in request.target ? request.target.origin : `the current template of ${stack.name}`;
  const parsed = parseTemplate(targetBody, origin);
  // The current template's summary serves as the target's when the template stays the same.
  const currentSummaryRead = request.current
    ? Promise.resolve(request.current.summary)
    : noEchoKeysFromSummary(aws, { stackName: stack.name });
  const planWith = (targetSummary: NoEchoSummary, currentSummary: NoEchoSummary) => {
    const declarations = mergeNoEchoFromSummary(parsed.parameters, targetSummary);
    const noEchoKeys = [
      ...new Set([...noEchoKeysOf(declarations, targetSummary), ...noEchoKeysOf([], currentSummary)]),
    ];
    // Defence in depth: whatever an endpoint returned for a secret key must never be printed.
    for (const p of stack.parameters) if (noEchoKeys.includes(p.key)) ctx.logger.addSecret(p.value);
    for (const key of noEchoKeys) {
      ctx.logger.addSecret(request.userChanges?.[key]);
      ctx.logger.addSecret(request.migrationChanges?.set?.[key]);
    }
    const planned = planParametersOrRefuse({
      declarations,
      stack: stack.parameters,
      noEchoKeys,
      userChanges: request.userChanges,
      migrationChanges: request.migrationChanges,
      unrecoverable: request.unrecoverable,
    });
    return { declarations, plan: planned };
  };

  let sent: SentTemplate | undefined;
  if ('body' in request.target) {
    const large = transportFor(templateBytes(targetBody)) !== 'inline';
    // A template too large to send inline goes to S3 before CloudFormation can summarise it: whatever the
    // template itself says is refused first, so that a refusal writes nothing anywhere.
    if (large) planWith([], await currentSummaryRead);
    sent = await sendableTemplate(
      ctx,
      aws,
      { body: targetBody, sha256: request.target.sha256 ?? sha256(targetBody), origin },
      async (what) => {
        op.beforeWrite(what);
        await op.beforeFirstWrite();
      },
    );
  }
  const [targetSummary, currentSummary] = await Promise.all([
    sent ? noEchoKeysFromSummary(aws, sent) : currentSummaryRead,
    currentSummaryRead,
  ]);
  const { declarations, plan } = planWith(targetSummary, currentSummary);
  for (const warning of plan.warnings) ctx.events.emit({ type: 'warning', text: warning });

  const template = { ...parsed, parameters: declarations };
  if (!hasChanges(plan) && 'usePrevious' in request.target) {
    return { request, aws, stack, template, plan, alarms: [] };
  }
  const rollback = await rollbackSettings(aws, request.rack, stack, { triggers: request.rollbackTriggers });

  const source: TemplateSource =
    'usePrevious' in request.target ? { usePrevious: true } : request.target.url ? { url: request.target.url } : sent!;
  const stamp = ctx.clock
    .now()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const name = `rack-${request.purpose.replace(/[^a-zA-Z0-9-]/g, '-')}-${stamp}`.slice(0, 128);
  op.beforeWrite(`creating change set ${name}`);
  await op.beforeFirstWrite();
  const changeSet = await createChangeSet(aws, ctx.clock, {
    stackName: stack.name,
    name,
    description: `rack ${request.purpose}`,
    template: source,
    parameters: plan.parameters,
    roleArn: request.rack.roleArn,
    ...(rollback.configuration ? { rollback: rollback.configuration } : {}),
    // Tracked from the moment it exists, so that a second Ctrl-C while it is being made deletes it too.
    onCreated: (ref) => op.track(aws, ref),
  }).catch((error: unknown) => {
    op.untrack({ id: '', name, stackName: stack.name });
    throw error;
  });
  if (changeSet.hasChanges) await op.journal?.step('change-set-made', changeSet.name);
  else op.untrack(changeSet);
  return { request, aws, stack, template, plan, changeSet, alarms: rollback.alarms };
}

/** Deletes the prepared change set (a dry run, a declined plan). */
export async function discardWrite(op: Operation, prepared: PreparedWrite): Promise<void> {
  const changeSet = prepared.changeSet;
  if (!changeSet?.hasChanges) return;
  await deleteChangeSet(prepared.aws, changeSet);
  op.untrack(changeSet);
}

export interface AppliedWrite {
  outcome: WriteOutcome;
  result: WaitResult;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Executes the prepared change set and follows the stack to the end of the operation, under the in-flight
 * marker. The outcome is a tagged value: succeeded, rolled back, rollback failed. When rack stops following
 * (Ctrl-C, lost credentials, a stack it cannot read for long) it throws a "lost sight" error
 * (`isLostSight`) and leaves the marker, so that the next command attaches to the operation.
 */
export async function executeWrite(
  op: Operation,
  prepared: PreparedWrite,
  hop?: Pick<HistoryHop, 'from' | 'to'>,
): Promise<AppliedWrite> {
  const { ctx } = op;
  const changeSet = prepared.changeSet;
  if (!changeSet?.hasChanges) throw new Error('executeWrite called without changes');
  const { rack } = prepared.request;
  const stackName = prepared.stack.id || rack.stack;
  const seen = await existingEventIds(prepared.aws, stackName);
  op.beforeWrite(`executing change set ${changeSet.name}`);
  const startedAt = ctx.clock.now();
  // executeChangeSet checks the change set's status before it gives up: when it throws, it was not executed.
  await op.startInFlight(
    {
      operation: op.name,
      ...(hop ? { from: hop.from, to: hop.to } : {}),
      changeSetId: changeSet.id,
      changeSetName: changeSet.name,
    },
    () => executeChangeSet(prepared.aws, changeSet),
  );
  op.untrack(changeSet);
  await op.journal?.step('executed', changeSet.name);
  const result = await followStarted(ctx, prepared.aws, op.journal, { rack: rack.name, stackName, startedAt, seen });
  let outcome = finalOutcome('update', result);
  if (outcome.type === 'rolled-back' || outcome.type === 'rollback-failed') {
    // CloudFormation rolled it back for a trigger: the alarm is the cause to name.
    const alarm = await firedAlarm(prepared.aws, prepared.alarms, result);
    if (alarm) outcome = { ...outcome, cause: `alarm ${alarm} went to ALARM (a rollback trigger)` };
  }
  const finishedAt = ctx.clock.now();
  await op.journal?.step(
    'final-status',
    result.status,
    hop
      ? {
          ...hop,
          result: hopResultOf(outcome),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          ...('cause' in outcome ? { cause: outcome.cause } : {}),
        }
      : undefined,
  );
  await op.clearInFlight();
  return { outcome, result, startedAt, finishedAt };
}

/**
 * Completes the operation's entry with how the write failed and gives the error to throw (exit 6): the
 * history's word for the outcome, its cause, and a note of what was being changed.
 */
export async function failedWrite(op: Operation, outcome: WriteOutcome, what: string, note?: string) {
  await op.journal?.finish(outcomeResult(outcome), { cause: outcomeCause(outcome), ...(note ? { note } : {}) });
  return writeFailed(op.rack, outcome, what);
}

/** The error for a write that ended in a known failure (exit 6), naming the failing resource and what to do. */
export function writeFailed(rack: Rack, outcome: WriteOutcome, what: string) {
  const cause = 'cause' in outcome ? outcome.cause : outcome.type;
  const status = 'status' in outcome ? outcome.status : undefined;
  const firstFailure = 'firstFailure' in outcome ? outcome.firstFailure : undefined;
  const rolledBack = outcome.type === 'rolled-back';
  const failedRollback = outcome.type === 'rollback-failed';
  return updateFailed(
    rolledBack
      ? `${what} failed and was rolled back; cause: ${cause}.`
      : failedRollback
        ? `${what} failed and CloudFormation could not roll it back (${status}); cause: ${cause}.`
        : `${what} ended in ${status ?? outcome.type}; cause: ${cause}.`,
    {
      untouched: rolledBack ? 'The stack is back to its previous template and parameters.' : undefined,
      next: failedRollback
        ? `Fix the cause, then run \`rack rollback --rack ${rack.name} --continue${firstFailure ? ` --skip ${firstFailure.logicalId}` : ''}\`.`
        : `See the events above; fix the cause and run the command again.`,
      details: { status, firstFailure, outcome: outcome.type },
    },
  );
}
