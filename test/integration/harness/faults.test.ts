import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeKeyPairsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { awsError, DROP, type FaultRule, type ProcessSignal } from '../../harness/proxy.js';
import { spawnRack, type RunResult } from '../../harness/runRack.js';
import { SECRET, STACK_TEMPLATE } from './stackTemplate.js';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws?.stop();
});

beforeEach(async () => {
  await aws.reset();
});

const cloudFormation = (maxAttempts = 3): CloudFormationClient =>
  new CloudFormationClient({ ...aws.clientConfig(), maxAttempts });

async function createStack(name: string): Promise<void> {
  await cloudFormation().send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: STACK_TEMPLATE,
      Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
    }),
  );
}

const describeStacks = { service: 'cloudformation', action: 'DescribeStacks' } as const;

describe('throttling', () => {
  it('the SDK retries a throttled call, and the proxy saw every attempt', async () => {
    await createStack('throttled');
    const rule = aws.proxy.inject({ ...describeStacks, times: 2, fault: { type: 'throttle' } });

    const { Stacks } = await cloudFormation().send(new DescribeStacksCommand({ StackName: 'throttled' }));

    expect(Stacks?.[0]?.StackName).toBe('throttled');
    expect(rule.hits).toBe(2);
    const attempts = aws.proxy.seen(describeStacks);
    expect(attempts.map((r) => [r.outcome, r.status])).toEqual([
      ['throttled', 400],
      ['throttled', 400],
      ['forwarded', 200],
    ]);
    expect(attempts.every((r) => r.durationMs !== undefined && r.startedAt > 0)).toBe(true);
  });

  it('speaks each protocol: the SDK reads the throttle as its own error code', async () => {
    aws.proxy.inject({ times: 3, fault: { type: 'throttle' } });
    const config = { ...aws.clientConfig(), maxAttempts: 1 };
    const failures = await Promise.all([
      new CloudFormationClient(config).send(new DescribeStacksCommand({})).catch((e: unknown) => e),
      new ECSClient(config).send(new ListClustersCommand({})).catch((e: unknown) => e),
      new EC2Client(config).send(new DescribeKeyPairsCommand({})).catch((e: unknown) => e),
    ]);
    expect(
      failures.map((e) => [
        (e as Error).name,
        (e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode,
      ]),
    ).toEqual([
      ['Throttling', 400],
      ['ThrottlingException', 400],
      ['RequestLimitExceeded', 503],
    ]);
    expect(aws.proxy.requests.map((r) => `${r.service}:${r.action}`).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'ec2:DescribeKeyPairs',
      'ecs:ListClusters',
    ]);
  });

  it('throttles a JSON-protocol call (ECS) that the SDK then retries', async () => {
    aws.proxy.inject({ service: 'ecs', action: 'ListClusters', times: 1, fault: { type: 'throttle' } });
    const { clusterArns } = await new ECSClient(aws.clientConfig()).send(new ListClustersCommand({}));
    expect(clusterArns).toEqual([]);
    expect(aws.proxy.seen({ service: 'ecs', action: 'ListClusters' }).map((r) => r.status)).toEqual([400, 200]);
  });
});

describe('server errors', () => {
  it('a 5xx storm surfaces as a clear error after the SDK gives up, not a hang', async () => {
    aws.proxy.inject({ ...describeStacks, fault: { type: 'status', status: 500 } });
    const started = Date.now();

    const failure = await cloudFormation()
      .send(new DescribeStacksCommand({}))
      .catch((e: unknown) => e);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failure).toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500, attempts: 3 } });
    expect(aws.proxy.seen(describeStacks)).toHaveLength(3);
  });

  it('a 503 uses the service code, or the one the test names', async () => {
    aws.proxy.inject({ ...describeStacks, times: 1, fault: { type: 'status', status: 503 } });
    aws.proxy.inject({
      ...describeStacks,
      times: 1,
      fault: { type: 'status', status: 502, code: 'BadGateway', message: 'upstream' },
    });
    const client = cloudFormation(1);
    await expect(client.send(new DescribeStacksCommand({}))).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    await expect(client.send(new DescribeStacksCommand({}))).rejects.toMatchObject({
      name: 'BadGateway',
      message: 'upstream',
    });
  });
});

describe('dropped connections', () => {
  it('a connection dropped before moto saw the request is retried by the SDK', async () => {
    await createStack('dropped');
    aws.proxy.inject({ ...describeStacks, times: 1, fault: { type: 'drop' } });

    const { Stacks } = await cloudFormation().send(new DescribeStacksCommand({ StackName: 'dropped' }));

    expect(Stacks).toHaveLength(1);
    expect(aws.proxy.seen(describeStacks).map((r) => [r.outcome, r.status])).toEqual([
      ['dropped', undefined],
      ['forwarded', 200],
    ]);
  });

  it('dropped after forwarding: the write happened, the client never heard, and its retry finds it done', async () => {
    aws.proxy.inject({
      service: 'cloudformation',
      action: 'CreateStack',
      times: 1,
      fault: { type: 'drop', when: 'after-forward' },
    });

    const retry = createStack('written-unheard');

    await expect(retry).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    const { Stacks } = await cloudFormation().send(new DescribeStacksCommand({ StackName: 'written-unheard' }));
    expect(Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    expect(aws.proxy.seen({ action: 'CreateStack' }).map((r) => r.outcome)).toEqual(['dropped', 'forwarded']);
  });
});

describe('latency and chance', () => {
  it('latency delays a call and lets it through', async () => {
    aws.proxy.inject({ ...describeStacks, times: 1, fault: { type: 'latency', ms: 300 } });
    const started = Date.now();
    await cloudFormation().send(new DescribeStacksCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(aws.proxy.seen(describeStacks)[0]?.outcome).toBe('forwarded');
  });

  it('latency composes with a later rule', async () => {
    aws.proxy.inject({ ...describeStacks, times: 1, fault: { type: 'latency', ms: 100 } });
    aws.proxy.inject({ ...describeStacks, times: 1, name: 'then-fail', fault: { type: 'status', status: 500 } });
    const started = Date.now();
    await expect(cloudFormation(1).send(new DescribeStacksCommand({}))).rejects.toMatchObject({
      name: 'InternalFailure',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(aws.proxy.requests[0]?.rule).toBe('then-fail');
  });

  it('probability draws from a seeded random: the same requests fail after every reset', async () => {
    const pattern = async (): Promise<Array<number | undefined>> => {
      aws.proxy.inject({ ...describeStacks, probability: 0.5, fault: { type: 'status', status: 500 } });
      const client = cloudFormation(1);
      for (let i = 0; i < 12; i++) await client.send(new DescribeStacksCommand({})).catch(() => undefined);
      return aws.proxy.seen(describeStacks).map((r) => r.status);
    };
    const first = await pattern();
    await aws.reset();
    const second = await pattern();

    expect(second).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });
});

describe('handlers', () => {
  it('a handler can answer by itself in the service format', async () => {
    aws.proxy.inject({
      ...describeStacks,
      times: 1,
      fault: {
        type: 'handle',
        handler: async (request) =>
          awsError(request.protocol, 400, 'ValidationError', `Stack ${request.form.get('StackName')} is busy`),
      },
    });
    await expect(cloudFormation().send(new DescribeStacksCommand({ StackName: 'any' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack any is busy',
    });
    expect(aws.proxy.requests[0]?.outcome).toBe('handled');
  });

  it('a handler can forward and rewrite what moto answered', async () => {
    await createStack('rewritten');
    aws.proxy.inject({
      ...describeStacks,
      fault: {
        type: 'handle',
        handler: async (_request, _body, forward) => {
          const answer = await forward();
          return {
            ...answer,
            body: Buffer.from(answer.body.toString('utf8').replace('CREATE_COMPLETE', 'UPDATE_IN_PROGRESS')),
          };
        },
      },
    });
    const { Stacks } = await cloudFormation().send(new DescribeStacksCommand({ StackName: 'rewritten' }));
    expect(Stacks?.[0]?.StackStatus).toBe('UPDATE_IN_PROGRESS');
  });

  it('a handler can forward a different request than it got', async () => {
    await createStack('real-name');
    aws.proxy.inject({
      ...describeStacks,
      fault: {
        type: 'handle',
        handler: async (_request, body, forward) =>
          forward({ body: body.toString('utf8').replace('StackName=alias', 'StackName=real-name') }),
      },
    });
    const { Stacks } = await cloudFormation().send(new DescribeStacksCommand({ StackName: 'alias' }));
    expect(Stacks?.[0]?.StackName).toBe('real-name');
  });

  it('a handler can drop the connection', async () => {
    aws.proxy.inject({ ...describeStacks, times: 1, fault: { type: 'handle', handler: async () => DROP } });
    await cloudFormation().send(new DescribeStacksCommand({}));
    expect(aws.proxy.seen(describeStacks).map((r) => r.outcome)).toEqual(['dropped', 'forwarded']);
  });

  it('a handler that throws answers a clear 500, recorded with its reason', async () => {
    aws.proxy.inject({
      ...describeStacks,
      times: 1,
      fault: {
        type: 'handle',
        handler: async () => {
          throw new Error('timeline has no step 3');
        },
      },
    });
    await expect(cloudFormation(1).send(new DescribeStacksCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    expect(aws.proxy.requests[0]).toMatchObject({ outcome: 'failed', error: 'timeline has no step 3' });
  });
});

describe('S3 through the proxy (path-style)', () => {
  const s3 = (): S3Client => new S3Client({ ...aws.clientConfig(), forcePathStyle: true });

  it('round-trips an object and names the operations', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'settings' }));
    await client.send(new PutObjectCommand({ Bucket: 'settings', Key: 'racks/prod.json', Body: '{"v":1}' }));
    const object = await client.send(new GetObjectCommand({ Bucket: 'settings', Key: 'racks/prod.json' }));

    expect(await object.Body?.transformToString()).toBe('{"v":1}');
    expect(aws.proxy.seen({ service: 's3' }).map((r) => r.action)).toEqual(['CreateBucket', 'PutObject', 'GetObject']);
  });

  it('a SlowDown is retried by the SDK', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'slow' }));
    aws.proxy.inject({ service: 's3', action: 'PutObject', times: 1, fault: { type: 'throttle' } });
    await client.send(new PutObjectCommand({ Bucket: 'slow', Key: 'k', Body: 'v' }));
    expect(aws.proxy.seen({ service: 's3', action: 'PutObject' }).map((r) => r.status)).toEqual([503, 200]);
  });
});

describe('the nth request: skip', () => {
  it('lets the first n matching requests through, then acts', async () => {
    const rule = aws.proxy.inject({ ...describeStacks, skip: 1, times: 1, fault: { type: 'status', status: 500 } });
    const client = cloudFormation(1);
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(
        await client.send(new DescribeStacksCommand({})).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'InternalFailure', 'ok']);
    expect([rule.matched, rule.hits]).toEqual([2, 1]);
  });

  it('a skipped request goes on to the later rules', async () => {
    aws.proxy.inject({ ...describeStacks, skip: 1, times: 1, name: 'second', fault: { type: 'status', status: 503 } });
    aws.proxy.inject({ ...describeStacks, times: 1, name: 'first', fault: { type: 'status', status: 500 } });
    const client = cloudFormation(1);
    for (let i = 0; i < 2; i++) await client.send(new DescribeStacksCommand({})).catch(() => undefined);
    expect(aws.proxy.seen(describeStacks).map((r) => [r.rule, r.status])).toEqual([
      ['first', 500],
      ['second', 503],
    ]);
  });

  it('first: a rule injected with it is tried before those injected earlier', async () => {
    aws.proxy.inject({ ...describeStacks, times: 1, name: 'earlier', fault: { type: 'status', status: 500 } });
    aws.proxy.inject({ ...describeStacks, times: 1, name: 'first', first: true, fault: { type: 'throttle' } });
    await cloudFormation(1)
      .send(new DescribeStacksCommand({}))
      .catch(() => undefined);
    expect(aws.proxy.requests[0]).toMatchObject({ rule: 'first', outcome: 'throttled' });
  });
});

describe('a time window: forMs and after', () => {
  /** The statuses of `count` more DescribeStacks calls. */
  const statuses = async (count: number): Promise<Array<number | undefined>> => {
    const from = aws.proxy.seen(describeStacks).length;
    const client = cloudFormation(1);
    for (let i = 0; i < count; i++) await client.send(new DescribeStacksCommand({})).catch(() => undefined);
    return aws.proxy
      .seen(describeStacks)
      .slice(from)
      .map((r) => r.status);
  };

  it('forMs: the rule acts from its first request for that long, then lets everything through', async () => {
    aws.proxy.inject({ ...describeStacks, forMs: 400, fault: { type: 'status', status: 503 } });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the window starts at the first request, not at inject
    expect(await statuses(2)).toEqual([503, 503]);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await statuses(2)).toEqual([200, 200]);
  });

  it('after (ms): dormant until that long after inject', async () => {
    aws.proxy.inject({ ...describeStacks, after: 300, fault: { type: 'status', status: 500 } });
    expect(await statuses(1)).toEqual([200]);
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect(await statuses(2)).toEqual([500, 500]);
  });

  it('after (predicate): acts on the requests after the first one it holds for, whatever answered that one', async () => {
    const s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true, maxAttempts: 1 });
    aws.proxy.inject({
      service: 's3',
      action: 'CreateBucket',
      times: 1,
      name: 'slow',
      fault: { type: 'latency', ms: 1 },
    });
    aws.proxy.inject({
      service: 's3',
      after: (request) => request.action === 'CreateBucket',
      forMs: 10_000,
      fault: { type: 'expired-token' },
    });
    await s3.send(new ListBucketsCommand({}));
    await s3.send(new CreateBucketCommand({ Bucket: 'armed' }));
    await expect(s3.send(new PutObjectCommand({ Bucket: 'armed', Key: 'k', Body: 'v' }))).rejects.toMatchObject({
      name: 'ExpiredToken',
    });
    expect(aws.proxy.seen({ service: 's3' }).map((r) => [r.action, r.outcome])).toEqual([
      ['ListBuckets', 'forwarded'],
      ['CreateBucket', 'forwarded'],
      ['PutObject', 'expired'],
    ]);
  });
});

describe('expired-token', () => {
  it("answers each protocol's expired-credentials error, which the SDK names and does not retry", async () => {
    aws.proxy.inject({ fault: { type: 'expired-token' } });
    const config = aws.clientConfig(); // the SDK's default 3 attempts: none of these is retried
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['cloudformation', () => new CloudFormationClient(config).send(new DescribeStacksCommand({}))],
      ['autoscaling', () => new AutoScalingClient(config).send(new DescribeAutoScalingGroupsCommand({}))],
      ['sts', () => new STSClient(config).send(new GetCallerIdentityCommand({}))],
      ['ecs', () => new ECSClient(config).send(new ListClustersCommand({}))],
      ['kms', () => new KMSClient(config).send(new ListKeysCommand({}))],
      ['s3', () => new S3Client({ ...config, forcePathStyle: true }).send(new ListBucketsCommand({}))],
      ['ec2', () => new EC2Client(config).send(new DescribeKeyPairsCommand({}))],
    ];
    const seen: Record<string, unknown> = {};
    for (const [service, call] of calls) {
      const error = (await call().catch((e: unknown) => e)) as {
        name: string;
        message: string;
        $metadata: { httpStatusCode: number; attempts: number };
      };
      seen[service] = [error.name, error.$metadata.httpStatusCode, error.$metadata.attempts, error.message];
    }
    const expired = 'The security token included in the request is expired';
    expect(seen).toEqual({
      cloudformation: ['ExpiredToken', 403, 1, expired],
      autoscaling: ['ExpiredToken', 403, 1, expired],
      sts: ['ExpiredToken', 403, 1, expired],
      ecs: ['ExpiredTokenException', 400, 1, expired],
      kms: ['ExpiredTokenException', 400, 1, expired],
      s3: ['ExpiredToken', 400, 1, 'The provided token has expired.'],
      ec2: ['RequestExpired', 400, 1, 'Request has expired.'],
    });
    expect(aws.proxy.requests.every((r) => r.outcome === 'expired' && r.reachedMoto !== true)).toBe(true);
  });

  it('for a while: "ExpiredToken for 300 ms", then the same credentials work again', async () => {
    aws.proxy.inject({ service: 'cloudformation', forMs: 300, fault: { type: 'expired-token' } });
    const client = cloudFormation(1);
    await expect(client.send(new DescribeStacksCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
    await new Promise((resolve) => setTimeout(resolve, 320));
    await expect(client.send(new DescribeStacksCommand({}))).resolves.toMatchObject({ Stacks: [] });
  });
});

describe('signal: a process signalled at a request', () => {
  const sdkCalls = fileURLToPath(new URL('../../harness/sdkCalls.mjs', import.meta.url));
  const s3 = (): S3Client => new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
  const puts = ['k1', 'k2', 'k3'].map((key) => ({
    service: 's3',
    command: 'PutObject',
    input: { Bucket: 'signals', Key: key, Body: key },
  }));

  /** CreateBucket, then three PutObject, in a child process; the rule acts on the 2nd PutObject. */
  async function runSignalled(
    signal: ProcessSignal,
    when: 'before-forward' | 'after-forward',
    pid?: () => number | undefined,
  ): Promise<{ run: RunResult; keys: string[]; lines: string[]; pid: number }> {
    let child: number | undefined;
    const rule: FaultRule = {
      service: 's3',
      action: 'PutObject',
      skip: 1,
      times: 1,
      fault: { type: 'signal', signal, when, pid: pid ?? (() => child) },
    };
    aws.proxy.inject(rule);
    const calls = [{ service: 's3', command: 'CreateBucket', input: { Bucket: 'signals' } }, ...puts];
    const spawned = spawnRack(
      [JSON.stringify(calls)],
      { ...aws.env(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      { script: sdkCalls },
    );
    child = spawned.pid;
    const run = await spawned.result;
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: 'signals' }));
    return {
      run,
      pid: spawned.pid,
      keys: (listed.Contents ?? []).map((o) => o.Key ?? ''),
      lines: run.stdout.trim().split('\n'),
    };
  }

  const putRecord = (nth: number) => aws.proxy.seen({ service: 's3', action: 'PutObject' })[nth - 1];

  it('SIGKILL before-forward: the process dies there and AWS never sees the request', async () => {
    const { run, keys, lines } = await runSignalled('SIGKILL', 'before-forward');
    expect([run.signal, run.code]).toEqual(['SIGKILL', 137]);
    expect(lines).toEqual(['ok s3 CreateBucket', 'ok s3 PutObject']);
    expect(keys).toEqual(['k1']);
    expect(putRecord(2)).toMatchObject({ outcome: 'killed', signal: { signal: 'SIGKILL', when: 'before-forward' } });
    expect([putRecord(2)?.status, putRecord(2)?.reachedMoto]).toEqual([undefined, undefined]);
    expect(aws.proxy.seen({ service: 's3', action: 'PutObject' })).toHaveLength(2);
  });

  it('SIGKILL after-forward: the write happens, the process dies before it hears', async () => {
    const { run, keys, lines, pid } = await runSignalled('SIGKILL', 'after-forward');
    expect([run.signal, run.code]).toEqual(['SIGKILL', 137]);
    expect(lines).toEqual(['ok s3 CreateBucket', 'ok s3 PutObject']);
    expect(keys).toEqual(['k1', 'k2']);
    expect(putRecord(2)).toMatchObject({ outcome: 'killed', reachedMoto: true, signal: { when: 'after-forward' } });
    expect(putRecord(2)?.signal?.pid).toBe(pid);
  });

  it('SIGINT before-forward: signalled first, then the request goes on; the process reacts itself', async () => {
    const { run, keys, lines } = await runSignalled('SIGINT', 'before-forward');
    expect([run.signal, run.code]).toEqual([undefined, 130]);
    expect(lines).toEqual(['ok s3 CreateBucket', 'ok s3 PutObject', 'signal SIGINT', 'ok s3 PutObject']);
    expect(keys).toEqual(['k1', 'k2']);
    expect(putRecord(2)).toMatchObject({
      outcome: 'forwarded',
      status: 200,
      reachedMoto: true,
      signal: { signal: 'SIGINT' },
    });
  });

  it('SIGTERM after-forward: the write happens, then the signal, then the answer', async () => {
    const { run, keys, lines } = await runSignalled('SIGTERM', 'after-forward');
    expect([run.signal, run.code]).toEqual([undefined, 143]);
    expect(lines).toEqual(['ok s3 CreateBucket', 'ok s3 PutObject', 'signal SIGTERM', 'ok s3 PutObject']);
    expect(keys).toEqual(['k1', 'k2']);
    expect(putRecord(2)).toMatchObject({
      outcome: 'forwarded',
      status: 200,
      signal: { signal: 'SIGTERM', when: 'after-forward' },
    });
  });

  it('no process to signal: recorded, and the request goes on as usual', async () => {
    const { run, keys } = await runSignalled('SIGKILL', 'before-forward', () => undefined);
    expect(run.code).toBe(0);
    expect(keys).toEqual(['k1', 'k2', 'k3']);
    expect(putRecord(2)).toMatchObject({
      outcome: 'forwarded',
      signal: { signal: 'SIGKILL', error: 'no process to signal (pid() gave none)' },
    });
  });
});
