import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  ListChangeSetsCommand,
  type ChangeSetSummary,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { SECRET, STACK_TEMPLATE } from './stackTemplate.js';

// One corrected moto, one without the change-set corrections: the same calls on both show what each fixes.
let corrected: LocalAws;
let plain: LocalAws;
let timelines: Timelines;

beforeAll(async () => {
  [corrected, plain] = await Promise.all([
    startLocalAws(),
    startLocalAws({ without: ['list-change-sets-by-stack', 'change-set-lookup', 'execute-deletes-change-sets'] }),
  ]);
  timelines = scriptTimelines(corrected);
});

afterAll(async () => {
  timelines?.clear();
  await Promise.all([corrected, plain].filter((aws) => aws !== undefined).map((aws) => aws.stop()));
});

beforeEach(async () => {
  timelines.clear();
  await Promise.all([corrected.reset(), plain.reset()]);
});

/** maxAttempts 1: a 500 from plain moto should fail at once, not be retried. */
const cloudFormation = (aws: LocalAws): CloudFormationClient =>
  new CloudFormationClient({ ...aws.clientConfig(), maxAttempts: 1 });

async function createStacks(aws: LocalAws, ...names: string[]): Promise<void> {
  for (const name of names) {
    await cloudFormation(aws).send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: STACK_TEMPLATE,
        Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
      }),
    );
  }
}

/** A change set that sets Size, every other value kept; returns its ARN. */
async function changeSet(aws: LocalAws, stack: string, name: string, size: string, description?: string) {
  const { Id } = await cloudFormation(aws).send(
    new CreateChangeSetCommand({
      StackName: stack,
      ChangeSetName: name,
      ChangeSetType: 'UPDATE',
      UsePreviousTemplate: true,
      Description: description,
      Parameters: [
        { ParameterKey: 'Password', UsePreviousValue: true },
        { ParameterKey: 'Zones', UsePreviousValue: true },
        { ParameterKey: 'Size', ParameterValue: size },
      ],
    }),
  );
  return Id!;
}

async function listed(aws: LocalAws, stack: string): Promise<ChangeSetSummary[]> {
  return (await cloudFormation(aws).send(new ListChangeSetsCommand({ StackName: stack }))).Summaries ?? [];
}

const names = (summaries: ChangeSetSummary[]): string[] =>
  summaries.map((s) => `${s.StackName}/${s.ChangeSetName} ${s.ExecutionStatus}`);

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'succeeded',
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
    }),
  );

describe('list-change-sets-by-stack', () => {
  it("lists the named stack's change sets only, by name or ARN, with AWS's summary fields", async () => {
    await createStacks(corrected, 'one', 'two');
    const id = await changeSet(corrected, 'one', 'rack-a', 'large', 'to large');
    await changeSet(corrected, 'two', 'rack-a', 'medium');
    const summaries = await listed(corrected, 'one');
    expect(names(summaries)).toEqual(['one/rack-a AVAILABLE']);
    const stackId = summaries[0]?.StackId;
    expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:\d+:stack\/one\//);
    expect(summaries[0]).toEqual({
      StackId: stackId,
      StackName: 'one',
      ChangeSetId: id,
      ChangeSetName: 'rack-a',
      ExecutionStatus: 'AVAILABLE',
      Status: 'CREATE_COMPLETE',
      CreationTime: expect.any(Date),
      Description: 'to large',
    });
    expect(names(await listed(corrected, stackId!))).toEqual(names(summaries));
  });

  it('a FAILED change set is listed with its StatusReason', async () => {
    const client = cloudFormation(corrected);
    const template = JSON.stringify({
      ...JSON.parse(STACK_TEMPLATE),
      Parameters: { Size: { Type: 'String', Default: 'small' } },
    });
    await client.send(new CreateStackCommand({ StackName: 'quiet', TemplateBody: template }));
    // Nothing to change (every value already its Default): created FAILED, as on AWS.
    await client.send(
      new CreateChangeSetCommand({
        StackName: 'quiet',
        ChangeSetName: 'rack-nothing',
        ChangeSetType: 'UPDATE',
        UsePreviousTemplate: true,
        Parameters: [],
      }),
    );
    expect(await listed(corrected, 'quiet')).toEqual([
      expect.objectContaining({
        ChangeSetName: 'rack-nothing',
        ExecutionStatus: 'UNAVAILABLE',
        Status: 'FAILED',
        StatusReason: expect.stringMatching(/didn't contain changes/),
      }),
    ]);
  });

  it('a stack that does not exist is a ValidationError', async () => {
    await expect(failure(listed(corrected, 'nope'))).resolves.toEqual({
      name: 'ValidationError',
      message: 'Stack [nope] does not exist',
      status: 400,
    });
  });

  it("is needed: plain moto lists every stack's change sets", async () => {
    await createStacks(plain, 'one', 'two');
    await changeSet(plain, 'one', 'rack-a', 'large');
    await changeSet(plain, 'two', 'rack-b', 'medium');
    expect(names(await listed(plain, 'one'))).toEqual(['one/rack-a AVAILABLE', 'two/rack-b AVAILABLE']);
    expect(await listed(plain, 'nope')).toHaveLength(2);
  });
});

describe('change-set-lookup', () => {
  it("a name is looked up among the named stack's change sets: execute updates that stack", async () => {
    await createStacks(corrected, 'one', 'two');
    await changeSet(corrected, 'one', 'rack-same', 'large');
    await changeSet(corrected, 'two', 'rack-same', 'medium');
    const client = cloudFormation(corrected);

    const described = await client.send(new DescribeChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-same' }));
    expect(described.StackName).toBe('one');
    await client.send(new ExecuteChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-same' }));

    expect((await corrected.stackParameters('one')).Size).toBe('large');
    expect((await corrected.stackParameters('two')).Size).toBe('small');
  });

  it('is needed: plain moto takes the last change set of that name, and updates the other stack', async () => {
    await createStacks(plain, 'one', 'two');
    await changeSet(plain, 'one', 'rack-same', 'large');
    await changeSet(plain, 'two', 'rack-same', 'medium');
    const client = cloudFormation(plain);

    const described = await client.send(new DescribeChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-same' }));
    expect(described.StackName).toBe('two');
    await client.send(new ExecuteChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-same' }));
    expect((await plain.stackParameters('one')).Size).toBe('small');
    expect((await plain.stackParameters('two')).Size).toBe('medium');
  });

  it('a change set that does not exist: ChangeSetNotFound to describe or execute, gone already to delete', async () => {
    await createStacks(corrected, 'one');
    const client = cloudFormation(corrected);
    const notFound = {
      name: 'ChangeSetNotFoundException',
      message: 'ChangeSet [rack-gone] does not exist',
      status: 404,
    };
    await expect(
      failure(client.send(new DescribeChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-gone' }))),
    ).resolves.toEqual(notFound);
    await expect(
      failure(client.send(new ExecuteChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-gone' }))),
    ).resolves.toEqual(notFound);
    await expect(
      failure(client.send(new DeleteChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-gone' }))),
    ).resolves.toBe('succeeded');
    await expect(failure(client.send(new DescribeChangeSetCommand({ ChangeSetName: 'rack-gone' })))).resolves.toEqual({
      name: 'ValidationError',
      message: 'StackName must be specified if ChangeSetName is not specified as an ARN.',
      status: 400,
    });
  });

  it('is needed: plain moto answers a ValidationError about a stack, or HTTP 500', async () => {
    await createStacks(plain, 'one');
    const client = cloudFormation(plain);
    await expect(
      failure(client.send(new DescribeChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-gone' }))),
    ).resolves.toMatchObject({ name: 'ValidationError', message: 'Stack with id rack-gone does not exist' });
    await expect(
      failure(client.send(new DeleteChangeSetCommand({ StackName: 'one', ChangeSetName: 'rack-gone' }))),
    ).resolves.toMatchObject({ status: 500 });
  });
});

describe('execute-deletes-change-sets', () => {
  it("executing a change set deletes the stack's others; other stacks keep theirs", async () => {
    await createStacks(corrected, 'one', 'two');
    const executed = await changeSet(corrected, 'one', 'rack-a', 'large');
    const other = await changeSet(corrected, 'one', 'rack-b', 'medium');
    await changeSet(corrected, 'two', 'rack-c', 'medium');
    const client = cloudFormation(corrected);

    await client.send(new ExecuteChangeSetCommand({ StackName: 'one', ChangeSetName: executed }));

    expect(names(await listed(corrected, 'one'))).toEqual(['one/rack-a EXECUTE_COMPLETE']);
    expect(names(await listed(corrected, 'two'))).toEqual(['two/rack-c AVAILABLE']);
    await expect(
      failure(client.send(new DescribeChangeSetCommand({ StackName: 'one', ChangeSetName: other }))),
    ).resolves.toMatchObject({ name: 'ChangeSetNotFoundException' });
    // Deleting a leftover that CloudFormation already removed succeeds, as on AWS.
    await client.send(new DeleteChangeSetCommand({ StackName: 'one', ChangeSetName: other }));
  });

  it('is needed: plain moto keeps them, still AVAILABLE', async () => {
    await createStacks(plain, 'one');
    const executed = await changeSet(plain, 'one', 'rack-a', 'large');
    await changeSet(plain, 'one', 'rack-b', 'medium');
    await cloudFormation(plain).send(new ExecuteChangeSetCommand({ StackName: 'one', ChangeSetName: executed }));
    expect(names(await listed(plain, 'one'))).toEqual(['one/rack-a EXECUTE_COMPLETE', 'one/rack-b AVAILABLE']);
  });
});

describe('scripted timelines: ListChangeSets shows what DescribeChangeSet shows', () => {
  async function statuses(stack: string, id: string): Promise<{ listed: string[]; described?: string }> {
    const described = await cloudFormation(corrected).send(new DescribeChangeSetCommand({ ChangeSetName: id }));
    return { listed: names(await listed(corrected, stack)), described: described.ExecutionStatus };
  }

  it('EXECUTE_IN_PROGRESS during the update (the others deleted at once), EXECUTE_COMPLETE after', async () => {
    await createStacks(corrected, 'slow');
    const id = await changeSet(corrected, 'slow', 'rack-a', 'large');
    await changeSet(corrected, 'slow', 'rack-b', 'medium');
    const update = timelines.script({ stackName: 'slow', inProgressMs: 400, outcome: 'complete' });

    await cloudFormation(corrected).send(new ExecuteChangeSetCommand({ StackName: 'slow', ChangeSetName: id }));
    expect(await statuses('slow', id)).toEqual({
      listed: ['slow/rack-a EXECUTE_IN_PROGRESS'],
      described: 'EXECUTE_IN_PROGRESS',
    });

    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_COMPLETE' });
    expect(await statuses('slow', id)).toEqual({
      listed: ['slow/rack-a EXECUTE_COMPLETE'],
      described: 'EXECUTE_COMPLETE',
    });
  });

  it('EXECUTE_FAILED after a rollback, although the write never reached moto', async () => {
    await createStacks(corrected, 'failing');
    const id = await changeSet(corrected, 'failing', 'rack-a', 'large');
    const update = timelines.script({ stackName: 'failing', inProgressMs: 200, outcome: 'rollback' });

    await cloudFormation(corrected).send(new ExecuteChangeSetCommand({ StackName: 'failing', ChangeSetName: id }));
    await expect(update.finished).resolves.toMatchObject({ status: 'UPDATE_ROLLBACK_COMPLETE' });

    expect(await statuses('failing', id)).toEqual({
      listed: ['failing/rack-a EXECUTE_FAILED'],
      described: 'EXECUTE_FAILED',
    });
    expect((await corrected.stackParameters('failing')).Size).toBe('small');
  });
});
