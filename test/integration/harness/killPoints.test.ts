import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  describeKillPoint,
  killPointsAt,
  recordWriteSteps,
  runRackToKillPoint,
  runToKillPoint,
  type KillPoint,
  type WriteStep,
} from '../../harness/killPoints.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { spawnRack, tempHome } from '../../harness/runRack.js';
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

const sdkCalls = fileURLToPath(new URL('../../harness/sdkCalls.mjs', import.meta.url));
const childEnv = () => ({ ...aws.env(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

interface Call {
  service: string;
  command: string;
  input: Record<string, unknown>;
}

/** An operation of a few steps, reads between them, as the stand-in process makes it. */
const OPERATION: Call[] = [
  { service: 's3', command: 'CreateBucket', input: { Bucket: 'settings' } },
  { service: 's3', command: 'PutObject', input: { Bucket: 'settings', Key: 'a', Body: 'a' } },
  { service: 's3', command: 'GetObject', input: { Bucket: 'settings', Key: 'a' } },
  {
    service: 'cloudformation',
    command: 'CreateStack',
    input: {
      StackName: 'prod',
      TemplateBody: STACK_TEMPLATE,
      Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
    },
  },
  { service: 'cloudformation', command: 'DescribeStacks', input: { StackName: 'prod' } },
  { service: 's3', command: 'PutObject', input: { Bucket: 'settings', Key: 'b', Body: 'b' } },
  { service: 's3', command: 'DeleteObject', input: { Bucket: 'settings', Key: 'a' } },
];

const startOperation = () => spawnRack([JSON.stringify(OPERATION)], childEnv(), { script: sdkCalls });

interface World {
  bucket: boolean;
  keys: string[];
  stack: boolean;
}

/** What AWS holds after the first `count` calls of the operation. */
function expectedAfter(count: number): World {
  const world: World = { bucket: false, keys: [], stack: false };
  for (const call of OPERATION.slice(0, count)) {
    const key = call.input.Key as string;
    if (call.command === 'CreateBucket') world.bucket = true;
    if (call.command === 'PutObject') world.keys = [...world.keys, key].sort();
    if (call.command === 'DeleteObject') world.keys = world.keys.filter((k) => k !== key);
    if (call.command === 'CreateStack') world.stack = true;
  }
  return world;
}

async function world(): Promise<World> {
  const s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
  const bucket = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).some((b) => b.Name === 'settings');
  const keys = bucket
    ? ((await s3.send(new ListObjectsV2Command({ Bucket: 'settings' }))).Contents ?? []).map((o) => o.Key ?? '')
    : [];
  const stacks = (await new CloudFormationClient(aws.clientConfig()).send(new DescribeStacksCommand({}))).Stacks;
  return { bucket, keys: keys.sort(), stack: (stacks ?? []).some((s) => s.StackName === 'prod') };
}

const describeKillPointRule = (point: KillPoint): string => `kill point: ${describeKillPoint(point)}`;

/** The index in OPERATION of the call a step is. */
function callOf(step: Pick<WriteStep, 'service' | 'action' | 'nth'>): number {
  let seen = 0;
  const index = OPERATION.findIndex(
    (call) => call.service === step.service && call.command === step.action && ++seen === step.nth,
  );
  if (index < 0) throw new Error(`no call for ${step.service}:${step.action} #${step.nth}`);
  return index;
}

describe('the write steps of a clean run', () => {
  it('lists the write-bearing requests in order, with their nth, and no reads', async () => {
    const steps = await recordWriteSteps(aws, () => startOperation().result);
    expect(steps.map(({ service, action, nth }) => `${service}:${action} #${nth}`)).toEqual([
      's3:CreateBucket #1',
      's3:PutObject #1',
      'cloudformation:CreateStack #1',
      's3:PutObject #2',
      's3:DeleteObject #1',
    ]);
    expect(steps.map((s) => s.seq)).toEqual([...steps.map((s) => s.seq)].sort((a, b) => a - b));
    expect(await world()).toEqual(expectedAfter(OPERATION.length));
  });

  it('killPointsAt: each step before and after AWS saw it', () => {
    const points = killPointsAt([{ service: 's3', action: 'PutObject', nth: 2, seq: 9 }]);
    expect(points).toEqual([
      { service: 's3', action: 'PutObject', nth: 2, when: 'before-forward', signal: 'SIGKILL' },
      { service: 's3', action: 'PutObject', nth: 2, when: 'after-forward', signal: 'SIGKILL' },
    ]);
    expect(killPointsAt([], { signal: 'SIGINT' })).toEqual([]);
  });
});

describe('kill points', () => {
  it('kills the process at exactly the nth request of every step boundary: AWS saw it only after-forward', async () => {
    const steps = await recordWriteSteps(aws, () => startOperation().result);
    const points = killPointsAt(steps);
    expect(points).toHaveLength(10);

    for (const point of points) {
      await aws.reset();
      const run = await runToKillPoint(aws, point, startOperation);
      const index = callOf(point);
      const label = describeKillPoint(point);

      expect([run.signal, run.code], label).toEqual(['SIGKILL', 137]);
      expect(run.request, label).toMatchObject({ service: point.service, action: point.action, outcome: 'killed' });
      expect(run.request?.reachedMoto === true, label).toBe(point.when === 'after-forward');
      // The process heard every call before the point, and not that one.
      expect(
        run.stdout.split('\n').filter((line) => line !== ''),
        label,
      ).toEqual(OPERATION.slice(0, index).map((call) => `ok ${call.service} ${call.command}`));
      // Nothing after it was asked for; the rule is gone once the process has exited.
      expect(aws.proxy.requests.at(-1)?.seq, label).toBe(run.request?.seq);
      expect(await world(), label).toEqual(expectedAfter(point.when === 'after-forward' ? index + 1 : index));
    }
  });

  it('a point the process never reaches leaves it running to its end', async () => {
    const point: KillPoint = { service: 's3', action: 'PutObject', nth: 3, when: 'before-forward', signal: 'SIGKILL' };
    const run = await runToKillPoint(aws, point, startOperation);
    expect([run.code, run.signal, run.request]).toEqual([0, undefined, undefined]);
    expect(await world()).toEqual(expectedAfter(OPERATION.length));
  });

  it('after-forward acts after a scripted timeline accepted the write: the operation goes on without the process', async () => {
    const update = timelines.script({
      stackName: 'prod',
      operations: ['CreateStack'],
      inProgressMs: 300,
      outcome: 'complete',
    });
    const point: KillPoint = {
      service: 'cloudformation',
      action: 'CreateStack',
      nth: 1,
      when: 'after-forward',
      signal: 'SIGKILL',
    };
    const run = await runToKillPoint(aws, point, startOperation);
    expect(run.signal).toBe('SIGKILL');
    expect(run.request).toMatchObject({ outcome: 'killed', rule: describeKillPointRule(point) });
    expect(update.executeCalls).toBe(1);
    await expect(update.finished).resolves.toEqual({ status: 'CREATE_COMPLETE' });
  });
});

describe('the rack binary', () => {
  const env = (home: string) => ({ ...childEnv(), RACK_HOME: home });

  it('spawnRack gives the pid at once and the result when it exits', async () => {
    const spawned = spawnRack(['--help'], env(tempHome()));
    expect(spawned.pid).toBeGreaterThan(0);
    expect(spawned.child.pid).toBe(spawned.pid);
    const run = await spawned.result;
    expect([run.code, run.signal, run.timedOut]).toEqual([0, undefined, undefined]);
    expect(run.stdout).toMatch(/racks/);
  });

  it('is killed at its first DescribeStacks, which AWS never sees', async () => {
    const home = tempHome();
    const point: KillPoint = {
      service: 'cloudformation',
      action: 'DescribeStacks',
      nth: 1,
      when: 'before-forward',
      signal: 'SIGKILL',
    };
    const killed = await runRackToKillPoint(aws, point, ['racks', 'add', 'prod', '--stack', 'prod'], env(home));
    expect([killed.signal, killed.code]).toEqual(['SIGKILL', 137]);
    expect(killed.request).toMatchObject({
      action: 'DescribeStacks',
      outcome: 'killed',
      signal: { pid: expect.any(Number) },
    });
    expect(killed.request?.reachedMoto).toBeUndefined();
    expect(aws.proxy.requests).toHaveLength(1);
  });

  it('a timed-out run says so', async () => {
    aws.proxy.inject({ service: 'cloudformation', fault: { type: 'latency', ms: 5_000 } });
    const run = await spawnRack(['racks', 'add', 'prod', '--stack', 'prod'], env(tempHome()), { timeoutMs: 1_500 })
      .result;
    expect([run.timedOut, run.signal, run.code]).toEqual([true, 'SIGKILL', 137]);
  });
});
