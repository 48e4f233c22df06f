/**
 * CloudFormation change sets and templates, typed for rack. Every write to a rack's stack is a change
 * set: it can be shown before it runs, and its ExecutionStatus tells whether an execute whose answer
 * was lost did happen, so an execute is never retried blindly.
 */
import {
  ListChangeSetsCommand,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  GetTemplateSummaryCommand,
  type Change,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import type { Clock } from '../io/clock.js';
import type { AwsClients } from './clients.js';
import { refused } from '../errors.js';
import { awsErrorMessage, awsErrorName, toRackError } from './errors.js';

export interface ResourceChange {
  action: string;
  logicalId: string;
  physicalId?: string;
  type: string;
  /** 'True' | 'False' | 'Conditional' — whether the resource is replaced (for Modify). */
  replacement?: string;
  scope: string[];
}

export interface ChangeSetRef {
  id: string;
  name: string;
  stackName: string;
}

export interface ChangeSetResult extends ChangeSetRef {
  /** False when CloudFormation found nothing to change (the change set is already deleted). */
  hasChanges: boolean;
  changes: ResourceChange[];
  statusReason?: string;
}

export type TemplateSource = { body: string } | { url: string } | { usePrevious: true };

export interface CreateChangeSetInput {
  /** Called as soon as CloudFormation has the change set, before it is ready: whoever must clean up knows it. */
  onCreated?: (ref: ChangeSetRef) => void;
  stackName: string;
  name: string;
  description?: string;
  template: TemplateSource;
  parameters: Parameter[];
  roleArn?: string;
  /**
   * Rollback triggers and their monitoring time. Absent: the stack's saved ones apply, as CloudFormation does;
   * an empty list of triggers removes them.
   */
  rollback?: { triggers: ReadonlyArray<{ arn: string; type: string }>; monitoringMinutes: number };
}

const NO_CHANGES = /didn't contain changes|No updates are to be performed|no changes/i;

export async function createChangeSet(
  aws: AwsClients,
  clock: Clock,
  input: CreateChangeSetInput,
): Promise<ChangeSetResult> {
  // An update with no Parameters reverts every parameter to its default on AWS: never send one.
  if (input.parameters.length === 0) {
    throw new Error(`refusing to create change set ${input.name} with an empty parameter list`);
  }
  const cfn = await aws.cloudformation();
  const ref = { id: '', name: input.name, stackName: input.stackName };
  try {
    const out = await cfn.send(
      new CreateChangeSetCommand({
        StackName: input.stackName,
        ChangeSetName: input.name,
        // Always explicit: without it some implementations create a new stack instead of updating.
        ChangeSetType: 'UPDATE',
        Description: input.description,
        ...('body' in input.template ? { TemplateBody: input.template.body } : {}),
        ...('url' in input.template ? { TemplateURL: input.template.url } : {}),
        ...('usePrevious' in input.template ? { UsePreviousTemplate: true } : {}),
        Parameters: input.parameters,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        ...(input.roleArn ? { RoleARN: input.roleArn } : {}),
        ...(input.rollback
          ? {
              RollbackConfiguration: {
                RollbackTriggers: input.rollback.triggers.map((t) => ({ Arn: t.arn, Type: t.type })),
                MonitoringTimeInMinutes: input.rollback.monitoringMinutes,
              },
            }
          : {}),
      }),
    );
    ref.id = out.Id ?? input.name;
    input.onCreated?.(ref);
  } catch (error) {
    // A retry after a lost answer finds the change set its first attempt made: that is the one.
    if (awsErrorName(error) === 'AlreadyExistsException') {
      ref.id = input.name;
      input.onCreated?.(ref);
      return waitForChangeSet(aws, clock, ref);
    }
    // Some endpoints answer "No updates are to be performed." at creation instead of a FAILED change set.
    if (awsErrorName(error) === 'ValidationError' && NO_CHANGES.test(awsErrorMessage(error))) {
      return { ...ref, hasChanges: false, changes: [], statusReason: awsErrorMessage(error) };
    }
    // CloudFormation's own validation (a parameter, a capability, the template) refused the change.
    if (awsErrorName(error) === 'ValidationError' || awsErrorName(error) === 'InsufficientCapabilitiesException') {
      throw refused(`CloudFormation refused the change to ${input.stackName}: ${awsErrorMessage(error)}`, {
        untouched: 'Nothing was written to the stack.',
        next: 'Correct what CloudFormation names, then run the command again.',
        details: { reason: 'cloudformation-validation' },
      });
    }
    throw toRackError(error, {
      doing: `creating a change set for ${input.stackName}`,
      untouched: 'Nothing was written to the stack.',
    });
  }
  return waitForChangeSet(aws, clock, ref);
}

async function waitForChangeSet(aws: AwsClients, clock: Clock, ref: ChangeSetRef): Promise<ChangeSetResult> {
  const cfn = await aws.cloudformation();
  let delay = 200;
  for (let attempt = 0; attempt < 120; attempt++) {
    const out = await cfn
      .send(new DescribeChangeSetCommand({ StackName: ref.stackName, ChangeSetName: ref.id }))
      .catch((error) => {
        throw toRackError(error, {
          doing: `reading change set ${ref.name}`,
          untouched: 'Nothing was written to the stack.',
        });
      });
    const status = out.Status ?? '';
    if (status === 'CREATE_COMPLETE') {
      return {
        ...ref,
        hasChanges: true,
        changes: await allChanges(aws, ref, out.Changes ?? [], out.NextToken),
        statusReason: out.StatusReason,
      };
    }
    if (status === 'FAILED') {
      if (NO_CHANGES.test(out.StatusReason ?? '')) {
        await deleteChangeSet(aws, ref).catch(() => undefined);
        return { ...ref, hasChanges: false, changes: [], statusReason: out.StatusReason };
      }
      await deleteChangeSet(aws, ref).catch(() => undefined);
      throw toRackError(
        Object.assign(new Error(out.StatusReason ?? 'change set failed'), { name: 'ChangeSetFailed' }),
        {
          doing: `creating a change set for ${ref.stackName}`,
          untouched: 'Nothing was written to the stack.',
        },
      );
    }
    await clock.sleep(delay);
    delay = Math.min(2000, delay * 1.5);
  }
  throw toRackError(new Error('the change set did not finish creating in time'), {
    doing: `creating change set ${ref.name}`,
  });
}

async function allChanges(
  aws: AwsClients,
  ref: ChangeSetRef,
  first: Change[],
  nextToken: string | undefined,
): Promise<ResourceChange[]> {
  const cfn = await aws.cloudformation();
  const changes = [...first];
  let token = nextToken;
  while (token) {
    const page = await cfn.send(
      new DescribeChangeSetCommand({ StackName: ref.stackName, ChangeSetName: ref.id, NextToken: token }),
    );
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
  }
  return changes.map(toResourceChange);
}

function toResourceChange(change: Change): ResourceChange {
  const rc = change.ResourceChange ?? {};
  return {
    action: rc.Action ?? 'Unknown',
    logicalId: rc.LogicalResourceId ?? '',
    physicalId: rc.PhysicalResourceId,
    type: rc.ResourceType ?? '',
    replacement: rc.Replacement,
    scope: rc.Scope ?? [],
  };
}

export type ExecuteOutcome = 'started' | 'already-executed';

/**
 * Executes a change set. After an error or a lost answer the change set's ExecutionStatus is read
 * first: if CloudFormation started it, that is success; only a change set still AVAILABLE is retried.
 */
export async function executeChangeSet(
  aws: AwsClients,
  ref: ChangeSetRef,
  options: { attempts?: number } = {},
): Promise<ExecuteOutcome> {
  const cfn = await aws.cloudformationOnce();
  const attempts = options.attempts ?? 4;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) {
      const status = await executionStatus(aws, ref);
      if (status === undefined || (status !== 'AVAILABLE' && status !== 'UNAVAILABLE')) return 'already-executed';
      if (status === 'UNAVAILABLE') break;
    }
    try {
      // This client does not retry by itself: a retry must follow the status check above.
      await cfn.send(new ExecuteChangeSetCommand({ StackName: ref.stackName, ChangeSetName: ref.id }));
      return 'started';
    } catch (error) {
      lastError = error;
      const name = awsErrorName(error);
      if (name === 'InvalidChangeSetStatus' || name === 'InvalidChangeSetStatusException') {
        const status = await executionStatus(aws, ref);
        if (status && status !== 'AVAILABLE') return 'already-executed';
      }
      if (!isRetryable(error)) break;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
  throw toRackError(lastError, {
    doing: `executing change set ${ref.name} on ${ref.stackName}`,
    untouched: 'The change set was not executed.',
  });
}

function isRetryable(error: unknown): boolean {
  const name = awsErrorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    /Throttl|TooManyRequests|RequestTimeout|TimeoutError|ECONNRESET|socket hang up|EPIPE/i.test(
      `${name} ${awsErrorMessage(error)}`,
    ) ||
    (status !== undefined && status >= 500) ||
    status === undefined
  );
}

/** The change set's ExecutionStatus, or undefined once it is gone (executed change sets may be removed). */
export async function executionStatus(aws: AwsClients, ref: ChangeSetRef): Promise<string | undefined> {
  const cfn = await aws.cloudformation();
  try {
    const out = await cfn.send(new DescribeChangeSetCommand({ StackName: ref.stackName, ChangeSetName: ref.id }));
    return out.ExecutionStatus;
  } catch (error) {
    const name = awsErrorName(error);
    // Some endpoints answer a ValidationError "... does not exist" for a change set that is gone.
    if (name === 'ChangeSetNotFound' || name === 'ChangeSetNotFoundException') return undefined;
    if (name === 'ValidationError' && /does not exist/i.test(awsErrorMessage(error))) return undefined;
    throw toRackError(error, { doing: `reading change set ${ref.name}` });
  }
}

export interface ChangeSetSummary {
  id: string;
  name: string;
  stackId?: string;
  status?: string;
  executionStatus?: string;
  description?: string;
  created?: Date;
}

/** The stack's change sets (every page). */
export async function listChangeSets(aws: AwsClients, stackName: string): Promise<ChangeSetSummary[]> {
  const cfn = await aws.cloudformation();
  const found: ChangeSetSummary[] = [];
  let token: string | undefined;
  do {
    const out = await cfn.send(new ListChangeSetsCommand({ StackName: stackName, NextToken: token })).catch((error) => {
      throw toRackError(error, { doing: `listing the change sets of ${stackName}` });
    });
    for (const summary of out.Summaries ?? []) {
      found.push({
        id: summary.ChangeSetId ?? summary.ChangeSetName ?? '',
        name: summary.ChangeSetName ?? '',
        stackId: summary.StackId,
        status: summary.Status,
        executionStatus: summary.ExecutionStatus,
        description: summary.Description,
        created: summary.CreationTime,
      });
    }
    token = out.NextToken;
  } while (token);
  return found;
}

export async function deleteChangeSet(aws: AwsClients, ref: ChangeSetRef): Promise<void> {
  const cfn = await aws.cloudformation();
  await cfn
    .send(new DeleteChangeSetCommand({ StackName: ref.stackName, ChangeSetName: ref.id || ref.name }))
    .catch((error) => {
      // Gone already (a retry after a lost answer, or CloudFormation removed it): that is what was asked.
      const name = awsErrorName(error);
      if (name === 'ChangeSetNotFound' || name === 'ChangeSetNotFoundException') return;
      if (name === 'ValidationError' && /does not exist/i.test(awsErrorMessage(error))) return;
      throw toRackError(error, { doing: `deleting change set ${ref.name}` });
    });
}

export async function currentTemplateBody(aws: AwsClients, stackName: string): Promise<string> {
  const cfn = await aws.cloudformation();
  try {
    const out = await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
    const body = out.TemplateBody;
    return typeof body === 'string' ? body : JSON.stringify(body);
  } catch (error) {
    throw toRackError(error, { doing: `reading the template of ${stackName}` });
  }
}

/** NoEcho keys as CloudFormation itself reports them, for a stack or a template. */
export async function noEchoKeysFromSummary(
  aws: AwsClients,
  source: { stackName: string } | { body: string } | { url: string },
): Promise<Array<{ ParameterKey: string; NoEcho: boolean }>> {
  const cfn = await aws.cloudformation();
  try {
    const out = await cfn.send(
      new GetTemplateSummaryCommand(
        'stackName' in source
          ? { StackName: source.stackName }
          : 'body' in source
            ? { TemplateBody: source.body }
            : { TemplateURL: source.url },
      ),
    );
    return (out.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey ?? '', NoEcho: Boolean(p.NoEcho) }));
  } catch (error) {
    throw toRackError(error, { doing: 'reading the template summary', untouched: 'Nothing was written to the stack.' });
  }
}
