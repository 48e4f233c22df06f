/**
 * Every CloudFormation write rack makes goes through here: `rack params set`, each hop of `rack update`
 * and `rack rollback`, and `rack instances keyroll`. A write is planned by the parameter-safety layer
 * (core/parameterPlan), prepared as a change set that can be shown and discarded, and only then
 * executed and followed. A refusal happens before any call that writes.
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
import type { Context } from '../context.js';
import { busy, updateFailed } from '../errors.js';
import { readRackStack } from './rackStack.js';

export { missingStack, readRackStack } from './rackStack.js';
import {
  hasChanges,
  planParametersOrRefuse,
  type MigrationChanges,
  type ParameterPlan,
  type UnrecoverableParameter,
} from '../core/parameterPlan.js';
import { mergeNoEchoFromSummary, noEchoKeysOf, parseTemplate, type RackTemplate } from '../core/template.js';
import type { Rack } from '../state/registry.js';
import { existingEventIds, followStack, isInProgress, type WaitResult } from './stackWait.js';
import { sha256 } from './releases.js';
import { sendableTemplate } from './templateTransport.js';

export interface WriteRequest {
  rack: Rack;
  /** The template to move to: its body (a release's, with its verified sha256) or the stack's current one. */
  target: { body: string; url?: string; origin: string; sha256?: string } | { usePrevious: true };
  userChanges?: Record<string, string>;
  migrationChanges?: MigrationChanges;
  unrecoverable?: UnrecoverableParameter[];
  /** Short words for the change set's name and description, e.g. "params-set" or "update-1.2.0". */
  purpose: string;
}

export interface PreparedWrite {
  request: WriteRequest;
  aws: AwsClients;
  stack: StackSummary;
  template: RackTemplate;
  plan: ParameterPlan;
  /** Undefined when the plan changes nothing and the template stays: no change set was made. */
  changeSet?: ChangeSetResult;
}

/** True when applying the write would change nothing on the stack. */
export function nothingToChange(prepared: PreparedWrite): boolean {
  return !prepared.changeSet || !prepared.changeSet.hasChanges;
}

export async function prepareWrite(ctx: Context, request: WriteRequest): Promise<PreparedWrite> {
  const aws = ctx.aws(request.rack);
  const stack = await readRackStack(ctx, request.rack, aws);
  if (isInProgress(stack.status)) {
    throw busy(`Stack ${stack.name} is in ${stack.status}; rack will not start another operation on it.`, {
      untouched: 'Nothing was written.',
      next: `Wait for it to finish (\`rack status --rack ${request.rack.name}\` follows it), then try again.`,
    });
  }

  const targetBody = 'body' in request.target ? request.target.body : await currentTemplateBody(aws, stack.name);
  const origin = 'body' in request.target ? request.target.origin : `the current template of ${stack.name}`;
  const sent =
    'body' in request.target
      ? await sendableTemplate(ctx, aws, {
          body: targetBody,
          sha256: request.target.sha256 ?? sha256(targetBody),
          origin,
        })
      : undefined;
  // The current template's summary serves as the target's when the template stays the same.
  const currentSummaryRead = noEchoKeysFromSummary(aws, { stackName: stack.name });
  const [targetSummary, currentSummary] = await Promise.all([
    sent ? noEchoKeysFromSummary(aws, sent) : currentSummaryRead,
    currentSummaryRead,
  ]);
  const parsed = parseTemplate(targetBody, origin);
  const declarations = mergeNoEchoFromSummary(parsed.parameters, targetSummary);
  const noEchoKeys = [...new Set([...noEchoKeysOf(declarations, targetSummary), ...noEchoKeysOf([], currentSummary)])];

  // Defence in depth: whatever an endpoint returned for a secret key must never be printed.
  for (const p of stack.parameters) if (noEchoKeys.includes(p.key)) ctx.logger.addSecret(p.value);
  for (const key of noEchoKeys) {
    ctx.logger.addSecret(request.userChanges?.[key]);
    ctx.logger.addSecret(request.migrationChanges?.set?.[key]);
  }

  const plan = planParametersOrRefuse({
    declarations,
    stack: stack.parameters,
    noEchoKeys,
    userChanges: request.userChanges,
    migrationChanges: request.migrationChanges,
    unrecoverable: request.unrecoverable,
  });
  for (const warning of plan.warnings) ctx.events.emit({ type: 'warning', text: warning });

  const template = { ...parsed, parameters: declarations };
  if (!hasChanges(plan) && 'usePrevious' in request.target) {
    return { request, aws, stack, template, plan };
  }

  const source: TemplateSource =
    'usePrevious' in request.target ? { usePrevious: true } : request.target.url ? { url: request.target.url } : sent!;
  const stamp = ctx.clock
    .now()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const changeSet = await createChangeSet(aws, ctx.clock, {
    stackName: stack.name,
    name: `rack-${request.purpose.replace(/[^a-zA-Z0-9-]/g, '-')}-${stamp}`.slice(0, 128),
    description: `rack ${request.purpose}`,
    template: source,
    parameters: plan.parameters,
    roleArn: request.rack.roleArn,
  });
  return { request, aws, stack, template, plan, changeSet };
}

export async function discardWrite(prepared: PreparedWrite): Promise<void> {
  if (prepared.changeSet?.hasChanges) await deleteChangeSet(prepared.aws, prepared.changeSet);
}

export interface AppliedWrite extends WaitResult {
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Executes the prepared change set and follows the stack to the end of the operation. A rollback ends
 * in exit 6 with the failing resource and its reason.
 */
export async function applyWrite(ctx: Context, prepared: PreparedWrite, what: string): Promise<AppliedWrite> {
  const changeSet = prepared.changeSet;
  if (!changeSet?.hasChanges) throw new Error('applyWrite called without changes');
  const { rack } = prepared.request;
  const seen = await existingEventIds(prepared.aws, rack.stack);
  const startedAt = ctx.clock.now();
  await executeChangeSet(prepared.aws, changeSet);
  const result = await followStack(ctx, prepared.aws, {
    rack: rack.name,
    stackName: rack.stack,
    // Allow for clock skew between this machine and AWS; events seen before are excluded by id.
    since: new Date(startedAt.getTime() - 5 * 60_000),
    seen,
  });
  const applied = { ...result, startedAt, finishedAt: ctx.clock.now() };
  if (result.status !== 'UPDATE_COMPLETE') throw operationFailed(rack, result, what);
  return applied;
}

export function operationFailed(rack: Rack, result: WaitResult, what: string) {
  const cause = result.firstFailure
    ? `${result.firstFailure.logicalId} (${result.firstFailure.resourceType}): ${result.firstFailure.reason ?? result.firstFailure.status}`
    : (result.statusReason ?? result.status);
  const rolledBack = result.status === 'UPDATE_ROLLBACK_COMPLETE';
  const failedRollback = result.status === 'UPDATE_ROLLBACK_FAILED';
  return updateFailed(
    rolledBack
      ? `${what} failed and was rolled back; cause: ${cause}.`
      : failedRollback
        ? `${what} failed and CloudFormation could not roll it back (UPDATE_ROLLBACK_FAILED); cause: ${cause}.`
        : `${what} ended in ${result.status}; cause: ${cause}.`,
    {
      untouched: rolledBack ? 'The stack is back to its previous template and parameters.' : undefined,
      next: failedRollback
        ? `Fix the cause, then run \`rack rollback --rack ${rack.name} --continue${result.firstFailure ? ` --skip ${result.firstFailure.logicalId}` : ''}\`.`
        : `See the events above; fix the cause and run the command again.`,
      details: { status: result.status, firstFailure: result.firstFailure },
    },
  );
}
