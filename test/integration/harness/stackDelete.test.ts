/**
 * The `stack-delete-resources` correction: DeleteStack of a rack made from any shipped template deletes
 * every resource, dependents first, as CloudFormation does; a bucket that is not empty leaves the stack
 * DELETE_FAILED. Plain moto 5.2.1 fails on the VPC (it never deletes the stack's route table).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { DeleteObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { compare } from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';

const PASSWORD = 'stack-delete-Secret-1';
const WEBHOOK_SECRET = 'stack-delete-webhook-secret';
const VERSIONS = readdirSync(fileURLToPath(new URL('../../../channels/templates/', import.meta.url)))
  .map((file) => /^rack-(.+)\.yaml$/.exec(file)?.[1])
  .filter((version): version is string => version !== undefined)
  .sort(compare);

/** 2.0.0 moved the instances to private subnets behind NAT gateways, in three zones. */
const production = (version: string) => compare(version, '2.0.0') >= 0;

let aws: LocalAws;
let plain: LocalAws;

beforeAll(async () => {
  [aws, plain] = await Promise.all([startLocalAws(), startLocalAws({ without: ['stack-delete-resources'] })]);
});
afterAll(async () => {
  await Promise.all([aws?.stop(), plain?.stop()]);
});

/** maxAttempts 1: what moto answers is what the test looks at. */
function clients(on: LocalAws) {
  const config = { ...on.clientConfig(), maxAttempts: 1 };
  return {
    cfn: new CloudFormationClient(config),
    ec2: new EC2Client(config),
    asg: new AutoScalingClient(config),
    ecs: new ECSClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
  };
}

async function createRack(
  on: LocalAws,
  stackName: string,
  version: string,
): Promise<{ stackId: string; ids: Record<string, string> }> {
  await createRackStack(on, {
    stackName,
    version,
    password: PASSWORD,
    parameters: compare(version, '1.4.0') >= 0 ? { WebhookSecret: WEBHOOK_SECRET } : {},
  });
  const { cfn } = clients(on);
  const stackId = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!.StackId!;
  const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  return {
    stackId,
    ids: Object.fromEntries((StackResources ?? []).map((r) => [r.LogicalResourceId!, r.PhysicalResourceId!])),
  };
}

async function stackStatus(on: LocalAws, nameOrId: string): Promise<string | undefined> {
  try {
    return (await clients(on).cfn.send(new DescribeStacksCommand({ StackName: nameOrId }))).Stacks?.[0]?.StackStatus;
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
}

async function events(on: LocalAws, stackId: string): Promise<StackEvent[]> {
  const found: StackEvent[] = [];
  let NextToken: string | undefined;
  do {
    const page = await clients(on).cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken }));
    found.push(...(page.StackEvents ?? []));
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return found;
}

async function bucketExists(on: LocalAws, bucket: string): Promise<boolean> {
  try {
    await clients(on).s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

/** What the network and the fleet still hold of the rack's resources. */
async function leftOf(on: LocalAws, ids: Record<string, string>) {
  const { ec2, asg, ecs } = clients(on);
  const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const tables = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables ?? [];
  const gateways = (await ec2.send(new DescribeInternetGatewaysCommand({}))).InternetGateways ?? [];
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
  const templates = (await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? [];
  const instances = ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap(
    (r) => r.Instances ?? [],
  );
  const rackSubnets = ['SubnetA', 'SubnetB', 'PrivateSubnetA', 'PrivateSubnetB', 'PrivateSubnetC'].map((id) => ids[id]);
  const nat = (await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways ?? [];
  const scaling = (await asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
  const cluster = (await ecs.send(new DescribeClustersCommand({ clusters: [ids.Cluster!] }))).clusters?.[0];
  const service = (await ecs.send(new DescribeServicesCommand({ cluster: ids.Cluster!, services: [ids.ApiService!] })))
    .services?.[0];
  const task = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ids.ApiTask! }))).taskDefinition;
  return {
    vpc: vpcs.some((v) => v.VpcId === ids.Vpc),
    subnets: subnets.filter((s) => s.VpcId === ids.Vpc).length,
    routeTables: tables.filter((t) => t.VpcId === ids.Vpc).length,
    gateway: gateways.some((g) => g.InternetGatewayId === ids.InternetGateway),
    securityGroup: groups.some((g) => g.GroupId === ids.InstanceSecurityGroup),
    launchTemplate: templates.some((t) => t.LaunchTemplateId === ids.LaunchTemplate),
    autoScalingGroup: scaling.some((g) => g.AutoScalingGroupName === ids.AutoScalingGroup),
    liveInstances: instances.filter(
      (i) => i.SubnetId !== undefined && rackSubnets.includes(i.SubnetId) && i.State?.Name !== 'terminated',
    ).length,
    natGateways: nat.filter((n) => n.VpcId === ids.Vpc && n.State !== 'deleted').length,
    cluster: cluster?.status,
    service: service?.status,
    taskDefinition: task?.status,
  };
}

const GONE = {
  vpc: false,
  subnets: 0,
  routeTables: 0,
  gateway: false,
  securityGroup: false,
  launchTemplate: false,
  autoScalingGroup: false,
  liveInstances: 0,
  natGateways: 0,
  cluster: 'INACTIVE',
  service: 'INACTIVE',
  taskDefinition: 'INACTIVE',
};

describe('stack-delete-resources', () => {
  it('finds every shipped template', () => {
    expect(VERSIONS).toContain('1.0.0');
    expect(VERSIONS).toContain('1.4.0');
  });

  it.each(VERSIONS)('DeleteStack of a rack %s deletes the stack and every resource', async (version) => {
    const name = `gone-${version.replace(/\./g, '-')}`;
    const { stackId, ids } = await createRack(aws, name, version);
    const before = await leftOf(aws, ids);
    expect(before).toMatchObject({
      vpc: true,
      subnets: production(version) ? 6 : 2,
      routeTables: production(version) ? 5 : 2,
      natGateways: production(version) ? 3 : 0,
      gateway: true,
      securityGroup: true,
      autoScalingGroup: true,
      cluster: 'ACTIVE',
    });
    expect(before.liveInstances).toBeGreaterThan(0);

    await clients(aws).cfn.send(new DeleteStackCommand({ StackName: name }));

    expect(await stackStatus(aws, name)).toBeUndefined();
    expect(await stackStatus(aws, stackId)).toBe('DELETE_COMPLETE');
    expect(await leftOf(aws, ids)).toEqual(GONE);
    expect(await bucketExists(aws, ids.SettingsBucket!)).toBe(false);
  });

  it('deletes dependents first, each with its events', async () => {
    const { stackId, ids } = await createRack(aws, 'ordered', '1.3.1');
    await clients(aws).cfn.send(new DeleteStackCommand({ StackName: 'ordered' }));

    // Newest first: reversed, the order CloudFormation deleted in.
    const completed = (await events(aws, stackId))
      .reverse()
      .filter((e) => e.ResourceStatus === 'DELETE_COMPLETE')
      .map((e) => e.LogicalResourceId!);
    expect(completed.at(-1)).toBe('ordered');
    expect(new Set(completed)).toEqual(new Set([...Object.keys(ids), 'ordered']));
    const deletedBefore = (first: string, then: string) =>
      expect(completed.indexOf(first), `${first} before ${then}`).toBeLessThan(completed.indexOf(then));
    deletedBefore('ApiService', 'Cluster');
    deletedBefore('ApiService', 'ApiTask');
    deletedBefore('AutoScalingGroup', 'LaunchTemplate');
    deletedBefore('AutoScalingGroup', 'SubnetA');
    deletedBefore('LaunchTemplate', 'InstanceSecurityGroup');
    deletedBefore('InstanceProfile', 'InstanceRole');
    deletedBefore('SubnetARoutes', 'PublicRouteTable');
    deletedBefore('DefaultRoute', 'GatewayAttachment');
    deletedBefore('GatewayAttachment', 'InternetGateway');
    deletedBefore('PublicRouteTable', 'Vpc');
    deletedBefore('SettingsBucket', 'EncryptionKey');
  });

  it('a settings bucket that is not empty leaves the stack DELETE_FAILED; emptied, DeleteStack again finishes', async () => {
    const { stackId, ids } = await createRack(aws, 'kept', '1.4.0');
    const { cfn, s3 } = clients(aws);
    await s3.send(new PutObjectCommand({ Bucket: ids.SettingsBucket!, Key: 'keys/rack.pem', Body: 'private key' }));

    await cfn.send(new DeleteStackCommand({ StackName: 'kept' }));

    expect(await stackStatus(aws, 'kept')).toBe('DELETE_FAILED');
    const failed = (await events(aws, stackId)).filter((e) => e.ResourceStatus === 'DELETE_FAILED');
    expect(failed.map((e) => [e.LogicalResourceId, e.ResourceStatusReason])).toEqual([
      ['kept', 'The following resource(s) failed to delete: [SettingsBucket]. '],
      ['SettingsBucket', 'The bucket you tried to delete is not empty'],
    ]);
    expect(await bucketExists(aws, ids.SettingsBucket!)).toBe(true);
    // Independent branches went: the network and the fleet.
    expect(await leftOf(aws, ids)).toEqual(GONE);

    await s3.send(new DeleteObjectCommand({ Bucket: ids.SettingsBucket!, Key: 'keys/rack.pem' }));
    await cfn.send(new DeleteStackCommand({ StackName: 'kept' }));
    expect(await stackStatus(aws, 'kept')).toBeUndefined();
    expect(await stackStatus(aws, stackId)).toBe('DELETE_COMPLETE');
    expect(await bucketExists(aws, ids.SettingsBucket!)).toBe(false);
  });

  it('without it, moto fails DeleteStack on the VPC, loses the stack and leaves the network behind', async () => {
    const { stackId, ids } = await createRack(plain, 'stuck', '1.3.1');

    await expect(clients(plain).cfn.send(new DeleteStackCommand({ StackName: 'stuck' }))).rejects.toThrow(
      /vpc .* has dependencies and cannot be deleted/,
    );

    expect(await stackStatus(plain, 'stuck')).toBeUndefined();
    expect(await stackStatus(plain, stackId)).toBeUndefined();
    const left = await leftOf(plain, ids);
    expect(left).toMatchObject({ vpc: true, routeTables: 2, cluster: 'ACTIVE' });
    expect(left).not.toEqual(GONE);
  });
});
