/**
 * Reads of a rack's fleet: its auto-scaling group and, where it runs ECS, its cluster's services. The
 * group and cluster are found among the stack's resources by type (the rack template contract).
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeServicesCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
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
        ? { id: group.LaunchTemplate.LaunchTemplateId, name: group.LaunchTemplate.LaunchTemplateName, version: group.LaunchTemplate.Version }
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
