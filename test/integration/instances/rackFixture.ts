/**
 * Racks for the instances tests: a real rack stack on the local AWS (two instances, the fake ECS agent
 * placing its api tasks), registered in a fresh RACK_HOME, with readers for what the tests check —
 * the group's instances and their key pairs, the settings bucket, key pairs, and a sampler of how many
 * instances are in service while a command runs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, DescribeKeyPairsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { runningCounts, waitUntil } from '../../harness/ecsAgent.js';
import type { LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome, type InProcessOptions, type RunResult } from '../../harness/runRack.js';

export interface Clients {
  cfn: CloudFormationClient;
  asg: AutoScalingClient;
  ec2: EC2Client;
  ecs: ECSClient;
  s3: S3Client;
}

export function clientsOf(aws: LocalAws): Clients {
  const config = { ...aws.clientConfig(), maxAttempts: 1 };
  return {
    cfn: new CloudFormationClient(config),
    asg: new AutoScalingClient(config),
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
  };
}

export interface TestRack {
  stackName: string;
  stackId: string;
  home: string;
  env: Record<string, string>;
  group: string;
  cluster: string;
  bucket: string;
  kmsKey: string;
  /** Every result of `rack`, for the scan for key material. */
  results: RunResult[];
  rack(args: string[], options?: InProcessOptions): Promise<RunResult>;
}

let counter = 0;

export async function freshRack(
  aws: LocalAws,
  clients: Clients,
  {
    version = '1.3.1',
    password,
    prefix = 'kr',
    templateBody,
  }: { version?: string; password: string; prefix?: string; templateBody?: string },
): Promise<TestRack> {
  const stackName = `${prefix}-${++counter}`;
  if (templateBody === undefined) {
    await createRackStack(aws, { stackName, version, password, parameters: { InstanceCount: '2' } });
  } else {
    const { CreateStackCommand } = await import('@aws-sdk/client-cloudformation');
    await clients.cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: templateBody,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'Version', ParameterValue: version },
          { ParameterKey: 'Password', ParameterValue: password },
          { ParameterKey: 'InstanceCount', ParameterValue: '2' },
        ],
      }),
    );
  }
  const home = tempHome();
  const env = { ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '30', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const { StackResources = [] } = await clients.cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const physical = (type: string) => StackResources.find((r) => r.ResourceType === type)?.PhysicalResourceId ?? '';
  const { Stacks = [] } = await clients.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const output = (key: string) => Stacks[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue ?? '';
  const results: RunResult[] = [];
  const test: TestRack = {
    stackName,
    stackId: Stacks[0]?.StackId ?? '',
    home,
    env,
    group: physical('AWS::AutoScaling::AutoScalingGroup'),
    cluster: physical('AWS::ECS::Cluster'),
    bucket: output('SettingsBucket'),
    kmsKey: output('EncryptionKey'),
    results,
    async rack(args, options = {}) {
      const result = await runRack(args, { ...options, env: { ...env, ...options.env } });
      results.push(result);
      return result;
    },
  };
  expect((await test.rack(['racks', 'add', 'prod', '--stack', stackName])).code).toBe(0);
  // The agent places the api's tasks once the instances registered.
  await waitUntil(
    () => runningCounts(clients.ecs, test.cluster),
    (c) => Object.values(c).every((n) => n > 0) && Object.keys(c).length > 0,
  );
  return test;
}

export interface GroupInstance {
  id: string;
  lifecycle: string;
  health: string;
  keyName?: string;
  ec2State?: string;
}

export async function groupInstances(
  clients: Clients,
  group: string,
): Promise<{ desired: number; max: number; instances: GroupInstance[] }> {
  const { AutoScalingGroups = [] } = await clients.asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }),
  );
  const found = AutoScalingGroups[0];
  const ids = (found?.Instances ?? []).map((i) => i.InstanceId ?? '');
  const keys = new Map<string, { keyName?: string; state?: string }>();
  if (ids.length > 0) {
    const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    for (const i of Reservations.flatMap((r) => r.Instances ?? []))
      keys.set(i.InstanceId ?? '', { keyName: i.KeyName, state: i.State?.Name });
  }
  return {
    desired: found?.DesiredCapacity ?? 0,
    max: found?.MaxSize ?? 0,
    instances: (found?.Instances ?? []).map((i) => ({
      id: i.InstanceId ?? '',
      lifecycle: i.LifecycleState ?? '',
      health: i.HealthStatus ?? '',
      keyName: keys.get(i.InstanceId ?? '')?.keyName,
      ec2State: keys.get(i.InstanceId ?? '')?.state,
    })),
  };
}

const inService = (instances: GroupInstance[]) =>
  instances.filter((i) => i.lifecycle === 'InService' && i.health === 'Healthy').length;

/** Counts the group's instances in service every 40 ms until stopped; `start` before the command. */
export function sampleInService(clients: Clients, group: string) {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(inService((await groupInstances(clients, group)).instances));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  return {
    samples,
    async stop(): Promise<number[]> {
      running = false;
      await loop;
      return samples;
    },
  };
}

export async function keyPairNames(clients: Clients): Promise<string[]> {
  const { KeyPairs = [] } = await clients.ec2.send(new DescribeKeyPairsCommand({}));
  return KeyPairs.map((k) => k.KeyName ?? '').sort();
}

export async function bucketKeys(clients: Clients, bucket: string, prefix = ''): Promise<string[]> {
  const { Contents = [] } = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Contents.map((c) => c.Key ?? '').sort();
}

export async function objectText(clients: Clients, bucket: string, key: string): Promise<string> {
  const out = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

export async function objectEncryption(clients: Clients, bucket: string, key: string) {
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { sse: head.ServerSideEncryption, kmsKey: head.SSEKMSKeyId };
}

/** Every file under a directory, as text (RACK_HOME: registry, history, locks, progress). */
export function filesUnder(dir: string): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    text += statSync(full).isDirectory() ? filesUnder(full) : `${readFileSync(full, 'utf8')}\n`;
  }
  return text;
}

/** The private key's lines that are long enough to mean something, for the scan. */
function keyLines(privateKey: string): string[] {
  return privateKey.split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----'));
}

export function expectNoKeyMaterial(privateKey: string, ...texts: string[]): void {
  const lines = keyLines(privateKey);
  expect(lines.length).toBeGreaterThan(3);
  for (const text of texts)
    for (const line of lines) expect(text.includes(line), `key material in: ${text.slice(0, 200)}`).toBe(false);
}
