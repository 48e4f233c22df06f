/**
 * Reads of a rack's fleet: its auto-scaling group and, where it runs ECS, its cluster's services. The
 * group and cluster are found among the stack's resources by type (the rack template contract).
 */
import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTasksCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import type { AwsClients } from './clients.js';
import { stackResources } from './cloudformation.js';
import { toRackError } from './errors.js';

export interface RackFleet {
  autoScalingGroup?: string;
  cluster?: string;
}

export async function findFleet(aws: AwsClients, stackName: string): Promise<RackFleet> {
  const resources = await stackResources(aws, stackName);
  const groups = resources.filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup');
  const clusters = resources.filter((r) => r.type === 'AWS::ECS::Cluster');
  return { autoScalingGroup: groups[0]?.physicalId || undefined, cluster: clusters[0]?.physicalId || undefined };
}

export interface GroupInstance {
  instanceId: string;
  lifecycleState: string;
  healthStatus: string;
  availabilityZone: string;
  instanceType?: string;
  launchTemplateVersion?: string;
}

export interface GroupState {
  name: string;
  desired: number;
  min: number;
  max: number;
  instances: GroupInstance[];
  launchTemplate?: { id?: string; name?: string; version?: string };
}

export async function describeGroup(aws: AwsClients, name: string): Promise<GroupState> {
  const client = await aws.autoscaling();
  try {
    const out = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const group = out.AutoScalingGroups?.[0];
    if (!group) throw new Error(`auto-scaling group ${name} not found`);
    return {
      name,
      desired: group.DesiredCapacity ?? 0,
      min: group.MinSize ?? 0,
      max: group.MaxSize ?? 0,
      instances: (group.Instances ?? []).map((i) => ({
        instanceId: i.InstanceId ?? '',
        lifecycleState: i.LifecycleState ?? '',
        healthStatus: i.HealthStatus ?? '',
        availabilityZone: i.AvailabilityZone ?? '',
        instanceType: i.InstanceType,
        launchTemplateVersion: i.LaunchTemplate?.Version,
      })),
      launchTemplate: group.LaunchTemplate
        ? {
            id: group.LaunchTemplate.LaunchTemplateId,
            name: group.LaunchTemplate.LaunchTemplateName,
            version: group.LaunchTemplate.Version,
          }
        : undefined,
    };
  } catch (error) {
    throw toRackError(error, { doing: `reading auto-scaling group ${name}` });
  }
}

export interface ServiceState {
  name: string;
  desired: number;
  running: number;
}

export async function describeServices(aws: AwsClients, cluster: string): Promise<ServiceState[]> {
  const ecs = await aws.ecs();
  try {
    const arns: string[] = [];
    let token: string | undefined;
    do {
      const page = await ecs.send(new ListServicesCommand({ cluster, nextToken: token }));
      arns.push(...(page.serviceArns ?? []));
      token = page.nextToken;
    } while (token);
    const services: ServiceState[] = [];
    for (let i = 0; i < arns.length; i += 10) {
      const out = await ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }));
      for (const s of out.services ?? []) {
        services.push({ name: s.serviceName ?? '', desired: s.desiredCount ?? 0, running: s.runningCount ?? 0 });
      }
    }
    return services.sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    throw toRackError(error, { doing: `reading the services of cluster ${cluster}` });
  }
}

export interface ContainerInstanceState {
  arn: string;
  ec2InstanceId: string;
  /** ACTIVE, DRAINING, INACTIVE, … */
  status: string;
  agentConnected: boolean;
  runningTasks: number;
  pendingTasks: number;
  /** CPU units and MiB registered with the cluster, and what tasks have not reserved. */
  cpu?: { registered: number; remaining: number };
  memory?: { registered: number; remaining: number };
}

function resource(list: { name?: string; integerValue?: number }[] | undefined, name: string): number | undefined {
  return list?.find((r) => r.name === name)?.integerValue;
}

/** The cluster's container instances (every status ECS lists), by EC2 instance id. */
export async function containerInstances(aws: AwsClients, cluster: string): Promise<ContainerInstanceState[]> {
  const ecs = await aws.ecs();
  try {
    const arns: string[] = [];
    let token: string | undefined;
    do {
      const page = await ecs.send(new ListContainerInstancesCommand({ cluster, nextToken: token }));
      arns.push(...(page.containerInstanceArns ?? []));
      token = page.nextToken;
    } while (token);
    const found: ContainerInstanceState[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await ecs.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: arns.slice(i, i + 100) }),
      );
      for (const ci of out.containerInstances ?? []) {
        const registered = {
          cpu: resource(ci.registeredResources, 'CPU'),
          memory: resource(ci.registeredResources, 'MEMORY'),
        };
        const remaining = {
          cpu: resource(ci.remainingResources, 'CPU'),
          memory: resource(ci.remainingResources, 'MEMORY'),
        };
        found.push({
          arn: ci.containerInstanceArn ?? '',
          ec2InstanceId: ci.ec2InstanceId ?? '',
          status: ci.status ?? 'UNKNOWN',
          agentConnected: Boolean(ci.agentConnected),
          runningTasks: ci.runningTasksCount ?? 0,
          pendingTasks: ci.pendingTasksCount ?? 0,
          cpu:
            registered.cpu === undefined
              ? undefined
              : { registered: registered.cpu, remaining: remaining.cpu ?? registered.cpu },
          memory:
            registered.memory === undefined
              ? undefined
              : { registered: registered.memory, remaining: remaining.memory ?? registered.memory },
        });
      }
    }
    return found;
  } catch (error) {
    throw toRackError(error, { doing: `reading the container instances of cluster ${cluster}` });
  }
}

/** Sets a container instance to DRAINING: ECS moves its service tasks elsewhere, within each deployment configuration. */
export async function drainContainerInstance(aws: AwsClients, cluster: string, arn: string): Promise<void> {
  const ecs = await aws.ecs();
  try {
    const out = await ecs.send(
      new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [arn], status: 'DRAINING' }),
    );
    const failure = out.failures?.[0];
    if (failure) throw new Error(`${failure.reason ?? 'failed'}${failure.detail ? `: ${failure.detail}` : ''}`);
  } catch (error) {
    throw toRackError(error, { doing: `draining container instance ${arn}` });
  }
}

/** Service tasks (group `service:…`) placed on a container instance that ECS still wants running. */
export async function serviceTasksOn(aws: AwsClients, cluster: string, containerInstanceArn: string): Promise<number> {
  const ecs = await aws.ecs();
  try {
    const arns: string[] = [];
    let token: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({
          cluster,
          containerInstance: containerInstanceArn,
          desiredStatus: 'RUNNING',
          nextToken: token,
        }),
      );
      arns.push(...(page.taskArns ?? []));
      token = page.nextToken;
    } while (token);
    let count = 0;
    for (let i = 0; i < arns.length; i += 100) {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
      count += (out.tasks ?? []).filter((t) => t.group?.startsWith('service:') && t.lastStatus !== 'STOPPED').length;
    }
    return count;
  } catch (error) {
    throw toRackError(error, { doing: `listing the tasks on container instance ${containerInstanceArn}` });
  }
}

/**
 * TerminateInstanceInAutoScalingGroup. Without `decrement` the group launches a replacement; with it, the
 * group's desired capacity goes down by one instead.
 */
export async function terminateInGroup(aws: AwsClients, instanceId: string, decrement: boolean): Promise<void> {
  const client = await aws.autoscaling();
  try {
    await client.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: decrement,
      }),
    );
  } catch (error) {
    throw toRackError(error, { doing: `terminating instance ${instanceId}` });
  }
}

export async function setDesiredCapacity(aws: AwsClients, group: string, desired: number): Promise<void> {
  const client = await aws.autoscaling();
  try {
    await client.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: desired, HonorCooldown: false }),
    );
  } catch (error) {
    throw toRackError(error, { doing: `setting the desired capacity of ${group} to ${desired}` });
  }
}
