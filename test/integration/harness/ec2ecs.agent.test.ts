/**
 * ecs-agent: the group's instances register with their cluster, services get their tasks, tasks move off
 * a DRAINING instance within each service's deployment configuration, and counts come from the tasks,
 * so a one-task service's downtime can be seen next to a service that stays up.
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateContainerInstancesStateCommand,
  UpdateServiceCommand,
  type ContainerInstance,
  type Task,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ecsAgentView, runningCounts, sampleUntil, setHarnessTimings, waitUntil } from '../../harness/ecsAgent.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRack, describeGroup, rackClients } from './ec2ecsRack.js';

const TASK_START_MS = 400;
const CLUSTER = 'agent';
const GROUP = 'agent-instances';
/** Placed in this order (services are scheduled by name): pair on A and B, solo on A, steady on B. */
const SERVICES = {
  pair: { desiredCount: 2, minimumHealthyPercent: 50 },
  solo: { desiredCount: 1, minimumHealthyPercent: 0 },
  steady: { desiredCount: 1, minimumHealthyPercent: 100 },
} as const;
type ServiceName = keyof typeof SERVICES;

let aws: LocalAws;
let plain: LocalAws;

beforeAll(async () => {
  [aws, plain] = await Promise.all([
    startLocalAws({ ecsTaskStartMs: TASK_START_MS }),
    startLocalAws({ ecsTaskStartMs: TASK_START_MS, without: ['ecs-agent'] }),
  ]);
});

afterAll(async () => {
  await Promise.all([aws, plain].filter((a) => a !== undefined).map((a) => a.stop()));
});

beforeEach(async () => {
  await Promise.all([aws.reset(), plain.reset()]);
});

interface Clients {
  ecs: ECSClient;
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
}

function clientsOf(local: LocalAws): Clients {
  const config = { ...local.clientConfig(), maxAttempts: 1 };
  return { ecs: new ECSClient(config), ec2: new EC2Client(config), autoScaling: new AutoScalingClient(config) };
}

/** A cluster, a group of t3.small instances whose user data names it, and the three services. */
async function createCluster(local: LocalAws, { instances = 2 }: { instances?: number } = {}): Promise<Clients> {
  const clients = clientsOf(local);
  await clients.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  const userData = Buffer.from(`#!/bin/bash\necho ECS_CLUSTER=${CLUSTER} >> /etc/ecs/ecs.config\n`).toString('base64');
  const { LaunchTemplate } = await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'agent-instance',
      LaunchTemplateData: { ImageId: 'ami-05a9d3c6794653577', InstanceType: 't3.small', UserData: userData },
    }),
  );
  const { Subnets = [] } = await clients.ec2.send(new DescribeSubnetsCommand({}));
  await clients.autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: GROUP,
      LaunchTemplate: { LaunchTemplateId: LaunchTemplate?.LaunchTemplateId, Version: '$Latest' },
      MinSize: instances,
      MaxSize: instances + 1,
      DesiredCapacity: instances,
      VPCZoneIdentifier: Subnets[0]?.SubnetId,
    }),
  );
  await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      networkMode: 'bridge',
      containerDefinitions: [
        {
          name: 'web',
          image: 'public.ecr.aws/rack/web:1',
          memory: 256,
          portMappings: [{ containerPort: 80, hostPort: 0 }],
        },
      ],
    }),
  );
  for (const [serviceName, { desiredCount, minimumHealthyPercent }] of Object.entries(SERVICES)) {
    await clients.ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName,
        taskDefinition: 'web',
        desiredCount,
        launchType: 'EC2',
        deploymentConfiguration: { minimumHealthyPercent, maximumPercent: 200 },
      }),
    );
  }
  return clients;
}

async function containerInstances(clients: Clients): Promise<ContainerInstance[]> {
  const { containerInstanceArns = [] } = await clients.ecs.send(
    new ListContainerInstancesCommand({ cluster: CLUSTER }),
  );
  if (containerInstanceArns.length === 0) return [];
  const { containerInstances: found = [] } = await clients.ecs.send(
    new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: containerInstanceArns }),
  );
  return found;
}

/** The service's live tasks (desired RUNNING), as DescribeTasks shows them. */
async function tasksOf(clients: Clients, service: ServiceName): Promise<Task[]> {
  const { taskArns = [] } = await clients.ecs.send(new ListTasksCommand({ cluster: CLUSTER }));
  if (taskArns.length === 0) return [];
  const { tasks = [] } = await clients.ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }));
  return tasks.filter((t) => t.group === `service:${service}` && t.desiredStatus === 'RUNNING');
}

async function hostOf(clients: Clients, service: ServiceName): Promise<string> {
  const [task, ...others] = await tasksOf(clients, service);
  expect(others).toEqual([]);
  return task!.containerInstanceArn!;
}

function settled(counts: Record<string, number>): boolean {
  return Object.entries(SERVICES).every(([name, { desiredCount }]) => counts[name] === desiredCount);
}

async function whenSettled(clients: Clients): Promise<Record<string, number>> {
  return waitUntil(() => runningCounts(clients.ecs, CLUSTER), settled, { context: () => ecsAgentView(aws) });
}

async function drain(clients: Clients, containerInstanceArn: string): Promise<void> {
  await clients.ecs.send(
    new UpdateContainerInstancesStateCommand({
      cluster: CLUSTER,
      containerInstances: [containerInstanceArn],
      status: 'DRAINING',
    }),
  );
}

describe('ecs-agent', () => {
  it("registers the group's instances with the cluster their user data names, with their type's CPU and memory", async () => {
    const clients = await createCluster(aws);
    const instanceIds = (await describeGroup(rackClients(aws), GROUP)).instances.map((i) => i.InstanceId).sort();
    const registered = await waitUntil(
      () => containerInstances(clients),
      (found) => found.length === 2,
    );
    expect(registered.map((ci) => ci.ec2InstanceId).sort()).toEqual(instanceIds);
    for (const ci of registered) {
      expect(ci).toMatchObject({ status: 'ACTIVE', agentConnected: true });
      const resource = (name: string) => ci.registeredResources?.find((r) => r.name === name)?.integerValue;
      // t3.small: 2 vCPUs, 2 GiB less what the OS keeps.
      expect([resource('CPU'), resource('MEMORY')]).toEqual([2048, 1945]);
    }
  });

  it("places each service's tasks, PENDING for a while then RUNNING, spread over the instances", async () => {
    const clients = await createCluster(aws);
    const pending = await waitUntil(
      () => clients.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['pair'] })),
      ({ services }) => services?.[0]?.pendingCount === 2,
      { context: () => ecsAgentView(aws) },
    );
    expect(pending.services?.[0]).toMatchObject({ runningCount: 0, pendingCount: 2, desiredCount: 2 });

    expect(await whenSettled(clients)).toEqual({ pair: 2, solo: 1, steady: 1 });
    const pairHosts = (await tasksOf(clients, 'pair')).map((t) => t.containerInstanceArn);
    expect(new Set(pairHosts).size).toBe(2);
    const instances = await containerInstances(clients);
    expect(instances.map((ci) => ci.runningTasksCount).sort()).toEqual([2, 2]);
    for (const ci of instances) {
      expect(ci.remainingResources?.find((r) => r.name === 'MEMORY')?.integerValue).toBe(1945 - 2 * 256);
    }
    const { services = [] } = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: CLUSTER, services: ['solo'] }),
    );
    expect(services[0]?.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      runningCount: 1,
      rolloutState: 'COMPLETED',
    });
    expect(services[0]?.deploymentConfiguration).toEqual({ minimumHealthyPercent: 0, maximumPercent: 200 });
  });

  it('moves tasks off a DRAINING instance: the one-task service is down meanwhile, the two-task one stays up', async () => {
    const clients = await createCluster(aws);
    await whenSettled(clients);
    const drained = await hostOf(clients, 'solo');
    expect((await tasksOf(clients, 'pair')).map((t) => t.containerInstanceArn)).toContain(drained);

    await drain(clients, drained);
    const samples = await sampleUntil(
      async () => {
        const counts = await runningCounts(clients.ecs, CLUSTER);
        const hosts = [...(await tasksOf(clients, 'solo')), ...(await tasksOf(clients, 'pair'))].map(
          (t) => t.containerInstanceArn,
        );
        return { counts, onDrained: hosts.filter((h) => h === drained).length };
      },
      ({ counts, onDrained }) => settled(counts) && onDrained === 0,
      { intervalMs: 40, context: () => ecsAgentView(aws) },
    );

    const solo = samples.map((s) => s.counts.solo);
    const pair = samples.map((s) => s.counts.pair ?? 0);
    // Downtime: minimumHealthyPercent 0 lets ECS stop the only task before its replacement runs.
    expect(solo.filter((n) => n === 0).length).toBeGreaterThanOrEqual(2);
    expect(solo.at(-1)).toBe(1);
    expect(Math.min(...pair)).toBeGreaterThanOrEqual(1);
    expect(await hostOf(clients, 'solo')).not.toBe(drained);
    const drainedInstance = (await containerInstances(clients)).find((ci) => ci.containerInstanceArn === drained);
    expect(drainedInstance).toMatchObject({ status: 'DRAINING', runningTasksCount: 0, pendingTasksCount: 0 });
  });

  it('a one-task service whose minimumHealthyPercent is 100 runs its replacement before it stops the old task', async () => {
    const clients = await createCluster(aws);
    await whenSettled(clients);
    const drained = await hostOf(clients, 'steady');

    await drain(clients, drained);
    const samples = await sampleUntil(
      async () => ({
        counts: await runningCounts(clients.ecs, CLUSTER),
        host: (await tasksOf(clients, 'steady')).map((t) => t.containerInstanceArn),
      }),
      ({ counts, host }) => settled(counts) && host.length === 1 && host[0] !== drained,
      { intervalMs: 40, context: () => ecsAgentView(aws) },
    );
    expect(Math.min(...samples.map((s) => s.counts.steady ?? 0))).toBe(1);
    // Meanwhile the old and the new task were both live.
    expect(samples.some((s) => s.host.length === 2)).toBe(true);
  });

  it('stops the tasks of a terminated instance and deregisters it; the replacement registers once InService', async () => {
    await setHarnessTimings(aws, { inServiceDelayMs: 600 });
    const clients = await createCluster(aws);
    await whenSettled(clients);
    const [victim] = await containerInstances(clients);
    const victimTasks = (await tasksOf(clients, 'pair')).filter(
      (t) => t.containerInstanceArn === victim?.containerInstanceArn,
    );

    await clients.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: victim?.ec2InstanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    // The replacement is Pending: it does not register yet, and the tasks go to the instance left.
    const alone = await waitUntil(
      () => containerInstances(clients),
      (found) => found.length === 1,
    );
    expect(alone[0]?.ec2InstanceId).not.toBe(victim?.ec2InstanceId);
    const { tasks: stopped = [] } = await clients.ecs.send(
      new DescribeTasksCommand({ cluster: CLUSTER, tasks: victimTasks.map((t) => t.taskArn!) }),
    );
    expect(stopped.map((t) => [t.lastStatus, t.stoppedReason])).toEqual(
      victimTasks.map(() => ['STOPPED', `Host EC2 (instance ${victim?.ec2InstanceId}) terminated.`]),
    );

    await whenSettled(clients);
    const replacement = await waitUntil(
      () => containerInstances(clients),
      (found) => found.length === 2,
      { timeoutMs: 5_000 },
    );
    const group = await describeGroup(rackClients(aws), GROUP);
    expect(replacement.map((ci) => ci.ec2InstanceId).sort()).toEqual(group.instances.map((i) => i.InstanceId).sort());
  });

  it("runs a rack's own service: two tasks on two instances, with the template's deployment configuration", async () => {
    const rack = await createRack(rackClients(aws), 'agent-rack');
    const ecs = clientsOf(aws).ecs;
    const service = rack.service.split('/').at(-1)!;
    await waitUntil(
      () => runningCounts(ecs, rack.cluster),
      (counts) => counts[service] === 2,
      { context: () => ecsAgentView(aws) },
    );
    const { services = [] } = await ecs.send(
      new DescribeServicesCommand({ cluster: rack.cluster, services: [rack.service] }),
    );
    expect(services[0]?.deploymentConfiguration).toEqual({ minimumHealthyPercent: 50, maximumPercent: 200 });
    const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: rack.cluster }));
    const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: rack.cluster, tasks: taskArns }));
    expect(new Set(tasks.map((t) => t.containerInstanceArn)).size).toBe(2);
  });

  it('a rack 1.3.0 api (one task, minimumHealthyPercent 50, rounded up to 1) stays up while its instance drains; at 0 it goes down', async () => {
    const rack = await createRack(rackClients(aws), 'one-task', {
      version: '1.3.0',
      parameters: { InstanceCount: '3' },
    });
    const ecs = clientsOf(aws).ecs;
    const api = rack.service.split('/').at(-1)!;
    const apiHost = async (): Promise<string | undefined> => {
      const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: rack.cluster }));
      const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: rack.cluster, tasks: taskArns }));
      const live = tasks.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING');
      return live.length === 1 ? live[0]?.containerInstanceArn : undefined;
    };
    const moveAndWatch = async (): Promise<number[]> => {
      const host = await waitUntil(apiHost, (h) => h !== undefined, { context: () => ecsAgentView(aws) });
      await ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster: rack.cluster,
          containerInstances: [host!],
          status: 'DRAINING',
        }),
      );
      const samples = await sampleUntil(
        async () => ({ running: (await runningCounts(ecs, rack.cluster))[api] ?? 0, host: await apiHost() }),
        (s) => s.host !== undefined && s.host !== host,
        { intervalMs: 40, context: () => ecsAgentView(aws) },
      );
      return samples.map((s) => s.running);
    };

    expect(Math.min(...(await moveAndWatch()))).toBe(1);
    await ecs.send(
      new UpdateServiceCommand({
        cluster: rack.cluster,
        service: rack.service,
        deploymentConfiguration: { minimumHealthyPercent: 0 },
      }),
    );
    expect(await moveAndWatch()).toContain(0);
  });

  it('is needed: plain moto registers no instance, places no task and reports runningCount 0 for every service', async () => {
    const clients = await createCluster(plain);
    await new Promise((resolve) => setTimeout(resolve, TASK_START_MS * 2));
    expect(await containerInstances(clients)).toEqual([]);
    expect(await runningCounts(clients.ecs, CLUSTER)).toEqual({ pair: 0, solo: 0, steady: 0 });
    await expect(ecsAgentView(plain)).rejects.toThrow(/the ECS agent is off/);
  });
});
