/**
 * The keyroll's kill points: its scenario and its invariant — at every moment, the stack's Key names a key
 * pair that exists in EC2 and whose private key is in the settings bucket (pending or active), so that every
 * instance the group launches can be reached.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeKeyPairsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { expect } from 'vitest';
import type { KillPoint, WriteStep } from '../../harness/killPoints.js';
import { freshRack, type CrashKit, type CrashRack, type Scenario } from './crashKit.js';

/** The writes of a clean keyroll of a two-instance rack, in order (checked against a real run). */
export const KEYROLL_STEPS: WriteStep[] = [
  { service: 'ec2', action: 'ImportKeyPair', nth: 1, seq: 0 },
  { service: 's3', action: 'PutObject', nth: 1, seq: 0 },
  { service: 'cloudformation', action: 'CreateChangeSet', nth: 1, seq: 0 },
  { service: 'cloudformation', action: 'ExecuteChangeSet', nth: 1, seq: 0 },
  { service: 's3', action: 'PutObject', nth: 2, seq: 0 },
  { service: 's3', action: 'PutObject', nth: 3, seq: 0 },
  { service: 's3', action: 'DeleteObject', nth: 1, seq: 0 },
  { service: 'ecs', action: 'UpdateContainerInstancesState', nth: 1, seq: 0 },
  { service: 'autoscaling', action: 'TerminateInstanceInAutoScalingGroup', nth: 1, seq: 0 },
  { service: 'ecs', action: 'UpdateContainerInstancesState', nth: 2, seq: 0 },
  { service: 'autoscaling', action: 'TerminateInstanceInAutoScalingGroup', nth: 2, seq: 0 },
];

/** Before the stack update runs, an interrupt removes the new key again: nothing changed. */
const beforeTheUpdate = (point: KillPoint) =>
  ['ImportKeyPair', 'CreateChangeSet'].includes(point.action) || (point.action === 'PutObject' && point.nth === 1);

export function keyrollScenario(kit: CrashKit): Scenario {
  const clients = {
    ec2: new EC2Client(kit.aws.clientConfig()),
    s3: new S3Client({ ...kit.aws.clientConfig(), forcePathStyle: true }),
    autoscaling: new AutoScalingClient(kit.aws.clientConfig()),
  };

  async function expectInvariant(rack: CrashRack, label: string): Promise<string> {
    const key = (await kit.aws.stackParameters(rack.stackName)).Key ?? '';
    if (key === '') return key;
    const pairs = await clients.ec2.send(new DescribeKeyPairsCommand({}));
    expect(
      pairs.KeyPairs?.map((k) => k.KeyName),
      `${label}: the key pair the stack names exists`,
    ).toContain(key);
    const { Stacks = [] } = await kit.cfn.send(new DescribeStacksCommand({ StackName: rack.stackName }));
    const bucket = Stacks[0]?.Outputs?.find((o) => o.OutputKey === 'SettingsBucket')?.OutputValue;
    const stored = await Promise.all(
      [`ssh/${key}.pem`, `ssh/pending/${key}.pem`].map((Key) =>
        clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key })).then(
          () => true,
          () => false,
        ),
      ),
    );
    expect(stored.some(Boolean), `${label}: the private key of ${key} is in ${bucket}`).toBe(true);
    return key;
  }

  return {
    setup: () =>
      freshRack(kit, { version: '1.3.1', prefix: 'crash-kr', parameters: { InstanceCount: '2' }, inProgressMs: 250 }),
    args: ['instances', 'keyroll', '--yes', '--force'],
    operation: 'keyroll',
    expected: (point) =>
      point.signal === 'SIGINT' && beforeTheUpdate(point)
        ? 'cancelled'
        : // Interrupted during its last write, a keyroll with nothing left to wait for finishes.
          point.signal === 'SIGINT' && point.action === 'TerminateInstanceInAutoScalingGroup' && point.nth === 2
          ? ['interrupted', 'succeeded']
          : 'interrupted',
    recoveryEntries: () => 1,
    stopped: async (rack, _point, label) => {
      await expectInvariant(rack, `${label} (stopped)`);
    },
    async reached(rack, label) {
      const key = await expectInvariant(rack, label);
      expect(key, label).toMatch(/^rack-crash-kr-/);
      const { AutoScalingGroups = [] } = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
      const group =
        AutoScalingGroups.find((g) => g.Tags?.some((t) => t.Value === rack.stackName)) ??
        AutoScalingGroups.find((g) => g.AutoScalingGroupName?.startsWith(rack.stackName));
      const ids = (group?.Instances ?? []).map((i) => i.InstanceId!);
      expect(ids.length, label).toBe(2);
      const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      const keys = Reservations.flatMap((r) => r.Instances ?? []).map((i) => i.KeyName);
      expect(keys, `${label}: every instance runs the new key`).toEqual([key, key]);
    },
  };
}
