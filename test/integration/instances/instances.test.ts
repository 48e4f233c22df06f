/**
 * `rack instances` and `rack instances terminate` against the local AWS, and the keyroll's refusal to
 * keep a private key S3 does not report as SSE-KMS under the rack's key.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import {
  bucketKeys,
  clientsOf,
  freshRack,
  groupInstances,
  keyPairNames,
  type Clients,
  type TestRack,
} from './rackFixture.js';

let aws: LocalAws;
let clients: Clients;
let rack: TestRack;

beforeAll(async () => {
  aws = await startLocalAws({ inServiceDelayMs: 300, ecsTaskStartMs: 150 });
  clients = clientsOf(aws);
  rack = await freshRack(aws, clients, { password: 'instances-Secret-5', prefix: 'inst' });
});
afterEach(() => aws.proxy.clear());
afterAll(async () => aws?.stop());

describe('rack instances', () => {
  it('lists the group\'s instances with their ECS tasks; with no key yet, KEY is "-"', async () => {
    const result = await rack.rack(['instances']);
    expect(result.code, result.stderr).toBe(0);
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+STATE\s+HEALTH\s+ZONE\s+TYPE\s+LAUNCHED\s+KEY\s+ECS\s+TASKS\s+CPU\s+MEM$/);
    expect(rows).toHaveLength(2);
    for (const row of rows)
      expect(row).toMatch(
        /^i-[0-9a-f]+\s+InService\s+Healthy\s+\S+\s+t3\.small\s+(just now|\d+ seconds? ago)\s+-\s+active\s+1\s+0\.00%\s+13\.16%$/,
      );
    const json = (await rack.rack(['instances', '--json'])).json();
    expect(json).toMatchObject({ rack: 'prod', stack: rack.stackName, key: '', desired: 2 });
    expect(json.instances.map((i: { currentKey: boolean }) => i.currentKey)).toEqual([false, false]);
  });
});

describe('rack instances terminate', () => {
  it('needs --yes without a terminal (exit 2), before any AWS call', async () => {
    const [victim] = (await groupInstances(clients, rack.group)).instances;
    const mark = aws.proxy.requests.length;
    const result = await rack.rack(['instances', 'terminate', victim!.id]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(aws.proxy.requests.slice(mark)).toEqual([]);
  });

  it('terminates keeping the desired capacity; the group launches a replacement', async () => {
    const before = await groupInstances(clients, rack.group);
    const victim = before.instances[0]!.id;
    const result = await rack.rack(['instances', 'terminate', victim, '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({ rack: 'prod', instanceId: victim });
    expect(aws.proxy.seen({ action: 'TerminateInstanceInAutoScalingGroup' })).toHaveLength(1);
    const after = await groupInstances(clients, rack.group);
    expect(after.desired).toBe(2);
    expect(after.instances.filter((i) => !before.instances.some((b) => b.id === i.id))).toHaveLength(1);
  });

  it('--wait waits until the replacement is in service and registered, and records it', async () => {
    // The previous test's replacement first: one instance at a time.
    const { waitUntil } = await import('../../harness/ecsAgent.js');
    await waitUntil(
      () => groupInstances(clients, rack.group),
      (g) => g.instances.filter((i) => i.lifecycle === 'InService').length === 2,
    );
    const before = await groupInstances(clients, rack.group);
    const victim = before.instances.find((i) => i.lifecycle === 'InService')!.id;
    const result = await rack.rack(['instances', 'terminate', victim, '--yes', '--wait']);
    expect(result.code, result.stderr).toBe(0);
    const replacement = /replaced by (i-[0-9a-f]+), in service/.exec(result.stdout)?.[1];
    expect(replacement).toBeDefined();
    const after = await groupInstances(clients, rack.group);
    expect(after.instances.find((i) => i.id === replacement)).toMatchObject({
      lifecycle: 'InService',
      health: 'Healthy',
    });
    const listed = (await rack.rack(['instances', '--json']))
      .json()
      .instances.find((i: { id: string }) => i.id === replacement);
    expect(listed.ecs).toMatchObject({ status: 'ACTIVE' });
    const entry = (await rack.rack(['history', '--json'])).json().entries.at(-1);
    expect(entry).toMatchObject({
      operation: 'terminate',
      result: 'succeeded',
      note: `terminated ${victim}; replaced by ${replacement}`,
    });
  });
});

describe('where the private key is kept', () => {
  it("refuses to keep it when S3 does not report SSE-KMS under the rack's key, and removes what it made", async () => {
    const other = await freshRack(aws, clients, { password: 'instances-Secret-6', prefix: 'sse' });
    const keyPairs = await keyPairNames(clients);
    // As an S3 that ignored the requested encryption would answer.
    aws.proxy.inject({
      service: 's3',
      action: 'HeadObject',
      fault: {
        type: 'handle',
        handler: async (_request, _body, forward) => {
          const answer = await forward();
          const headers: Record<string, string | string[]> = {
            ...answer.headers,
            'x-amz-server-side-encryption': 'AES256',
          };
          delete headers['x-amz-server-side-encryption-aws-kms-key-id'];
          return { ...answer, headers };
        },
      },
    });
    const result = await other.rack(['instances', 'keyroll', '--yes']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(
      /S3 did not store s3:\/\/\S+\/ssh\/pending\/rack-sse-\S+\.pem the way rack requires, so it was removed again\./,
    );
    expect(result.stderr).toContain('it is encrypted with AES256, not aws:kms');
    expect(result.stderr).toContain(
      'The old key stays active; the new key pair and its private key were removed; no instance was touched.',
    );
    expect(await bucketKeys(clients, other.bucket)).toEqual([]);
    expect(await keyPairNames(clients)).toEqual(keyPairs);
    expect(aws.proxy.seen({ action: /CreateChangeSet|ExecuteChangeSet/ })).toEqual([]);
    expect((await aws.stackParameters(other.stackName)).Key).toBe('');
  });
});
