import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeKeyPairsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { awsError, DROP } from '../../harness/proxy.js';
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
