/**
 * The rollback-triggers correction: an update whose RollbackConfiguration names an alarm in ALARM (or one that
 * does not exist) rolls back, at once inside moto, and at any moment of a scripted timeline's update and
 * monitoring time; the configuration is shown by DescribeChangeSet and DescribeStacks and kept for the next
 * update. Plain moto ignores all of it.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../harness/localAws.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { SECRET, STACK_TEMPLATE } from './stackTemplate.js';

let corrected: LocalAws;
let plain: LocalAws;
let timelines: Timelines;
let plainTimelines: Timelines;

beforeAll(async () => {
  [corrected, plain] = await Promise.all([startLocalAws(), startLocalAws({ without: ['rollback-triggers'] })]);
  timelines = scriptTimelines(corrected);
  plainTimelines = scriptTimelines(plain);
});
afterAll(async () => {
  timelines?.clear();
  plainTimelines?.clear();
  await Promise.all([corrected, plain].filter(Boolean).map((aws) => aws.stop()));
});
beforeEach(async () => {
  timelines.clear();
  plainTimelines.clear();
  await Promise.all([corrected.reset(), plain.reset()]);
});

const cfn = (aws: LocalAws) => new CloudFormationClient({ ...aws.clientConfig(), maxAttempts: 1 });
const cloudwatch = (aws: LocalAws) => new CloudWatchClient({ ...aws.clientConfig(), maxAttempts: 1 });

async function stackWithAlarm(aws: LocalAws, name: string): Promise<string> {
  await cfn(aws).send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: STACK_TEMPLATE,
      Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
    }),
  );
  await cloudwatch(aws).send(
    new PutMetricAlarmCommand({
      AlarmName: `${name}-errors`,
      MetricName: 'Errors',
      Namespace: 'Rack',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  return `arn:aws:cloudwatch:${aws.region}:123456789012:alarm:${name}-errors`;
}

const alarm = (aws: LocalAws, name: string, state: 'ALARM' | 'OK') =>
  cloudwatch(aws).send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'test' }));

async function changeSet(aws: LocalAws, stack: string, size: string, configuration?: object): Promise<string> {
  const { Id } = await cfn(aws).send(
    new CreateChangeSetCommand({
      StackName: stack,
      ChangeSetName: `size-${size}`,
      ChangeSetType: 'UPDATE',
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'Password', UsePreviousValue: true },
        { ParameterKey: 'Zones', UsePreviousValue: true },
        { ParameterKey: 'Size', ParameterValue: size },
      ],
      ...(configuration ? { RollbackConfiguration: configuration } : {}),
    }),
  );
  return Id!;
}

const stackOf = async (aws: LocalAws, name: string) =>
  (await cfn(aws).send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;

const triggers = (arn: string, minutes = 0) => ({
  RollbackTriggers: [{ Arn: arn, Type: 'AWS::CloudWatch::Alarm' }],
  MonitoringTimeInMinutes: minutes,
});

describe('rollback-triggers: inside moto', () => {
  it('rolls back an update whose trigger is in ALARM, naming the alarm, and keeps the configuration', async () => {
    const arn = await stackWithAlarm(corrected, 'guarded');
    await alarm(corrected, 'guarded-errors', 'ALARM');
    const id = await changeSet(corrected, 'guarded', 'large', triggers(arn, 5));
    const described = await cfn(corrected).send(new DescribeChangeSetCommand({ ChangeSetName: id }));
    expect(described.RollbackConfiguration).toEqual(triggers(arn, 5));

    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: id }));
    const stack = await stackOf(corrected, 'guarded');
    expect(stack.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(stack.Parameters?.find((p) => p.ParameterKey === 'Size')?.ParameterValue).toBe('small');
    expect(stack.RollbackConfiguration).toEqual(triggers(arn, 5));
    const events = (await cfn(corrected).send(new DescribeStackEventsCommand({ StackName: 'guarded' }))).StackEvents!;
    expect(events.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      `The following rollback trigger(s) are in ALARM state: [${arn}]. `,
    );

    // The stack's saved triggers apply to the next update that names none.
    const next = await changeSet(corrected, 'guarded', 'medium');
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: next }));
    expect((await stackOf(corrected, 'guarded')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    // An empty list removes them.
    await alarm(corrected, 'guarded-errors', 'ALARM');
    const cleared = await changeSet(corrected, 'guarded', 'tiny', { RollbackTriggers: [] });
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: cleared }));
    expect((await stackOf(corrected, 'guarded')).StackStatus).toBe('UPDATE_COMPLETE');
  });

  it('rolls back for a trigger whose alarm does not exist, and completes while the alarm is OK', async () => {
    const arn = await stackWithAlarm(corrected, 'calm');
    const ok = await changeSet(corrected, 'calm', 'large', triggers(arn));
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: ok }));
    expect((await stackOf(corrected, 'calm')).StackStatus).toBe('UPDATE_COMPLETE');
    const missing = await changeSet(corrected, 'calm', 'medium', triggers(`${arn}-gone`));
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: missing }));
    expect((await stackOf(corrected, 'calm')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
  });

  it('plain moto ignores the configuration: the update completes with its alarm in ALARM', async () => {
    const arn = await stackWithAlarm(plain, 'guarded');
    await alarm(plain, 'guarded-errors', 'ALARM');
    const id = await changeSet(plain, 'guarded', 'large', triggers(arn, 5));
    expect((await cfn(plain).send(new DescribeChangeSetCommand({ ChangeSetName: id }))).RollbackConfiguration).toBe(
      undefined,
    );
    await cfn(plain).send(new ExecuteChangeSetCommand({ ChangeSetName: id }));
    expect((await stackOf(plain, 'guarded')).StackStatus).toBe('UPDATE_COMPLETE');
  });
});

describe('rollback-triggers: in scripted timelines', () => {
  it('an alarm going to ALARM mid-update rolls it back with the reason naming it', async () => {
    const arn = await stackWithAlarm(corrected, 'mid');
    const update = timelines.script({ stackName: 'mid', inProgressMs: 1500, outcome: 'complete' });
    const id = await changeSet(corrected, 'mid', 'large', triggers(arn));
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: id }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await stackOf(corrected, 'mid')).StackStatus).toBe('UPDATE_IN_PROGRESS');
    await alarm(corrected, 'mid-errors', 'ALARM');
    await update.waitFor('UPDATE_ROLLBACK_IN_PROGRESS', 5000);
    expect((await stackOf(corrected, 'mid')).StackStatusReason).toBe(
      `The following rollback trigger(s) are in ALARM state: [${arn}]. `,
    );
    expect(await update.finished).toEqual({ status: 'UPDATE_ROLLBACK_COMPLETE' });
    expect((await stackOf(corrected, 'mid')).Parameters?.find((p) => p.ParameterKey === 'Size')?.ParameterValue).toBe(
      'small',
    );
  });

  it('watches through the monitoring time after the resources are done, then completes', async () => {
    const arn = await stackWithAlarm(corrected, 'late');
    const update = timelines.script({
      stackName: 'late',
      inProgressMs: 300,
      outcome: 'complete',
      monitorMinuteMs: 400,
      times: 2,
    });
    const first = await changeSet(corrected, 'late', 'large', triggers(arn, 2));
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: first }));
    const started = Date.now();
    expect(await update.finished).toEqual({ status: 'UPDATE_COMPLETE' });
    // 300 ms of update, then 2 "minutes" of 400 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    const second = await changeSet(corrected, 'late', 'medium', triggers(arn, 2));
    await cfn(corrected).send(new ExecuteChangeSetCommand({ ChangeSetName: second }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await stackOf(corrected, 'late')).StackStatus).toBe('UPDATE_IN_PROGRESS');
    await alarm(corrected, 'late-errors', 'ALARM');
    await update.waitFor('UPDATE_ROLLBACK_COMPLETE', 5000);
    expect((await stackOf(corrected, 'late')).Parameters?.find((p) => p.ParameterKey === 'Size')?.ParameterValue).toBe(
      'large',
    );
  });

  it('without the correction, a timeline plays on whatever the alarm says', async () => {
    const arn = await stackWithAlarm(plain, 'mid');
    const update = plainTimelines.script({ stackName: 'mid', inProgressMs: 800, outcome: 'complete' });
    const id = await changeSet(plain, 'mid', 'large', triggers(arn));
    await cfn(plain).send(new ExecuteChangeSetCommand({ ChangeSetName: id }));
    await alarm(plain, 'mid-errors', 'ALARM');
    expect(await update.finished).toEqual({ status: 'UPDATE_COMPLETE' });
  });
});
