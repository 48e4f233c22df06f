/**
 * Updates as they go wrong on AWS, played by scripted timelines: a hop that fails and rolls back, a
 * rollback that fails and is continued, a cancel, throttling and lost answers, an unhealthy rack,
 * concurrent operators and stale locks, and attaching to an operation rack started.
 */
import { AutoScalingClient, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setHarnessTimings } from '../../harness/ecsAgent.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { stackStateKey } from '../../../src/core/stackIdentity.js';

const PASSWORD = 'failure-Secret-9';
let aws: LocalAws;
let timelines: Timelines;
let counter = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
});
afterEach(() => {
  timelines.clear();
  aws.proxy.clear();
});
afterAll(async () => aws?.stop());

/** A fresh rack at `version`, registered in a fresh RACK_HOME. */
async function freshRack(version: string, extra: Record<string, string> = {}) {
  const stackName = `fail-${++counter}`;
  const home = tempHome();
  await createRackStack(aws, {
    stackName,
    version,
    password: PASSWORD,
    parameters: version === '1.1.0' ? { LogRetention: '7' } : {},
  });
  const env = { ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '20', ...extra };
  const added = await runRack(['racks', 'add', 'prod', '--stack', stackName, '--json'], { env });
  expect(added.code, added.stderr).toBe(0);
  const stackId = added.json().rack.stackId as string;
  return { stackName, stackId, home, env, rack: (...args: string[]) => runRack(args, { env }) };
}

describe('a hop that fails', () => {
  it('exits 6 with the failing resource and its reason, records it, and does not retry', async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    const timeline = timelines.script({
      stackName,
      inProgressMs: 600,
      outcome: 'rollback',
      failure: { logicalId: 'ApiService', reason: 'Resource handler returned message: "tasks failed to start"' },
    });
    const result = await rack('update', '--yes');
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('The update of prod to 1.3.1 failed and was rolled back');
    expect(result.stderr).toContain('ApiService');
    expect(result.stderr).toContain('tasks failed to start');
    expect(result.stderr).toContain('The rack runs 1.2.0');
    expect(result.stderr).toMatch(/ApiService .*UPDATE_FAILED/);
    expect(timeline.executeCalls).toBe(1);
    expect((await aws.stackParameters(stackName)).Version).toBe('1.2.0');
    const entry = (await rack('history', '--json')).json().entries.at(-1);
    expect(entry).toMatchObject({
      operation: 'update',
      result: 'rolled-back',
      hops: [{ to: '1.3.1', result: 'rolled-back' }],
    });
    expect(entry.cause).toContain('tasks failed to start');
    // The command ended; nothing executes on its own afterwards.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(timeline.executeCalls).toBe(1);
  });

  it('a failed rollback ends with the --continue hint, and rollback --continue recovers it', async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    const timeline = timelines.script({
      stackName,
      inProgressMs: 400,
      outcome: 'rollback-failed',
      rollbackMs: 300,
      failure: { logicalId: 'ApiService', reason: 'service did not stabilize' },
      continueRollback: 'needs-skip',
    });
    const failed = await rack('update', '--yes');
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain('UPDATE_ROLLBACK_FAILED');
    expect(failed.stderr).toContain('rack rollback --rack prod --continue --skip ApiService');
    expect((await rack('history', '--json')).json().entries.at(-1)).toMatchObject({ result: 'rollback-failed' });

    const recovered = await rack('rollback', '--continue', '--skip', 'ApiService', '--yes');
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(recovered.stdout).toContain('UPDATE_ROLLBACK_COMPLETE');
    expect(timeline.continueRollbacks).toEqual([['ApiService']]);
    expect((await rack('history', '--json')).json().entries.at(-1)).toMatchObject({
      operation: 'rollback --continue',
      result: 'succeeded',
      note: 'skipped ApiService',
    });
    expect((await aws.stackParameters(stackName)).Password).toBe(PASSWORD);
  });
});

describe('CloudFormation refusing a change set', () => {
  it("is a refusal (exit 3) that names CloudFormation's reason, with nothing written", async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    aws.proxy.inject({
      service: 'cloudformation',
      action: 'CreateChangeSet',
      fault: {
        type: 'status',
        status: 400,
        code: 'ValidationError',
        message: 'Parameters: [InstanceType] must have values',
      },
    });
    const result = await rack('update', '--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `CloudFormation refused the change to ${stackName}: Parameters: [InstanceType] must have values`,
    );
    expect(result.stderr).toContain('Nothing was written to the stack.');
    expect(aws.proxy.requests.map((r) => r.action)).not.toContain('ExecuteChangeSet');
  });
});

describe('rack cancel', () => {
  it('cancels an update in progress; the rollback is reported and recorded', async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    const timeline = timelines.script({ stackName, inProgressMs: 4000, rollbackMs: 400, outcome: 'complete' });
    const update = rack('update', '--yes');
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    const cancelled = await rack('cancel', '--yes');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain('cancelled and rolled back; the rack runs 1.2.0');
    const updated = await update;
    expect(updated.code).toBe(6);
    expect(updated.stderr).toContain('rolled back');
    expect(timeline.cancels).toBe(1);
    const entries = (await rack('history', '--json')).json().entries;
    expect(entries.map((e: { operation: string; result: string }) => `${e.operation}:${e.result}`)).toEqual(
      expect.arrayContaining(['cancel:cancelled', 'update:rolled-back']),
    );
    expect((await aws.stackParameters(stackName)).Version).toBe('1.2.0');
  });

  it('refuses when no update is in progress (exit 2)', async () => {
    const { rack } = await freshRack('1.2.0');
    const result = await rack('cancel', '--yes');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no update in progress');
  });
});

describe('a rough network', () => {
  it('under 30% throttling and a lost answer, executes exactly one change set per hop', async () => {
    const { stackName, rack } = await freshRack('1.1.0');
    const timeline = timelines.script({ stackName, inProgressMs: 300, outcome: 'complete', times: 2, loseAnswers: 1 });
    aws.proxy.inject({ service: 'cloudformation', probability: 0.3, fault: { type: 'throttle' } });
    const result = await rack('update', '--yes');
    expect(result.code, result.stderr).toBe(0);
    expect(timeline.runs.filter((r) => r.operation === 'ExecuteChangeSet')).toHaveLength(2);
    expect(timeline.executeCalls).toBe(2);
    expect(aws.proxy.requests.some((r) => r.outcome === 'throttled')).toBe(true);
    expect((await aws.stackParameters(stackName)).Version).toBe('1.3.1');
  });
});

describe('the health gate', () => {
  it('stops the path when the rack is unhealthy after a hop, and proposes rollback', async () => {
    const { stackName, rack } = await freshRack('1.1.0', { RACK_HEALTH_TIMEOUT: '2' });
    const cfn = new CloudFormationClient(aws.clientConfig());
    const resources = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
    const group = resources.StackResources!.find((r) => r.ResourceType === 'AWS::AutoScaling::AutoScalingGroup')!
      .PhysicalResourceId!;
    await setHarnessTimings(aws, { inServiceDelayMs: 120_000 });
    try {
      await new AutoScalingClient(aws.clientConfig()).send(
        new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: 4 }),
      );
      const result = await rack('update', '--yes');
      expect(result.code).toBe(6);
      expect(result.stderr).toContain('unhealthy after the update to 1.2.0');
      expect(result.stderr).toContain('3 of 4 instances in service');
      expect(result.stderr).toContain('rack rollback');
      expect((await aws.stackParameters(stackName)).Version).toBe('1.2.0');
      expect((await rack('history', '--json')).json().entries.at(-1)).toMatchObject({
        result: 'unhealthy',
        hops: [{ to: '1.2.0', result: 'unhealthy' }],
      });
    } finally {
      await setHarnessTimings(aws, { inServiceDelayMs: 0 });
    }
  });
});

describe('one operation per rack', () => {
  it('two concurrent updates: exactly one runs, the other exits 5 naming the holder', async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    timelines.script({ stackName, inProgressMs: 1500, outcome: 'complete' });
    const [a, b] = await Promise.all([
      rack('update', '--yes'),
      new Promise((r) => setTimeout(r, 150)).then(() => rack('update', '--yes')),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 5]);
    const loser = a.code === 5 ? a : b;
    expect(loser.stderr).toMatch(/Rack prod is locked by .+@.+ \(pid \d+, update\) since/);
  });

  it('the same with two RACK_HOMEs sharing one S3 state store', async () => {
    await new S3Client({ ...aws.clientConfig(), forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: `team-${counter}` }),
    );
    const shared = { RACK_STATE: `s3://team-${counter}/rack` };
    const { stackName, env } = await freshRack('1.2.0', shared);
    const other = { ...env, RACK_HOME: tempHome() };
    timelines.script({ stackName, inProgressMs: 1500, outcome: 'complete' });
    const [a, b] = await Promise.all([
      runRack(['update', '--yes'], { env }),
      new Promise((r) => setTimeout(r, 150)).then(() => runRack(['update', '--yes'], { env: other })),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 5]);
    // Both operators see one registry and one history.
    const history = (await runRack(['history', '--json'], { env: other })).json().entries;
    expect(history.at(-1)).toMatchObject({ operation: 'update', result: 'succeeded' });
  });

  it('a lock whose process is gone is shown as stale, broken by the next command and recorded; or by unlock --force', async () => {
    const { stackName, stackId, home, rack } = await freshRack('1.2.0');
    const lockFile = path.join(
      home,
      'locks',
      `${stackStateKey({ stackId, region: 'us-east-1', stack: stackName })}.json`,
    );
    const ghost = () => {
      mkdirSync(path.dirname(lockFile), { recursive: true });
      writeFileSync(
        lockFile,
        JSON.stringify({
          id: 'x',
          rack: 'prod',
          stack: stackName,
          operation: 'update',
          user: 'ghost',
          host: os.hostname(),
          pid: 999_999,
          since: new Date().toISOString(),
          leaseUntil: new Date(Date.now() + 60_000).toISOString(),
        }),
      );
    };
    ghost();
    const shown = await rack('unlock');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('the lock is stale: process 999999 on this machine is gone');
    const updated = await rack('update', '--yes');
    expect(updated.code, updated.stderr).toBe(0);
    const entries = (await rack('history', '--json')).json().entries;
    expect(entries.find((e: { operation: string }) => e.operation === 'unlock')).toMatchObject({
      note: expect.stringMatching(
        /broke the stale lock of ghost@.+ automatically: process 999999 on this machine is gone/,
      ),
    });
    ghost();
    const broken = await rack('unlock', '--force');
    expect(broken.code, broken.stderr).toBe(0);
    expect((await rack('history', '--json')).json().entries.at(-1)).toMatchObject({
      operation: 'unlock --force',
      note: expect.stringContaining('ghost@'),
    });
  });

  it('a live lock is never broken, even with --force', async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    timelines.script({ stackName, inProgressMs: 1500, outcome: 'complete' });
    const update = rack('update', '--yes');
    await new Promise((r) => setTimeout(r, 400));
    const forced = await rack('unlock', '--force');
    expect(forced.code).toBe(5);
    expect(forced.stderr).toContain('is not stale');
    expect((await update).code).toBe(0);
  });
});

describe('attaching', () => {
  it('Ctrl-C leaves CloudFormation working; a second update attaches and exits with its outcome', async () => {
    const { stackName, env } = await freshRack('1.2.0');
    const timeline = timelines.script({ stackName, inProgressMs: 2500, outcome: 'complete' });
    const controller = new AbortController();
    const first = runRack(['update', '--yes'], { env, signal: controller.signal });
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    controller.abort();
    const stopped = await first;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('CloudFormation keeps working on the stack');
    expect(stopped.stderr).toContain('rack status --rack prod');
    const second = await runRack(['update', '--yes'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('Attaching to the update of prod (1.2.0 → 1.3.1)');
    expect(timeline.executeCalls).toBe(1);
    expect((await aws.stackParameters(stackName)).Version).toBe('1.3.1');
  });

  it('a rack registered before StackIds were kept: its first command migrates it, and finds its marker under the new key', async () => {
    const { stackName, stackId, home, env } = await freshRack('1.2.0');
    const timeline = timelines.script({ stackName, inProgressMs: 2500, outcome: 'complete' });
    const controller = new AbortController();
    const first = runRack(['update', '--yes'], { env, signal: controller.signal });
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    controller.abort();
    expect((await first).code).toBe(130);
    // As an older rack left things: no StackId in the registry, the marker under the stack's name.
    const registryFile = path.join(home, 'racks.json');
    const registry = JSON.parse(readFileSync(registryFile, 'utf8'));
    delete registry.racks[0].stackId;
    writeFileSync(registryFile, JSON.stringify(registry));
    const key = stackStateKey({ stackId, region: 'us-east-1', stack: stackName });
    const legacy = path.join(home, 'operations', 'us-east-1', `${stackName}.json`);
    mkdirSync(path.dirname(legacy), { recursive: true });
    renameSync(path.join(home, 'operations', `${key}.json`), legacy);

    const status = await runRack(['status'], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain('Attaching to the update of prod (1.2.0 → 1.3.1)');
    expect(JSON.parse(readFileSync(registryFile, 'utf8')).racks[0].stackId).toBe(stackId);
    expect(existsSync(legacy)).toBe(false);
    const entries = (await runRack(['history', '--json'], { env })).json().entries;
    expect(entries.map((e: { operation: string; result: string }) => `${e.operation}:${e.result}`)).toEqual([
      'update:succeeded',
    ]);
  });

  it('rack status follows an operation rack started to its end, with its outcome', async () => {
    const { stackName, env } = await freshRack('1.2.0');
    const timeline = timelines.script({
      stackName,
      inProgressMs: 2000,
      outcome: 'rollback',
      failure: { logicalId: 'ApiTask', reason: 'bad image' },
    });
    const controller = new AbortController();
    const first = runRack(['update', '--yes'], { env, signal: controller.signal });
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    controller.abort();
    expect((await first).code).toBe(130);
    const status = await runRack(['status'], { env });
    expect(status.code).toBe(6);
    expect(status.stderr).toContain('bad image');
  });

  it('a stack in an operation rack did not start is busy (exit 5)', async () => {
    const { stackName, rack } = await freshRack('1.2.0');
    const timeline = timelines.script({
      stackName,
      inProgressMs: 1500,
      outcome: 'complete',
      operations: ['UpdateStack'],
    });
    const cfn = new CloudFormationClient(aws.clientConfig());
    const { UpdateStackCommand } = await import('@aws-sdk/client-cloudformation');
    await cfn.send(
      new UpdateStackCommand({
        StackName: stackName,
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'Version', UsePreviousValue: true },
          { ParameterKey: 'Key', UsePreviousValue: true },
          { ParameterKey: 'Password', UsePreviousValue: true },
          { ParameterKey: 'InstanceCount', ParameterValue: '2' },
          { ParameterKey: 'InstanceType', UsePreviousValue: true },
        ],
      }),
    );
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    const result = await rack('update', '--yes');
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('an operation rack did not start');
  });
});
