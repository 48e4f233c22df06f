/**
 * Typed reads of CloudFormation stacks. Parameter values come back exactly as the API returned them:
 * for NoEcho keys that is a mask on AWS, but may be the real secret on a misbehaving endpoint, so
 * callers must treat every value of a NoEcho key as untouchable (see core/parameterPlan).
 */
import {
  CancelUpdateStackCommand,
  ContinueUpdateRollbackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListStacksCommand,
  type Stack,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import type { AwsClients } from './clients.js';
import { isStackMissing, toRackError } from './errors.js';

export interface StackParameter {
  key: string;
  value?: string;
}

export interface StackSummary {
  name: string;
  id: string;
  status: string;
  statusReason?: string;
  parameters: StackParameter[];
  outputs: Record<string, string>;
  terminationProtection: boolean;
  lastUpdated?: Date;
  created?: Date;
  /** The alarm ARNs of the rollback triggers CloudFormation keeps for the stack's next updates. */
  rollbackTriggers?: string[];
}

function summarize(stack: Stack): StackSummary {
  return {
    name: stack.StackName ?? '',
    id: stack.StackId ?? '',
    status: stack.StackStatus ?? 'UNKNOWN',
    statusReason: stack.StackStatusReason,
    parameters: (stack.Parameters ?? []).map((p) => ({ key: p.ParameterKey ?? '', value: p.ParameterValue })),
    outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
    terminationProtection: Boolean(stack.EnableTerminationProtection),
    lastUpdated: stack.LastUpdatedTime,
    created: stack.CreationTime,
    rollbackTriggers: (stack.RollbackConfiguration?.RollbackTriggers ?? []).flatMap((t) => (t.Arn ? [t.Arn] : [])),
  };
}

/**
 * The stack, or undefined when it does not exist. By StackId, a deleted stack is still described (as
 * DELETE_COMPLETE): it does not exist either.
 */
export async function findStack(aws: AwsClients, stackName: string): Promise<StackSummary | undefined> {
  const cfn = await aws.cloudformation();
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    return stack && stack.StackStatus !== 'DELETE_COMPLETE' ? summarize(stack) : undefined;
  } catch (error) {
    if (isStackMissing(error)) return undefined;
    throw toRackError(error, { doing: `reading stack ${stackName} in ${aws.target.region}` });
  }
}

/** Every stack of the account in the client's region that is not deleted, page by page. */
export async function describeAllStacks(aws: AwsClients): Promise<StackSummary[]> {
  const cfn = await aws.cloudformation();
  const stacks: StackSummary[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const out = await cfn.send(new DescribeStacksCommand({ NextToken }));
      stacks.push(...(out.Stacks ?? []).map(summarize));
      NextToken = out.NextToken;
    } while (NextToken);
  } catch (error) {
    throw toRackError(error, { doing: `listing the stacks in ${aws.target.region}` });
  }
  return stacks;
}

export interface StackProgress {
  id: string;
  name: string;
  status: string;
  statusReason?: string;
}

/**
 * Every stack of the account and region in one of `statuses` (ListStacks with that StackStatusFilter, every
 * page): one call watches any number of stacks in progress, where DescribeStacks would take one each.
 */
export async function stacksIn(aws: AwsClients, statuses: readonly string[]): Promise<StackProgress[]> {
  const cfn = await aws.cloudformation();
  const found: StackProgress[] = [];
  let token: string | undefined;
  do {
    const out = await cfn
      .send(new ListStacksCommand({ StackStatusFilter: [...statuses] as StackStatus[], NextToken: token }))
      .catch((error) => {
        throw toRackError(error, { doing: `listing the stacks in progress in ${aws.target.region}` });
      });
    for (const summary of out.StackSummaries ?? []) {
      found.push({
        id: summary.StackId ?? '',
        name: summary.StackName ?? '',
        status: summary.StackStatus ?? 'UNKNOWN',
        ...(summary.StackStatusReason ? { statusReason: summary.StackStatusReason } : {}),
      });
    }
    token = out.NextToken;
  } while (token);
  return found;
}

export function parameterValue(stack: StackSummary, key: string): string | undefined {
  return stack.parameters.find((p) => p.key === key)?.value;
}

export interface StackResource {
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
}

export async function stackResources(aws: AwsClients, stackName: string): Promise<StackResource[]> {
  const cfn = await aws.cloudformation();
  try {
    const out = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
    return (out.StackResources ?? []).map((r) => ({
      logicalId: r.LogicalResourceId ?? '',
      physicalId: r.PhysicalResourceId ?? '',
      type: r.ResourceType ?? '',
      status: r.ResourceStatus ?? '',
    }));
  } catch (error) {
    throw toRackError(error, { doing: `listing the resources of stack ${stackName}` });
  }
}

/** Asks CloudFormation to finish a rollback that failed, skipping the resources named. */
export async function continueUpdateRollback(
  aws: AwsClients,
  input: { stackName: string; skip: readonly string[]; roleArn?: string },
): Promise<void> {
  const cfn = await aws.cloudformation();
  try {
    await cfn.send(
      new ContinueUpdateRollbackCommand({
        StackName: input.stackName,
        ResourcesToSkip: input.skip.length ? [...input.skip] : undefined,
        RoleARN: input.roleArn,
      }),
    );
  } catch (error) {
    throw toRackError(error, {
      doing: `continuing the rollback of ${input.stackName}`,
      untouched: 'The stack is still UPDATE_ROLLBACK_FAILED.',
    });
  }
}

/** Cancels the stack's update in progress: CloudFormation rolls it back. */
export async function cancelUpdateStack(aws: AwsClients, stackName: string): Promise<void> {
  const cfn = await aws.cloudformation();
  try {
    await cfn.send(new CancelUpdateStackCommand({ StackName: stackName }));
  } catch (error) {
    throw toRackError(error, { doing: `cancelling the update of ${stackName}`, untouched: 'The update goes on.' });
  }
}
