/**
 * What a stack update does to a rack's auto-scaling group, launch template, security group, task
 * definition and log group, and what it asks of the caller, as AWS documents it: each correction shown
 * on a real rack template, and shown to be needed on a moto without it.
 */
import { TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateStackCommand, type Capability } from '@aws-sdk/client-cloudformation';
import { DescribeSecurityGroupsCommand, type Instance } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type CorrectionName, type LocalAws } from '../../harness/localAws.js';
import {
  createRack,
  describeGroup,
  describeInstance,
  importKeyPair,
  rackClients,
  rackResources,
  rackTemplate,
  stackResources,
  tag,
  updateRack,
  type RackClients,
} from './ec2ecsRack.js';

const WITHOUT: CorrectionName[] = [
  'stack-update-dependents',
  'group-update-in-place',
  'security-group-update',
  'group-launch-version',
  'task-definition-update',
  'log-group-update',
  'iam-capability',
];

let corrected: LocalAws;
const plain = new Map<CorrectionName, LocalAws>();

beforeAll(async () => {
  const started = await Promise.all([startLocalAws(), ...WITHOUT.map((name) => startLocalAws({ without: [name] }))]);
  corrected = started[0]!;
  for (const [i, name] of WITHOUT.entries()) plain.set(name, started[i + 1]!);
});

afterAll(async () => {
  await Promise.all([corrected, ...plain.values()].filter((aws) => aws !== undefined).map((aws) => aws.stop()));
});

function without(name: CorrectionName): LocalAws {
  const aws = plain.get(name);
  if (aws === undefined) throw new Error(`no emulator without ${name}`);
  return aws;
}

/** Terminates one of the group's instances keeping the capacity, and returns the one launched for it. */
async function replaceOne(
  clients: RackClients,
  group: string,
): Promise<{ replacement: Instance; reportedVersion: string | undefined }> {
  const before = await describeGroup(clients, group);
  const victim = before.instances[0]?.InstanceId;
  await clients.autoScaling.send(
    new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim, ShouldDecrementDesiredCapacity: false }),
  );
  const after = await describeGroup(clients, group);
  const known = new Set(before.instances.map((i) => i.InstanceId));
  const launched = after.instances.filter((i) => !known.has(i.InstanceId));
  expect(launched).toHaveLength(1);
  const replacement = await describeInstance(clients, launched[0]!.InstanceId!);
  return { replacement, reportedVersion: launched[0]!.LaunchTemplate?.Version };
}

/** The keyroll's stack update: a key pair appears, the rack's Key parameter names it. */
async function setKey(clients: RackClients, stack: string, key: string): Promise<void> {
  await importKeyPair(clients, key);
  expect(await updateRack(clients, stack, { Key: key })).toBe('UPDATE_COMPLETE');
}

describe('stack-update-dependents and group-launch-version: a Key update reaches the instances the group launches', () => {
  it('moves the group to the new launch template version; a replacement comes up from it, with the new key', async () => {
    const clients = rackClients(corrected);
    const rack = await createRack(clients, 'keyed');
    const created = await describeGroup(clients, rack.group);
    expect(created.launchTemplateVersion).toBe('1');

    await setKey(clients, rack.name, 'rack-key-2');
    const updated = await describeGroup(clients, rack.group);
    expect(updated.launchTemplateVersion).toBe('2');
    // Instances already running keep what they were launched from.
    expect(updated.instances.map((i) => [i.InstanceId, i.LaunchTemplate?.Version])).toEqual(
      created.instances.map((i) => [i.InstanceId, '1']),
    );

    const { replacement, reportedVersion } = await replaceOne(clients, rack.group);
    expect(replacement.KeyName).toBe('rack-key-2');
    expect(tag(replacement, 'aws:ec2launchtemplate:version')).toBe('2');
    expect(reportedVersion).toBe('2');
  });

  it('stack-update-dependents is needed: on plain moto the group stays on version 1 and the replacement has no key', async () => {
    const clients = rackClients(without('stack-update-dependents'));
    const rack = await createRack(clients, 'keyed');
    await setKey(clients, rack.name, 'rack-key-2');
    expect((await describeGroup(clients, rack.group)).launchTemplateVersion).toBe('1');
    expect((await replaceOne(clients, rack.group)).replacement.KeyName).toBeUndefined();
  });

  it('group-launch-version is needed: on plain moto the group names version 2 but launches from version 1, without the key', async () => {
    const clients = rackClients(without('group-launch-version'));
    const rack = await createRack(clients, 'keyed');
    await setKey(clients, rack.name, 'rack-key-2');
    expect((await describeGroup(clients, rack.group)).launchTemplateVersion).toBe('2');
    const { replacement } = await replaceOne(clients, rack.group);
    expect(replacement.KeyName).toBeUndefined();
    expect(tag(replacement, 'aws:ec2launchtemplate:version')).toBe('1');
  });
});

describe('stack-update-dependents through a chain of references', () => {
  // Size reaches Named only through a condition, and Pointer only through Named: moto's diff sees neither.
  const CHAIN = JSON.stringify({
    Parameters: { Size: { Type: 'String', Default: 'small' } },
    Conditions: { IsBig: { 'Fn::Equals': [{ Ref: 'Size' }, 'big'] } },
    Resources: {
      Named: {
        Type: 'AWS::SSM::Parameter',
        Properties: {
          Type: 'String',
          Value: 'v',
          Name: {
            'Fn::If': ['IsBig', { 'Fn::Sub': '${AWS::StackName}-big' }, { 'Fn::Sub': '${AWS::StackName}-small' }],
          },
        },
      },
      Pointer: {
        Type: 'AWS::SSM::Parameter',
        Properties: { Type: 'String', Name: { 'Fn::Sub': '${AWS::StackName}-pointer' }, Value: { Ref: 'Named' } },
      },
    },
  });

  /** SSM over its JSON wire protocol: the project has no SSM client. */
  async function parameterValue(aws: LocalAws, name: string): Promise<string | undefined> {
    const response = await fetch(aws.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AmazonSSM.GetParameter',
        Authorization: `AWS4-HMAC-SHA256 Credential=${aws.credentials.accessKeyId}/20260101/${aws.region}/ssm/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ Name: name }),
    });
    return ((await response.json()) as { Parameter?: { Value?: string } }).Parameter?.Value;
  }

  async function updateSize(aws: LocalAws): Promise<string | undefined> {
    const clients = rackClients(aws);
    await clients.cloudFormation.send(new CreateStackCommand({ StackName: 'chain', TemplateBody: CHAIN }));
    return updateRack(clients, 'chain', { Size: 'big' });
  }

  it('updates a resource whose condition changed, then one that refers to it', async () => {
    expect(await updateSize(corrected)).toBe('UPDATE_COMPLETE');
    expect(await parameterValue(corrected, 'chain-pointer')).toBe('chain-big');
  });

  it('is needed: plain moto updates neither', async () => {
    const aws = without('stack-update-dependents');
    await updateSize(aws);
    expect(await parameterValue(aws, 'chain-pointer')).toBe('chain-small');
  });
});

describe('group-update-in-place', () => {
  it('a stack update keeps the group, its name and its instances; a larger InstanceCount adds to them', async () => {
    const clients = rackClients(corrected);
    const rack = await createRack(clients, 'in-place');
    const ids = (await describeGroup(clients, rack.group)).instances.map((i) => i.InstanceId);

    await setKey(clients, rack.name, 'in-place-key');
    expect((await rackResources(clients, rack.name)).group).toBe(rack.group);
    expect((await describeGroup(clients, rack.group)).instances.map((i) => i.InstanceId)).toEqual(ids);

    expect(await updateRack(clients, rack.name, { InstanceCount: '3' })).toBe('UPDATE_COMPLETE');
    const grown = (await describeGroup(clients, rack.group)).instances.map((i) => i.InstanceId);
    expect(grown).toHaveLength(3);
    expect(grown).toEqual(expect.arrayContaining(ids));
  });

  it('is needed: plain moto replaces the group under a new name, with all new instances', async () => {
    const clients = rackClients(without('group-update-in-place'));
    const rack = await createRack(clients, 'in-place');
    const ids = (await describeGroup(clients, rack.group)).instances.map((i) => i.InstanceId);
    await setKey(clients, rack.name, 'in-place-key');
    const group = (await rackResources(clients, rack.name)).group;
    expect(group).not.toBe(rack.group);
    const now = (await describeGroup(clients, group)).instances.map((i) => i.InstanceId);
    expect(now.filter((id) => ids.includes(id))).toEqual([]);
  });
});

describe('security-group-update', () => {
  async function sshRules(clients: RackClients, groupId: string): Promise<number[]> {
    const { SecurityGroups = [] } = await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    return (SecurityGroups[0]?.IpPermissions ?? []).map((p) => p.FromPort ?? -1);
  }

  it('setting a Key opens SSH on the same security group, and the group still launches', async () => {
    const clients = rackClients(corrected);
    const rack = await createRack(clients, 'ssh-open');
    expect(await sshRules(clients, rack.securityGroup)).toEqual([]);
    await setKey(clients, rack.name, 'ssh-key');
    expect((await rackResources(clients, rack.name)).securityGroup).toBe(rack.securityGroup);
    expect(await sshRules(clients, rack.securityGroup)).toEqual([22]);
    expect((await replaceOne(clients, rack.group)).replacement.SecurityGroups?.map((g) => g.GroupId)).toEqual([
      rack.securityGroup,
    ]);
  });

  it('is needed: plain moto replaces the security group, and launches from the new template version fail', async () => {
    const clients = rackClients(without('security-group-update'));
    const rack = await createRack(clients, 'ssh-open');
    await setKey(clients, rack.name, 'ssh-key');
    expect((await rackResources(clients, rack.name)).securityGroup).not.toBe(rack.securityGroup);
    const victim = (await describeGroup(clients, rack.group)).instances[0]?.InstanceId;
    await expect(
      clients.autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim, ShouldDecrementDesiredCapacity: false }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });
});

describe('task-definition-update', () => {
  async function runningDefinition(aws: LocalAws, cluster: string, service: string) {
    const ecs = new ECSClient({ ...aws.clientConfig(), maxAttempts: 1 });
    const { services = [] } = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const arn = services[0]?.taskDefinition;
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    return { arn, container: taskDefinition?.containerDefinitions?.[0] };
  }

  it('a Version update registers a new revision with the new image, and the service moves to it', async () => {
    const clients = rackClients(corrected);
    const rack = await createRack(clients, 'new-image');
    expect((await runningDefinition(corrected, rack.cluster, rack.service)).arn).toMatch(/:1$/);
    expect(await updateRack(clients, rack.name, { Version: '1.0.1' })).toBe('UPDATE_COMPLETE');
    const { arn, container } = await runningDefinition(corrected, rack.cluster, rack.service);
    expect(arn).toMatch(/:2$/);
    expect(container).toMatchObject({ name: 'api', image: 'public.ecr.aws/rack/api:1.0.1', memory: 256 });
    expect(container?.environment).toContainEqual({ name: 'RACK_VERSION', value: '1.0.1' });
  });

  it('is needed: plain moto registers a revision with no name, image or environment', async () => {
    const aws = without('task-definition-update');
    const clients = rackClients(aws);
    const rack = await createRack(clients, 'new-image');
    await updateRack(clients, rack.name, { Version: '1.0.1' });
    const { arn, container } = await runningDefinition(aws, rack.cluster, rack.service);
    expect(arn).toMatch(/:2$/);
    expect(container?.name).toBeUndefined();
    expect(container?.image).toBeUndefined();
    expect(container?.environment).toEqual([]);
  });
});

describe('log-group-update', () => {
  /** CloudWatch Logs over its JSON wire protocol: the project has no Logs client. */
  async function retentionOf(aws: LocalAws, logGroupName: string): Promise<number | undefined> {
    const response = await fetch(aws.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'Logs_20140328.DescribeLogGroups',
        Authorization: `AWS4-HMAC-SHA256 Credential=${aws.credentials.accessKeyId}/20260101/${aws.region}/logs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ logGroupNamePrefix: logGroupName }),
    });
    const { logGroups = [] } = (await response.json()) as {
      logGroups?: Array<{ logGroupName: string; retentionInDays?: number }>;
    };
    return logGroups.find((g) => g.logGroupName === logGroupName)?.retentionInDays;
  }

  async function logGroupOf(clients: RackClients, stack: string): Promise<string | undefined> {
    return (await stackResources(clients, stack)).find((r) => r.LogicalResourceId === 'ApiLogs')?.PhysicalResourceId;
  }

  it('a new LogRetention keeps the log group in the stack and changes its retention', async () => {
    const clients = rackClients(corrected);
    await createRack(clients, 'logs', { version: '1.1.0', parameters: { LogRetention: '7' } });
    const logGroup = await logGroupOf(clients, 'logs');
    expect(logGroup).toMatch(/\S/);
    expect(await retentionOf(corrected, logGroup!)).toBe(7);
    expect(await updateRack(clients, 'logs', { LogRetention: '14' })).toBe('UPDATE_COMPLETE');
    expect(await logGroupOf(clients, 'logs')).toBe(logGroup);
    expect(await retentionOf(corrected, logGroup!)).toBe(14);
  });

  it('is needed: plain moto loses the log group from the stack and keeps the old retention', async () => {
    const aws = without('log-group-update');
    const clients = rackClients(aws);
    await createRack(clients, 'logs', { version: '1.1.0', parameters: { LogRetention: '7' } });
    const logGroup = await logGroupOf(clients, 'logs');
    await updateRack(clients, 'logs', { LogRetention: '14' });
    expect(await logGroupOf(clients, 'logs')).toBeUndefined();
    expect(await retentionOf(aws, logGroup!)).toBe(7);
  });
});

describe('iam-capability', () => {
  it('refuses a rack update that keeps the template but does not acknowledge its IAM resources', async () => {
    const clients = rackClients(corrected);
    await createRack(clients, 'capable');
    await expect(updateRack(clients, 'capable', { InstanceCount: '3' }, { capabilities: [] })).rejects.toMatchObject({
      name: 'InsufficientCapabilitiesException',
      message: 'Requires capabilities : [CAPABILITY_IAM]',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      clients.cloudFormation.send(
        new CreateStackCommand({ StackName: 'uncapable', TemplateBody: rackTemplate('1.0.0'), Parameters: [] }),
      ),
    ).rejects.toMatchObject({ name: 'InsufficientCapabilitiesException' });
    expect(await updateRack(clients, 'capable', { InstanceCount: '3' })).toBe('UPDATE_COMPLETE');
  });

  it('asks for CAPABILITY_NAMED_IAM when an IAM resource is given a name', async () => {
    const named = JSON.stringify({
      Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'named', AssumeRolePolicyDocument: {} } } },
    });
    const create = (capabilities: Capability[]) =>
      rackClients(corrected).cloudFormation.send(
        new CreateStackCommand({ StackName: 'named-iam', TemplateBody: named, Capabilities: capabilities }),
      );
    await expect(create(['CAPABILITY_IAM'])).rejects.toMatchObject({
      message: 'Requires capabilities : [CAPABILITY_NAMED_IAM]',
    });
    await expect(create(['CAPABILITY_NAMED_IAM'])).resolves.toMatchObject({ StackId: expect.any(String) });
  });

  it('is needed: plain moto updates the rack without the capability', async () => {
    const clients = rackClients(without('iam-capability'));
    await createRack(clients, 'capable');
    expect(await updateRack(clients, 'capable', { InstanceCount: '3' }, { capabilities: [] })).toBe('UPDATE_COMPLETE');
  });
});
