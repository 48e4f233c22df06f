/**
 * Alarm rollback triggers against the local AWS (with the rollback-triggers correction): every change set of
 * a rack carries its alarms (`--alarm`, and the template's RollbackAlarms output) with its monitoring time;
 * an alarm going to ALARM mid-update rolls the update back, rack exits 6 naming it, and the sync halts the
 * release; the health gate waits for the alarms to be OK; `rack rollback` goes back without them.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ListChangeSetsCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../harness/localAws.js';
import { templateBody } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { fleet, PASSWORD, rolloutChannels } from './fixtures.js';

let aws: LocalAws;
let timelines: Timelines;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
});
afterEach(() => {
  timelines.clear();
  aws.proxy.clear();
});
afterAll(async () => aws?.stop());

const cloudwatch = () => new CloudWatchClient({ ...aws.clientConfig(), maxAttempts: 2 });
const cfn = () => new CloudFormationClient({ ...aws.clientConfig(), maxAttempts: 2 });

async function putAlarm(name: string): Promise<string> {
  await cloudwatch().send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      MetricName: '5xx',
      Namespace: 'Rack',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  return `arn:aws:cloudwatch:${aws.region}:123456789012:alarm:${name}`;
}

const setAlarm = (name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA') =>
  cloudwatch().send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'test' }));

const rollbackConfiguration = async (stack: string) =>
  (await cfn().send(new DescribeStacksCommand({ StackName: stack }))).Stacks![0]!.RollbackConfiguration;

const CANARY_FIRST = `rollout:
  bake: 0m
  waves:
    - name: canary
      selector: {tier: canary}
    - name: rest
      percent: 100
`;

describe('alarm rollback triggers', () => {
  it('an alarm going to ALARM mid-update rolls it back: exit 6 naming the alarm, and the sync halts the release', async () => {
    const channels = await rolloutChannels({ rollout: CANARY_FIRST });
    const arn = await putAlarm('canary-5xx');
    const f = await fleet(aws, channels, {
      canary: { labels: ['tier=canary'], extra: ['--alarm', 'canary-5xx', '--monitor', '1'] },
      other: { labels: ['tier=prod'] },
    });
    const update = timelines.script({
      stackName: f.stacks.canary,
      inProgressMs: 2500,
      outcome: 'complete',
      monitorMinuteMs: 1000,
    });
    timelines.script({ inProgressMs: 100, outcome: 'complete', times: Infinity });

    const running = f.rack(['sync', '--all', '--yes', '--json']);
    await update.started;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await setAlarm('canary-5xx', 'ALARM');
    const result = await running;

    expect(result.code).toBe(6);
    const canary = result.json().racks.find((r: { rack: string }) => r.rack === 'canary');
    expect(canary).toMatchObject({
      outcome: 'failed',
      exitCode: 6,
      detail:
        'The update of canary to 1.3.1 failed and was rolled back; cause: alarm canary-5xx went to ALARM (a rollback trigger). The rack runs 1.3.0.',
    });
    expect(await update.finished).toEqual({ status: 'UPDATE_ROLLBACK_COMPLETE' });
    // The change set it executed carried the alarm and the monitoring time.
    const [executed] = (await cfn().send(new ListChangeSetsCommand({ StackName: f.stacks.canary }))).Summaries!;
    const described = await cfn().send(new DescribeChangeSetCommand({ ChangeSetName: executed!.ChangeSetId }));
    expect(described.RollbackConfiguration).toEqual({
      RollbackTriggers: [{ Arn: arn, Type: 'AWS::CloudWatch::Alarm' }],
      MonitoringTimeInMinutes: 1,
    });
    expect(result.stderr).toContain('1.3.1 is halted on stable');
    const status = (await f.rack(['rollout', 'status', '--json'])).json().channels[0];
    expect(status.halted).toMatchObject({ rack: 'canary', reason: expect.stringContaining('alarm canary-5xx') });
    expect((await aws.stackParameters(f.stacks.other!)).Version).toBe('1.3.0');
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('a wave on the release with an alarm in ALARM is not quiet: sync says so, not "done", and holds the next wave', async () => {
    const channels = await rolloutChannels({ rollout: CANARY_FIRST });
    await putAlarm('canary-errors');
    const f = await fleet(aws, channels, {
      canary: { labels: ['tier=canary'], version: '1.3.1', extra: ['--alarm', 'canary-errors', '--monitor', '0'] },
      other: { labels: ['tier=prod'] },
    });
    await setAlarm('canary-errors', 'ALARM');

    const result = await f.rack(['sync', '--all', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      'Rollout of 1.3.1 on stable: canary not quiet: an alarm is in ALARM · rest waiting',
    );
    expect(result.stdout).toContain('wave rest waits for wave canary to be quiet (an alarm is in ALARM)');
    const json = (await f.rack(['sync', '--all', '--yes', '--json'])).json();
    expect(json.rollouts[0].waves[0]).toMatchObject({ name: 'canary', complete: true, quiet: false });
    expect((await aws.stackParameters(f.stacks.other!)).Version).toBe('1.3.0');
  });

  it("carries the rack's alarms and the template's RollbackAlarms on every change set; rollback goes back without them", async () => {
    const channels = await rolloutChannels({ rollout: '' });
    const registered = await putAlarm('api-errors');
    const fromTemplate = await putAlarm('tmpl-latency');
    // A rack whose template names an alarm of its own in a RollbackAlarms output.
    const stack = `ro-alarms-${Date.now()}`;
    await cfn().send(
      new CreateStackCommand({
        StackName: stack,
        TemplateBody: templateBody('1.2.0').replace(
          /^Outputs:\n/m,
          'Outputs:\n  RollbackAlarms:\n    Description: alarms of the template\n    Value: tmpl-latency\n',
        ),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'Version', ParameterValue: '1.2.0' },
          { ParameterKey: 'Password', ParameterValue: PASSWORD },
          { ParameterKey: 'InstanceCount', ParameterValue: '1' },
        ],
      }),
    );
    await waitUntilStackCreateComplete({ client: cfn(), maxWaitTime: 60, minDelay: 1 }, { StackName: stack });
    const env = { ...aws.env(), RACK_HOME: tempHome(), RACK_CHANNELS: channels, RACK_HEALTH_TIMEOUT: '30' };
    const rack = (args: string[]) => runRack(args, { env });
    const added = await rack(['racks', 'add', 'web', '--stack', stack, '--alarm', registered, '--monitor', '0']);
    expect(added.code, added.stderr).toBe(0);
    expect((await rack(['racks', 'show', 'web'])).stdout).toContain(
      `Alarms:   ${registered} (monitored 0 min after each update)`,
    );

    const updated = await rack(['update', '--yes']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stderr).toContain('2 alarms OK');
    expect(await rollbackConfiguration(stack)).toEqual({
      RollbackTriggers: [
        { Arn: registered, Type: 'AWS::CloudWatch::Alarm' },
        { Arn: fromTemplate, Type: 'AWS::CloudWatch::Alarm' },
      ],
      MonitoringTimeInMinutes: 0,
    });

    // Going back while an alarm fires: the rollback's change set clears the triggers, or it would be undone.
    await setAlarm('api-errors', 'ALARM');
    const back = await rack(['rollback', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    expect((await aws.stackParameters(stack)).Version).toBe('1.2.0');
    expect(await rollbackConfiguration(stack)).toEqual({ RollbackTriggers: [], MonitoringTimeInMinutes: 0 });

    // An update while it fires is rolled back by CloudFormation, and rack names the alarm.
    const refusedByAlarm = await rack(['update', '--yes']);
    expect(refusedByAlarm.code).toBe(6);
    expect(refusedByAlarm.stderr).toContain('cause: alarm api-errors went to ALARM (a rollback trigger)');
  });

  it('the health gate waits for the alarms to be OK; racks add refuses an alarm that does not exist', async () => {
    const channels = await rolloutChannels({ rollout: '' });
    await putAlarm('quiet');
    const f = await fleet(
      aws,
      channels,
      { slow: { extra: ['--alarm', 'quiet', '--monitor', '0'] } },
      { RACK_HEALTH_TIMEOUT: '3' },
    );
    await setAlarm('quiet', 'INSUFFICIENT_DATA');
    const result = await f.rack(['update', '--yes']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('alarm quiet is INSUFFICIENT_DATA');

    const missing = await f.rack(['racks', 'label', 'slow', '--alarm', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`No CloudWatch alarm named nope in ${aws.region}.`);
    const removed = await f.rack(['racks', 'label', 'slow', 'tier=web', '--remove-alarm', 'quiet', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json().rack).toMatchObject({ labels: { tier: 'web' }, monitorMinutes: 0 });
    expect(removed.json().rack.alarms).toBeUndefined();
  });
});
