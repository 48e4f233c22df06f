/**
 * A real rack on the local AWS for the EC2/ECS harness tests: created from a shipped template and
 * updated the way rack updates it (a change set keeping every other value with UsePreviousValue).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type Instance as GroupInstance,
} from '@aws-sdk/client-auto-scaling';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Capability,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, EC2Client, ImportKeyPairCommand, type Instance } from '@aws-sdk/client-ec2';
import type { LocalAws } from '../../harness/localAws.js';

const TEMPLATES = fileURLToPath(new URL('../../../channels/templates/', import.meta.url));

export function rackTemplate(version: string): string {
  return readFileSync(`${TEMPLATES}rack-${version}.yaml`, 'utf8');
}

export interface Rack {
  name: string;
  group: string;
  cluster: string;
  launchTemplate: string;
  securityGroup: string;
  service: string;
}

export interface RackClients {
  cloudFormation: CloudFormationClient;
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
}

/** maxAttempts 1: a failure from moto is what the test looks at, not something to retry. */
export function rackClients(aws: LocalAws): RackClients {
  const config = { ...aws.clientConfig(), maxAttempts: 1 };
  return {
    cloudFormation: new CloudFormationClient(config),
    autoScaling: new AutoScalingClient(config),
    ec2: new EC2Client(config),
  };
}

export async function createRack(
  clients: RackClients,
  name: string,
  { version = '1.0.0', parameters = {} }: { version?: string; parameters?: Record<string, string> } = {},
): Promise<Rack> {
  const values: Record<string, string> = {
    Version: version,
    Password: randomBytes(12).toString('hex'),
    InstanceCount: '2',
    ...parameters,
  };
  await clients.cloudFormation.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: rackTemplate(version),
      Parameters: Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  return rackResources(clients, name);
}

/** Sets `changes`, keeps every other parameter; a new template body if given, else the stack's own. */
export async function updateRack(
  clients: RackClients,
  name: string,
  changes: Record<string, string>,
  { templateBody, capabilities = ['CAPABILITY_IAM'] }: { templateBody?: string; capabilities?: Capability[] } = {},
): Promise<string | undefined> {
  const { Stacks } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
  const kept = (Stacks?.[0]?.Parameters ?? []).map((p) => p.ParameterKey ?? '').filter((key) => !(key in changes));
  const changeSetName = `update-${randomBytes(4).toString('hex')}`;
  await clients.cloudFormation.send(
    new CreateChangeSetCommand({
      StackName: name,
      ChangeSetName: changeSetName,
      // Explicit: moto reads a missing ChangeSetType as CREATE (aws-local.md).
      ChangeSetType: 'UPDATE',
      ...(templateBody === undefined ? { UsePreviousTemplate: true } : { TemplateBody: templateBody }),
      Parameters: [
        ...Object.entries(changes).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        ...kept.map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true })),
      ],
      Capabilities: capabilities,
    }),
  );
  await clients.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: changeSetName }));
  const after = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
  return after.Stacks?.[0]?.StackStatus;
}

export async function stackResources(clients: RackClients, name: string): Promise<StackResource[]> {
  const { StackResources = [] } = await clients.cloudFormation.send(
    new DescribeStackResourcesCommand({ StackName: name }),
  );
  return StackResources;
}

export async function rackResources(clients: RackClients, name: string): Promise<Rack> {
  const resources = await stackResources(clients, name);
  const id = (logicalId: string): string => {
    const found = resources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
    if (found === undefined) throw new Error(`stack ${name} has no ${logicalId}`);
    return found;
  };
  return {
    name,
    group: id('AutoScalingGroup'),
    cluster: id('Cluster'),
    launchTemplate: id('LaunchTemplate'),
    securityGroup: id('InstanceSecurityGroup'),
    service: id('ApiService'),
  };
}

export interface GroupView {
  launchTemplateVersion: string | undefined;
  instances: GroupInstance[];
}

export async function describeGroup(clients: RackClients, group: string): Promise<GroupView> {
  const { AutoScalingGroups = [] } = await clients.autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }),
  );
  const found = AutoScalingGroups[0];
  if (found === undefined) throw new Error(`no group ${group}`);
  return { launchTemplateVersion: found.LaunchTemplate?.Version, instances: found.Instances ?? [] };
}

export async function describeInstance(clients: RackClients, instanceId: string): Promise<Instance> {
  const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = Reservations[0]?.Instances?.[0];
  if (instance === undefined) throw new Error(`no instance ${instanceId}`);
  return instance;
}

export function tag(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

/** Imports a fresh ed25519 public key under `name`, in OpenSSH's own encoding. */
export async function importKeyPair(clients: RackClients, name: string): Promise<void> {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const field = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
  await clients.ec2.send(
    new ImportKeyPairCommand({
      KeyName: name,
      PublicKeyMaterial: Buffer.from(`ssh-ed25519 ${blob.toString('base64')} ${name}`),
    }),
  );
}
