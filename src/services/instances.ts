/**
 * A rack's instances: what `rack instances` lists, the membership check behind `ssh` and `terminate`,
 * and replacing one instance (drain, terminate keeping the capacity, wait for the replacement), which
 * `rack instances terminate --wait` and the keyroll share. Every wait has a timeout and stops on Ctrl-C.
 */
import { parameterValue, type StackSummary } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { describeInstances, type InstanceDetails } from '../aws/ec2.js';
import {
  containerInstances,
  describeGroup,
  drainContainerInstance,
  findFleet,
  serviceTasksOn,
  terminateInGroup,
  type ContainerInstanceState,
  type GroupState,
} from '../aws/fleet.js';
import type { Context } from '../context.js';
import { internalError, interrupted, refused, usageError } from '../errors.js';
import { isInService, type FleetMember, type ReplacementStep } from '../core/keyroll.js';
import { GROUP_TYPE } from '../core/rackContract.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { healthTimeoutMs } from './health.js';
import type { OperationHooks } from './hooks.js';
import { withOperation } from './operation.js';
import { pollDelays } from './stackWait.js';
import { readRackStack } from './stackWrite.js';

/** The rack's stack with its group and, where it runs ECS, its cluster. */
export interface RackFleet {
  rack: Rack;
  aws: AwsClients;
  stack: StackSummary;
  group: string;
  cluster?: string;
}

export async function readRackFleet(ctx: Context, rack: Rack): Promise<RackFleet> {
  const aws = ctx.aws(rack);
  const stack = await readRackStack(ctx, rack, aws);
  const fleet = await findFleet(aws, stack.name);
  if (!fleet.autoScalingGroup) {
    throw refused(
      `Stack ${stack.name} of rack ${rack.name} has no ${GROUP_TYPE}, so it has no instances rack can manage.`,
      {
        untouched: 'Nothing was changed.',
        next: 'See "The rack template contract": a rack template has exactly one auto-scaling group.',
      },
    );
  }
  return { rack, aws, stack, group: fleet.autoScalingGroup, cluster: fleet.cluster };
}

/** The group's instances with their EC2 details and container instances, read at one moment. */
export interface FleetSnapshot {
  group: GroupState;
  members: FleetMember[];
  details: Map<string, InstanceDetails>;
  containers: Map<string, ContainerInstanceState>;
}

export async function fleetSnapshot(fleet: RackFleet): Promise<FleetSnapshot> {
  const group = await describeGroup(fleet.aws, fleet.group);
  const ids = group.instances.map((i) => i.instanceId);
  const [details, containers] = await Promise.all([
    describeInstances(fleet.aws, ids),
    fleet.cluster ? containerInstances(fleet.aws, fleet.cluster) : Promise.resolve([]),
  ]);
  const byId = new Map(details.map((d) => [d.instanceId, d]));
  const registered = new Map(
    containers.filter((c) => c.status === 'ACTIVE' || c.status === 'DRAINING').map((c) => [c.ec2InstanceId, c]),
  );
  const members = group.instances.map((i) => ({
    instanceId: i.instanceId,
    lifecycleState: i.lifecycleState,
    healthStatus: i.healthStatus,
    keyName: byId.get(i.instanceId)?.keyName,
    launchedAt: byId.get(i.instanceId)?.launchedAt,
    registered: registered.has(i.instanceId),
  }));
  return { group, members, details: byId, containers: registered };
}

// ---------------------------------------------------------------------------------------------------
// rack instances

export interface InstanceView {
  id: string;
  /** The group's lifecycle state (InService, Pending, Terminating, …). */
  state: string;
  health: string;
  zone: string;
  type?: string;
  launchedAt?: string;
  keyName?: string;
  /** Runs the key pair the stack's Key parameter names (the rack's current key). */
  currentKey: boolean;
  /** Where the rack runs ECS: the instance's container instance, or null when it is not registered. */
  ecs?: {
    status: string;
    agentConnected: boolean;
    runningTasks: number;
    pendingTasks: number;
    /** Reserved by tasks, in percent of what the instance registered. */
    cpuReserved?: number;
    memoryReserved?: number;
  } | null;
}

export interface InstancesView {
  rack: string;
  stack: string;
  /** The stack's Key parameter ('' for none). */
  key: string;
  cluster?: string;
  desired: number;
  instances: InstanceView[];
}

const percent = (used: { registered: number; remaining: number } | undefined) =>
  used && used.registered > 0
    ? Math.round(((used.registered - used.remaining) / used.registered) * 10_000) / 100
    : undefined;

export async function listInstances(ctx: Context, rackName: string | undefined): Promise<InstancesView> {
  const rack = await resolveRack(ctx.state, rackName);
  const fleet = await readRackFleet(ctx, rack);
  const snapshot = await fleetSnapshot(fleet);
  const key = parameterValue(fleet.stack, 'Key') ?? '';
  const instances = snapshot.group.instances.map((i): InstanceView => {
    const details = snapshot.details.get(i.instanceId);
    const container = snapshot.containers.get(i.instanceId);
    return {
      id: i.instanceId,
      state: i.lifecycleState,
      health: i.healthStatus,
      zone: i.availabilityZone || details?.availabilityZone || '',
      type: i.instanceType ?? details?.instanceType,
      launchedAt: details?.launchedAt?.toISOString(),
      keyName: details?.keyName,
      currentKey: key !== '' && details?.keyName === key,
      ...(fleet.cluster
        ? {
            ecs: container
              ? {
                  status: container.status,
                  agentConnected: container.agentConnected,
                  runningTasks: container.runningTasks,
                  pendingTasks: container.pendingTasks,
                  cpuReserved: percent(container.cpu),
                  memoryReserved: percent(container.memory),
                }
              : null,
          }
        : {}),
    };
  });
  return {
    rack: rack.name,
    stack: rack.stack,
    key,
    cluster: fleet.cluster,
    desired: snapshot.group.desired,
    instances,
  };
}

/** The group's instance, or exit 2 naming the rack: ssh and terminate act only on the rack's own instances. */
export async function rackInstance(
  fleet: RackFleet,
  instanceId: string,
): Promise<{ snapshot: FleetSnapshot; member: FleetMember }> {
  const snapshot = await fleetSnapshot(fleet);
  const member = snapshot.members.find((m) => m.instanceId === instanceId);
  if (!member) {
    throw usageError(`Instance ${instanceId} is not one of the instances of rack ${fleet.rack.name}.`, {
      untouched: 'Nothing was changed.',
      next: `See the rack's instances with \`rack instances --rack ${fleet.rack.name}\`.`,
    });
  }
  return { snapshot, member };
}

// ---------------------------------------------------------------------------------------------------
// Waiting

/** Polls `probe` until `done` holds. On timeout exit 1 naming what was awaited; on Ctrl-C exit 130. */
export async function pollUntil<T>(
  ctx: Context,
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; untouched?: string; next?: string },
): Promise<T> {
  const deadline = ctx.clock.now().getTime() + options.timeoutMs;
  const delay = pollDelays(250, 1.5, 2000);
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (ctx.clock.now().getTime() >= deadline) {
      throw internalError(`Gave up waiting for ${what} after ${Math.round(options.timeoutMs / 1000)} s.`, {
        untouched: options.untouched,
        next:
          options.next ??
          'Look at the instances with `rack instances`; RACK_HEALTH_TIMEOUT (seconds) sets how long rack waits.',
      });
    }
    try {
      await ctx.clock.sleep(delay(), ctx.signal);
    } catch {
      throw interrupted(`Stopped waiting for ${what}.`, { untouched: options.untouched, next: options.next });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Replacing one instance

export interface Replaced {
  instanceId: string;
  /** The instances the group launched in its place (none when the capacity was decremented). */
  by: string[];
}

/**
 * Drains the instance's container instance (when `step.drain`) and waits for its service tasks to
 * move, terminates it in its group, and waits for the replacement to be in service and, when the
 * instance it replaces was registered with the cluster, registered too. `checkReplacement` runs as soon as a replacement is launched.
 */
export async function replaceInstance(
  ctx: Context,
  fleet: RackFleet,
  step: ReplacementStep,
  options: {
    timeoutMs: number;
    checkReplacement?: (ids: string[]) => Promise<void>;
    /** Checked before each call that writes (drain, terminate): an interrupt or a lost lock stops here. */
    beforeWrite?: (what: string) => void;
  },
): Promise<Replaced> {
  const { instanceId } = step.victim;
  const say = (text: string) => ctx.events.emit({ type: 'instance', rack: fleet.rack.name, instanceId, text });
  const wait = { timeoutMs: options.timeoutMs };

  if (step.drain && fleet.cluster) {
    const cluster = fleet.cluster;
    const container = (await containerInstances(fleet.aws, cluster)).find((c) => c.ec2InstanceId === instanceId);
    if (container && (container.status === 'ACTIVE' || container.status === 'DRAINING')) {
      say('draining');
      if (container.status !== 'DRAINING') {
        options.beforeWrite?.(`draining ${instanceId}`);
        await drainContainerInstance(fleet.aws, cluster, container.arn);
      }
      await pollUntil(
        ctx,
        `the service tasks on ${instanceId} to move`,
        () => serviceTasksOn(fleet.aws, cluster, container.arn),
        (n) => n === 0,
        wait,
      );
      say('drained: its tasks have moved');
    }
  }

  const before = new Set((await describeGroup(fleet.aws, fleet.group)).instances.map((i) => i.instanceId));
  options.beforeWrite?.(`terminating ${instanceId}`);
  await terminateInGroup(fleet.aws, instanceId, step.decrement);
  say(step.decrement ? 'terminating (desired capacity back down by one)' : 'terminating');
  if (step.decrement) return { instanceId, by: [] };

  const launched = await pollUntil(
    ctx,
    `a replacement for ${instanceId}`,
    async () => (await describeGroup(fleet.aws, fleet.group)).instances.filter((i) => !before.has(i.instanceId)),
    (found) => found.length > 0,
    wait,
  );
  const by = launched.map((i) => i.instanceId);
  say(`replacement ${by.join(', ')} launched`);
  await options.checkReplacement?.(by);
  await pollUntil(
    ctx,
    `${by.join(', ')} to be in service`,
    () => describeGroup(fleet.aws, fleet.group),
    (group) => by.every((id) => group.instances.some((i) => i.instanceId === id && isInService(i))),
    wait,
  );
  const register = step.victim.registered && fleet.cluster !== undefined;
  if (register && fleet.cluster) {
    const cluster = fleet.cluster;
    await pollUntil(
      ctx,
      `${by.join(', ')} to register with cluster ${cluster}`,
      () => containerInstances(fleet.aws, cluster),
      (found) => by.every((id) => found.some((c) => c.ec2InstanceId === id && c.status === 'ACTIVE')),
      wait,
    );
  }
  say(`replaced by ${by.join(', ')}${register ? ' (in service, registered)' : ' (in service)'}`);
  return { instanceId, by };
}

// ---------------------------------------------------------------------------------------------------
// rack instances terminate

export interface TerminateRequest {
  rack?: string;
  instanceId: string;
  wait?: boolean;
}

export interface TerminateOutcome {
  rack: string;
  instanceId: string;
  /** Known only with --wait. */
  replacedBy?: string[];
}

/** What `rack instances terminate` asks the operator to confirm. */
export interface TerminateQuestion {
  rack: Rack;
  instanceId: string;
  lifecycleState: string;
}

/** Terminates one of the rack's instances keeping the desired capacity, as one operation; `hooks.confirm` asks first. */
export async function terminateInstance(
  ctx: Context,
  request: TerminateRequest,
  hooks: OperationHooks<TerminateQuestion>,
): Promise<TerminateOutcome> {
  const rack = await resolveRack(ctx.state, request.rack);
  return withOperation(
    ctx,
    rack,
    'terminate',
    async (op) => {
      const fleet = await readRackFleet(ctx, op.rack);
      const { member } = await rackInstance(fleet, request.instanceId);
      await hooks.confirm({ rack: op.rack, instanceId: member.instanceId, lifecycleState: member.lifecycleState });
      const journal = await op.begin();
      if (!request.wait) {
        op.beforeWrite(`terminating ${member.instanceId}`);
        await terminateInGroup(fleet.aws, member.instanceId, false);
        await journal.step('instance-replaced', `${member.instanceId} terminated`);
        ctx.events.emit({
          type: 'instance',
          rack: op.rack.name,
          instanceId: member.instanceId,
          text: 'terminating; the group launches a replacement',
        });
        await journal.finish('succeeded', { note: `terminated ${member.instanceId}` });
        return { rack: op.rack.name, instanceId: member.instanceId };
      }
      const replaced = await replaceInstance(
        ctx,
        fleet,
        // The operator chose this instance; like `convox instances terminate`, it goes without draining.
        { victim: member, drain: false, decrement: false },
        { timeoutMs: healthTimeoutMs(ctx.env), beforeWrite: (what) => op.beforeWrite(what) },
      );
      await journal.step('instance-replaced', `${member.instanceId} → ${replaced.by.join(', ')}`);
      await journal.finish('succeeded', {
        note: `terminated ${member.instanceId}; replaced by ${replaced.by.join(', ')}`,
      });
      return { rack: op.rack.name, instanceId: member.instanceId, replacedBy: replaced.by };
    },
    { onAttach: hooks.onAttach },
  );
}
