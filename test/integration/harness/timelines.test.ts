import {
  CancelUpdateStackCommand,
  CloudFormationClient,
  ContinueUpdateRollbackCommand,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStacksCommand,
  paginateDescribeStackEvents,
  UpdateStackCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { SECRET, STACK_TEMPLATE } from './stackTemplate.js';

let aws: LocalAws;
let timelines: Timelines;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
});

afterAll(async () => {
  timelines?.clear();
  await aws?.stop();
});

beforeEach(async () => {
  timelines.clear();
  await aws.reset();
});

const cfn = (maxAttempts = 3): CloudFormationClient => new CloudFormationClient({ ...aws.clientConfig(), maxAttempts });

async function createStack(name: string): Promise<void> {
  await cfn().send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: STACK_TEMPLATE,
      Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
    }),
  );
}

const keep = (key: string) => ({ ParameterKey: key, UsePreviousValue: true });

/** A change set that sets Size; returns its ARN. */
async function changeSet(stack: string, size: string, name = `size-${size}`): Promise<string> {
  const { Id } = await cfn().send(
    new CreateChangeSetCommand({
      StackName: stack,
      ChangeSetName: name,
      ChangeSetType: 'UPDATE',
      UsePreviousTemplate: true,
      Parameters: [keep('Password'), keep('Zones'), { ParameterKey: 'Size', ParameterValue: size }],
    }),
  );
  return Id!;
}

async function execute(stack: string, changeSetId: string, client = cfn()): Promise<void> {
  await client.send(new ExecuteChangeSetCommand({ StackName: stack, ChangeSetName: changeSetId }));
}

async function stackOf(name: string): Promise<Stack> {
  const { Stacks } = await cfn().send(new DescribeStacksCommand({ StackName: name }));
  return Stacks![0]!;
}

const statusOf = async (name: string): Promise<string | undefined> => (await stackOf(name)).StackStatus;
const sizeOf = (stack: Stack): string | undefined =>
  stack.Parameters?.find((p) => p.ParameterKey === 'Size')?.ParameterValue;

async function executionStatus(changeSetId: string): Promise<string | undefined> {
  return (await cfn().send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId }))).ExecutionStatus;
}

/** Every event, following NextToken by hand; newest first, as the API gives them. */
async function allEvents(stack: string): Promise<{ events: StackEvent[]; pages: number[] }> {
  const events: StackEvent[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const out = await cfn().send(new DescribeStackEventsCommand({ StackName: stack, NextToken: token }));
    pages.push(out.StackEvents?.length ?? 0);
    events.push(...(out.StackEvents ?? []));
    token = out.NextToken;
  } while (token);
  return { events, pages };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

const line = (e: StackEvent): string =>
  `${e.LogicalResourceId} ${e.ResourceStatus}${e.ResourceStatusReason ? ` (${e.ResourceStatusReason})` : ''}`;

describe('an update that takes time', () => {
  it('shows UPDATE_IN_PROGRESS at once, then UPDATE_COMPLETE, and reaches moto only at the end', async () => {
    await createStack('slow');
    const id = await changeSet('slow', 'large');
    const update = timelines.script({ stackName: 'slow', inProgressMs: 400, outcome: 'complete' });

    const startedAt = Date.now();
    await execute('slow', id);
    expect(Date.now() - startedAt).toBeLessThan(200);

    const during = await stackOf('slow');
    expect([during.StackStatus, during.StackStatusReason, sizeOf(during)]).toEqual([
      'UPDATE_IN_PROGRESS',
      'User Initiated',
      'small',
    ]);
    expect((await aws.stackParameters('slow')).Size).toBe('small');
    expect(await executionStatus(id)).toBe('EXECUTE_IN_PROGRESS');

    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_COMPLETE' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(390);

    const after = await stackOf('slow');
    expect([after.StackStatus, sizeOf(after)]).toEqual(['UPDATE_COMPLETE', 'large']);
    expect((await aws.stackParameters('slow')).Size).toBe('large');
    expect(await executionStatus(id)).toBe('EXECUTE_COMPLETE');
    expect(update.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(update.executeCalls).toBe(1);
    expect(update.runs).toMatchObject([
      { operation: 'ExecuteChangeSet', stackName: 'slow', status: 'UPDATE_COMPLETE' },
    ]);
  });

  it('without a timeline, moto has finished the update inside the call', async () => {
    await createStack('instant');
    await execute('instant', await changeSet('instant', 'large'));
    const stack = await stackOf('instant');
    expect([stack.StackStatus, sizeOf(stack)]).toEqual(['UPDATE_COMPLETE', 'large']);
  });

  it('can pass through UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, with the write already applied', async () => {
    await createStack('cleanup');
    const update = timelines.script({ stackName: 'cleanup', inProgressMs: 150, cleanupMs: 200, outcome: 'complete' });
    await execute('cleanup', await changeSet('cleanup', 'large'));

    await update.waitFor('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const cleaning = await stackOf('cleanup');
    expect([cleaning.StackStatus, sizeOf(cleaning)]).toEqual(['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'large']);
    await update.finished;
    expect(update.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
  });
});

describe('stack events', () => {
  it('resource events arrive over time and page with NextToken', async () => {
    await createStack('paged');
    const id = await changeSet('paged', 'large');
    const update = timelines.script({
      stackName: 'paged',
      inProgressMs: 490,
      outcome: 'complete',
      resourceEvents: 6,
      eventsPageSize: 3,
    });
    const before = await allEvents('paged');
    await execute('paged', id);

    await new Promise((resolve) => setTimeout(resolve, 180));
    const midway = await allEvents('paged');
    await update.finished;
    const after = await allEvents('paged');

    expect(after.pages.length).toBeGreaterThan(2);
    expect(after.pages.every((size) => size <= 3)).toBe(true);
    const ids = after.events.map((e) => e.EventId);
    expect(new Set(ids).size).toBe(ids.length);
    const times = after.events.map((e) => e.Timestamp!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const known = new Set(before.events.map((e) => e.EventId));
    const operation = after.events.filter((e) => !known.has(e.EventId)).reverse();
    expect(operation.map(line)).toEqual([
      'paged UPDATE_IN_PROGRESS (User Initiated)',
      'Setting UPDATE_IN_PROGRESS',
      'Setting UPDATE_COMPLETE',
      'Setting UPDATE_IN_PROGRESS',
      'Setting UPDATE_COMPLETE',
      'Setting UPDATE_IN_PROGRESS',
      'Setting UPDATE_COMPLETE',
      'paged UPDATE_COMPLETE',
    ]);
    expect(operation[1]).toMatchObject({ ResourceType: 'AWS::SSM::Parameter', PhysicalResourceId: 'paged-size' });
    expect(operation[0]).toMatchObject({ ResourceType: 'AWS::CloudFormation::Stack', StackName: 'paged' });
    const midwayNew = midway.events.filter((e) => !known.has(e.EventId)).length;
    expect(midwayNew).toBeGreaterThan(0);
    expect(midwayNew).toBeLessThan(operation.length);
  });

  it('a reader following NextToken while new events arrive neither repeats nor misses one', async () => {
    await createStack('moving');
    const update = timelines.script({ stackName: 'moving', inProgressMs: 400, outcome: 'complete', eventsPageSize: 2 });
    await execute('moving', await changeSet('moving', 'large'));
    const first = await cfn().send(new DescribeStackEventsCommand({ StackName: 'moving' }));
    await update.finished;

    const rest: StackEvent[] = [];
    for (let token = first.NextToken; token; ) {
      const page = await cfn().send(new DescribeStackEventsCommand({ StackName: 'moving', NextToken: token }));
      rest.push(...(page.StackEvents ?? []));
      token = page.NextToken;
    }
    const { events: everything } = await allEvents('moving');
    const firstIds = (first.StackEvents ?? []).map((e) => e.EventId);
    const index = everything.findIndex((e) => e.EventId === firstIds[firstIds.length - 1]);
    expect(rest.map((e) => e.EventId)).toEqual(everything.slice(index + 1).map((e) => e.EventId));
  });

  it("the SDK's paginator reads them all", async () => {
    await createStack('paginator');
    const update = timelines.script({
      stackName: 'paginator',
      inProgressMs: 150,
      outcome: 'complete',
      resourceEvents: 4,
    });
    await execute('paginator', await changeSet('paginator', 'large'));
    await update.finished;

    const events: StackEvent[] = [];
    for await (const page of paginateDescribeStackEvents({ client: cfn() }, { StackName: 'paginator' }))
      events.push(...(page.StackEvents ?? []));
    const { events: byHand } = await allEvents('paginator');
    expect(events.map((e) => e.EventId)).toEqual(byHand.map((e) => e.EventId));
    expect(aws.proxy.seen({ action: 'DescribeStackEvents' }).length).toBeGreaterThan(4);
  });
});

describe('failures', () => {
  it('an update that fails rolls back: the failing resource and its reason, and moto never sees the write', async () => {
    await createStack('failing');
    const id = await changeSet('failing', 'large');
    const reason = 'Resource handler returned message: "Parameter limit exceeded"';
    const update = timelines.script({
      stackName: 'failing',
      inProgressMs: 200,
      rollbackMs: 150,
      outcome: 'rollback',
      failure: { logicalId: 'Setting', reason },
    });
    await execute('failing', id);

    await update.waitFor('UPDATE_ROLLBACK_IN_PROGRESS');
    const rolling = await stackOf('failing');
    expect([rolling.StackStatus, rolling.StackStatusReason]).toEqual([
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'The following resource(s) failed to update: [Setting]. ',
    ]);
    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_ROLLBACK_COMPLETE' });

    const after = await stackOf('failing');
    expect([after.StackStatus, sizeOf(after)]).toEqual(['UPDATE_ROLLBACK_COMPLETE', 'small']);
    expect((await aws.stackParameters('failing')).Size).toBe('small');
    const { events } = await allEvents('failing');
    expect(events.find((e) => e.ResourceStatus === 'UPDATE_FAILED')).toMatchObject({
      LogicalResourceId: 'Setting',
      ResourceType: 'AWS::SSM::Parameter',
      ResourceStatusReason: reason,
    });
    expect(events[0]).toMatchObject({ LogicalResourceId: 'failing', ResourceStatus: 'UPDATE_ROLLBACK_COMPLETE' });
    expect(await executionStatus(id)).toBe('EXECUTE_FAILED');
    await expect(execute('failing', id)).rejects.toMatchObject({ name: 'InvalidChangeSetStatusException' });
    expect(update.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);

    // The status stays until the next write, which (unscripted) moto applies at once.
    await execute('failing', await changeSet('failing', 'medium'));
    const next = await stackOf('failing');
    expect([next.StackStatus, sizeOf(next)]).toEqual(['UPDATE_COMPLETE', 'medium']);
  });

  it('a rollback that fails leaves UPDATE_ROLLBACK_FAILED, refuses updates, and recovers with ContinueUpdateRollback', async () => {
    await createStack('stuck');
    const update = timelines.script({
      stackName: 'stuck',
      inProgressMs: 200,
      rollbackMs: 150,
      outcome: 'rollback-failed',
      continueRollback: 'needs-skip',
      failure: { logicalId: 'Setting', reason: 'update failed' },
      rollbackFailure: {
        logicalId: 'Setting',
        reason: 'rollback failed: parameter was deleted outside CloudFormation',
      },
    });
    await execute('stuck', await changeSet('stuck', 'large'));
    await expect(update.finished).resolves.toEqual({
      status: 'UPDATE_ROLLBACK_FAILED',
      reason: 'The following resource(s) failed to update: [Setting]. ',
    });
    const { events } = await allEvents('stuck');
    expect(events.slice(0, 2).map(line)).toEqual([
      'stuck UPDATE_ROLLBACK_FAILED (The following resource(s) failed to update: [Setting]. )',
      'Setting UPDATE_FAILED (rollback failed: parameter was deleted outside CloudFormation)',
    ]);

    const refused =
      /Stack:arn:aws:cloudformation:.*:stack\/stuck\/.* is in UPDATE_ROLLBACK_FAILED state and can not be updated\./;
    await expect(changeSet('stuck', 'medium')).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(refused),
    });
    await expect(
      cfn().send(
        new UpdateStackCommand({
          StackName: 'stuck',
          UsePreviousTemplate: true,
          Parameters: [keep('Password'), keep('Zones'), { ParameterKey: 'Size', ParameterValue: 'x' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(refused) });
    await expect(cfn().send(new CancelUpdateStackCommand({ StackName: 'stuck' }))).rejects.toMatchObject({
      name: 'ValidationError',
    });

    // Without skipping the resource that cannot roll back, the rollback fails again.
    await cfn().send(new ContinueUpdateRollbackCommand({ StackName: 'stuck' }));
    expect(await statusOf('stuck')).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    expect(
      await until(
        () => statusOf('stuck'),
        (s) => s !== 'UPDATE_ROLLBACK_IN_PROGRESS',
      ),
    ).toBe('UPDATE_ROLLBACK_FAILED');

    await cfn().send(new ContinueUpdateRollbackCommand({ StackName: 'stuck', ResourcesToSkip: ['Setting'] }));
    expect(
      await until(
        () => statusOf('stuck'),
        (s) => s !== 'UPDATE_ROLLBACK_IN_PROGRESS',
      ),
    ).toBe('UPDATE_ROLLBACK_COMPLETE');

    expect(update.continueRollbacks).toEqual([[], ['Setting']]);
    expect(update.runs.map((r) => [r.operation, r.status])).toEqual([
      ['ExecuteChangeSet', 'UPDATE_ROLLBACK_FAILED'],
      ['ContinueUpdateRollback', 'UPDATE_ROLLBACK_FAILED'],
      ['ContinueUpdateRollback', 'UPDATE_ROLLBACK_COMPLETE'],
    ]);
    expect(
      (await allEvents('stuck')).events.some(
        (e) => e.LogicalResourceId === 'Setting' && /skipped/.test(e.ResourceStatusReason ?? ''),
      ),
    ).toBe(true);
    expect((await aws.stackParameters('stuck')).Size).toBe('small');
    await expect(cfn().send(new ContinueUpdateRollbackCommand({ StackName: 'stuck' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'ContinueUpdateRollback cannot be called from current stack status',
    });
  });

  it('CancelUpdateStack during an update rolls it back, and the write never reaches moto', async () => {
    await createStack('cancelled');
    const id = await changeSet('cancelled', 'large');
    const update = timelines.script({
      stackName: 'cancelled',
      inProgressMs: 900,
      rollbackMs: 150,
      resourceEvents: 1,
      outcome: 'complete',
    });
    const startedAt = Date.now();
    await execute('cancelled', id);
    await until(
      () => allEvents('cancelled'),
      ({ events }) => events[0]?.LogicalResourceId === 'Setting',
    );

    await cfn().send(new CancelUpdateStackCommand({ StackName: 'cancelled' }));
    const cancelling = await stackOf('cancelled');
    expect([cancelling.StackStatus, cancelling.StackStatusReason]).toEqual([
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'Stack update cancelled',
    ]);

    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_ROLLBACK_COMPLETE' });
    expect(Date.now() - startedAt).toBeLessThan(900);
    expect((await aws.stackParameters('cancelled')).Size).toBe('small');
    expect(await executionStatus(id)).toBe('EXECUTE_FAILED');
    expect(update.cancels).toBe(1);
    expect(update.runs[0]).toMatchObject({ cancelled: true, status: 'UPDATE_ROLLBACK_COMPLETE' });
    const { events } = await allEvents('cancelled');
    expect(events.map(line)).toContain('Setting UPDATE_FAILED (Resource update cancelled)');

    await expect(cfn().send(new CancelUpdateStackCommand({ StackName: 'cancelled' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'CancelUpdateStack cannot be called from current stack status',
    });
  });

  it('without timelines, moto implements neither CancelUpdateStack nor ContinueUpdateRollback', async () => {
    await createStack('plain');
    const client = cfn(1);
    for (const command of [
      new CancelUpdateStackCommand({ StackName: 'plain' }),
      new ContinueUpdateRollbackCommand({ StackName: 'plain' }),
    ]) {
      await expect(client.send(command as CancelUpdateStackCommand)).rejects.toMatchObject({
        $metadata: { httpStatusCode: 500 },
      });
    }
  });
});

describe('executing once', () => {
  it('a second ExecuteChangeSet while the first runs is refused as AWS refuses it, and counted', async () => {
    await createStack('twice');
    const id = await changeSet('twice', 'large');
    const update = timelines.script({ stackName: 'twice', inProgressMs: 300, outcome: 'complete' });
    const client = cfn(1);
    await execute('twice', id, client);

    await expect(execute('twice', id, client)).rejects.toMatchObject({
      name: 'InvalidChangeSetStatusException',
      message: expect.stringMatching(
        /^ChangeSet \[arn:aws:cloudformation:.*:changeSet\/size-large\/.*\] cannot be executed in its current execution status of \[EXECUTE_IN_PROGRESS\]$/,
      ),
    });
    await expect(changeSet('twice', 'medium')).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/is in UPDATE_IN_PROGRESS state and can not be updated\.$/),
    });
    expect(update.executeCalls).toBe(2);
    expect(update.runs).toHaveLength(1);

    await update.finished;
    await expect(execute('twice', id, client)).rejects.toMatchObject({
      message: expect.stringMatching(/\[EXECUTE_COMPLETE\]$/),
    });
  });

  it('two ExecuteChangeSet at the same moment: one starts the update, the other is refused', async () => {
    await createStack('racing');
    const id = await changeSet('racing', 'large');
    const update = timelines.script({ stackName: 'racing', inProgressMs: 200, outcome: 'complete' });
    const client = cfn(1);

    const results = await Promise.allSettled([execute('racing', id, client), execute('racing', id, client)]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { name: 'InvalidChangeSetStatusException' },
    });
    expect(update.runs).toHaveLength(1);
    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_COMPLETE' });
  });

  it('without the timeline, moto executes the same change set twice', async () => {
    await createStack('plain-twice');
    const id = await changeSet('plain-twice', 'large');
    await execute('plain-twice', id);
    await expect(execute('plain-twice', id)).resolves.toBeUndefined();
  });

  it('loseAnswers: the operation starts although the client never hears', async () => {
    await createStack('unheard');
    const id = await changeSet('unheard', 'large');
    const update = timelines.script({ stackName: 'unheard', inProgressMs: 300, outcome: 'complete', loseAnswers: 1 });

    await expect(execute('unheard', id, cfn(1))).rejects.toThrow();
    expect(await executionStatus(id)).toBe('EXECUTE_IN_PROGRESS');
    expect(await statusOf('unheard')).toBe('UPDATE_IN_PROGRESS');
    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_COMPLETE' });
    expect(update.executeCalls).toBe(1);
    expect(aws.proxy.seen({ action: 'ExecuteChangeSet' }).map((r) => r.outcome)).toEqual(['dropped']);
  });

  it('faults injected before the script act first: a throttled execute never reaches the timeline', async () => {
    await createStack('throttled');
    const id = await changeSet('throttled', 'large');
    aws.proxy.inject({ service: 'cloudformation', action: 'ExecuteChangeSet', times: 1, fault: { type: 'throttle' } });
    const update = timelines.script({ stackName: 'throttled', inProgressMs: 200, outcome: 'complete' });

    await execute('throttled', id);
    expect(aws.proxy.seen({ action: 'ExecuteChangeSet' }).map((r) => r.outcome)).toEqual(['throttled', 'handled']);
    expect(update.executeCalls).toBe(1);
    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_COMPLETE' });
  });
});

describe('other operations', () => {
  it('UpdateStack is validated at once, then takes its time', async () => {
    await createStack('direct');
    const update = timelines.script({ stackName: 'direct', inProgressMs: 200, outcome: 'complete' });
    const params = (size?: string) => [
      keep('Password'),
      keep('Zones'),
      size === undefined ? keep('Size') : { ParameterKey: 'Size', ParameterValue: size },
    ];

    await expect(
      cfn().send(new UpdateStackCommand({ StackName: 'direct', UsePreviousTemplate: true, Parameters: params() })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'No updates are to be performed.',
    });
    expect(update.runs).toHaveLength(0);

    const { StackId } = await cfn().send(
      new UpdateStackCommand({ StackName: 'direct', UsePreviousTemplate: true, Parameters: params('large') }),
    );
    expect(StackId).toMatch(/:stack\/direct\//);
    expect(await statusOf('direct')).toBe('UPDATE_IN_PROGRESS');
    await expect(
      cfn().send(
        new UpdateStackCommand({ StackName: 'direct', UsePreviousTemplate: true, Parameters: params('medium') }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/UPDATE_IN_PROGRESS state and can not be updated/),
    });
    expect((await aws.stackParameters('direct')).Size).toBe('small');

    await expect(update.finished).resolves.toEqual({ status: 'UPDATE_COMPLETE' });
    expect((await aws.stackParameters('direct')).Size).toBe('large');
    expect(update.executeCalls).toBe(3);
  });

  it('CreateStack and DeleteStack can take their time too', async () => {
    const lifecycle = timelines.script({
      stackName: 'made',
      operations: ['CreateStack', 'DeleteStack'],
      inProgressMs: 150,
      outcome: 'complete',
      times: 2,
    });
    await createStack('made');
    expect(await statusOf('made')).toBe('CREATE_IN_PROGRESS');
    await expect(lifecycle.finished).resolves.toEqual({ status: 'CREATE_COMPLETE' });
    expect(await statusOf('made')).toBe('CREATE_COMPLETE');

    await cfn().send(new DeleteStackCommand({ StackName: 'made' }));
    expect(await statusOf('made')).toBe('DELETE_IN_PROGRESS');
    await lifecycle.waitFor('DELETE_COMPLETE');
    await expect(stackOf('made')).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id made does not exist',
    });
    expect(lifecycle.runs.map((r) => [r.operation, r.status])).toEqual([
      ['CreateStack', 'CREATE_COMPLETE'],
      ['DeleteStack', 'DELETE_COMPLETE'],
    ]);
  });

  it('a script without a stack name plays every update, as benchmarks of waiting use it', async () => {
    await createStack('one');
    await createStack('two');
    const every = timelines.script({ inProgressMs: 200, outcome: 'complete', times: Infinity });
    await Promise.all([
      execute('one', await changeSet('one', 'large')),
      execute('two', await changeSet('two', 'large')),
    ]);

    const { Stacks } = await cfn().send(new DescribeStacksCommand({}));
    expect(Stacks?.map((s) => s.StackStatus)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);
    const ended = await until(
      async () => every.runs.map((r) => r.status),
      (statuses) => statuses.every((s) => s === 'UPDATE_COMPLETE'),
    );
    expect(ended).toEqual(['UPDATE_COMPLETE', 'UPDATE_COMPLETE']);
    expect([await statusOf('one'), await statusOf('two')]).toEqual(['UPDATE_COMPLETE', 'UPDATE_COMPLETE']);
  });

  it("ListStacks shows the timelines' statuses and filters on them, as a poller of many stacks reads them", async () => {
    await createStack('busy');
    await createStack('idle');
    const update = timelines.script({ stackName: 'busy', inProgressMs: 400, outcome: 'complete' });
    await execute('busy', await changeSet('busy', 'large'));
    const inProgress = async () =>
      (
        await cfn().send(new ListStacksCommand({ StackStatusFilter: ['UPDATE_IN_PROGRESS', 'CREATE_IN_PROGRESS'] }))
      ).StackSummaries?.map((s) => [s.StackName, s.StackStatus, s.StackStatusReason]);
    expect(await inProgress()).toEqual([['busy', 'UPDATE_IN_PROGRESS', 'User Initiated']]);
    const all = (await cfn().send(new ListStacksCommand({}))).StackSummaries?.map((s) => s.StackStatus);
    expect(all?.sort()).toEqual(['CREATE_COMPLETE', 'UPDATE_IN_PROGRESS']);
    await update.finished;
    expect(await inProgress()).toEqual([]);
  });

  it('remove() stops a timeline where it is: the stack shows moto again, and the write is never applied', async () => {
    await createStack('abandoned');
    const update = timelines.script({ stackName: 'abandoned', inProgressMs: 5_000, outcome: 'complete' });
    await execute('abandoned', await changeSet('abandoned', 'large'));
    expect(await statusOf('abandoned')).toBe('UPDATE_IN_PROGRESS');

    update.remove();

    await expect(update.finished).resolves.toEqual({ status: 'CLEARED' });
    expect(await statusOf('abandoned')).toBe('CREATE_COMPLETE');
    expect((await aws.stackParameters('abandoned')).Size).toBe('small');
  });
});
