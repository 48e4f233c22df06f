/**
 * The health gate after each hop: the auto-scaling group has its desired number of instances InService
 * and healthy, every ECS service of the rack runs its desired count, and the rack's alarm rollback
 * triggers are OK, within a timeout.
 */
import type { AwsClients } from '../aws/clients.js';
import { describeGroup, describeServices, findFleet, type ServiceState } from '../aws/fleet.js';
import type { Context } from '../context.js';
import { updateFailed, type RackErrorOptions } from '../errors.js';
import type { Operation } from './operation.js';
import { alarmsNotOk, type RackAlarm } from './rollbackAlarms.js';
import { pollDelays } from './stackWait.js';

export interface HealthReport {
  healthy: boolean;
  instances: { desired: number; inService: number };
  services: ServiceState[];
  /** The rack's alarms that are not OK (ALARM, or INSUFFICIENT_DATA). */
  alarms?: Array<{ name: string; state: string }>;
  /** What is not yet healthy, in words. */
  problems: string[];
}

async function healthNow(aws: AwsClients, stackName: string, alarms: readonly RackAlarm[] = []): Promise<HealthReport> {
  const fleet = await findFleet(aws, stackName);
  const problems: string[] = [];
  let instances = { desired: 0, inService: 0 };
  if (!fleet.autoScalingGroup) problems.push('the stack has no AWS::AutoScaling::AutoScalingGroup');
  else {
    const group = await describeGroup(aws, fleet.autoScalingGroup);
    const inService = group.instances.filter(
      (i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy',
    ).length;
    instances = { desired: group.desired, inService };
    if (inService < group.desired) problems.push(`${inService} of ${group.desired} instances in service`);
  }
  const services = fleet.cluster ? await describeServices(aws, fleet.cluster) : [];
  for (const s of services)
    if (s.running < s.desired) problems.push(`service ${s.name} runs ${s.running} of ${s.desired} tasks`);
  const notOk = await alarmsNotOk(aws, alarms);
  for (const alarm of notOk) problems.push(`alarm ${alarm.name} is ${alarm.state}`);
  return {
    healthy: problems.length === 0,
    instances,
    services,
    ...(alarms.length ? { alarms: notOk.map((a) => ({ name: a.name, state: a.state })) } : {}),
    problems,
  };
}

async function waitForHealth(
  ctx: Context,
  rack: string,
  aws: AwsClients,
  stackName: string,
  timeoutMs: number,
  alarms: readonly RackAlarm[] = [],
): Promise<HealthReport> {
  const deadline = ctx.clock.now().getTime() + timeoutMs;
  const delay = pollDelays(500, 1.5, 5000);
  let last = '';
  for (;;) {
    const report = await healthNow(aws, stackName, alarms);
    const summary = report.healthy
      ? `healthy: ${report.instances.inService}/${report.instances.desired} instances in service${report.services.length ? `, ${report.services.length} services at their desired count` : ''}${alarms.length ? `, ${alarms.length} alarm${alarms.length === 1 ? '' : 's'} OK` : ''}`
      : `waiting for health: ${report.problems.join('; ')}`;
    if (summary !== last) {
      ctx.events.emit({ type: 'health', rack, text: summary, ok: report.healthy });
      last = summary;
    }
    if (report.healthy || ctx.clock.now().getTime() >= deadline) return report;
    await ctx.clock.sleep(delay(), ctx.signal);
  }
}

/**
 * The health gate after a write: waits for the rack to be healthy (and its trigger alarms OK); when it is
 * not in time, the operation's entry is completed as unhealthy and the error says what to do (exit 6).
 */
export async function requireHealthy(
  op: Operation,
  after: string,
  guidance: Pick<RackErrorOptions, 'untouched' | 'next'>,
  alarms: readonly RackAlarm[] = [],
): Promise<void> {
  const { ctx, rack } = op;
  const stackName = rack.stackId ?? rack.stack;
  const health = await waitForHealth(ctx, rack.name, ctx.aws(rack), stackName, healthTimeoutMs(ctx.env), alarms);
  if (health.healthy) return;
  const cause = `unhealthy after ${after}: ${health.problems.join('; ')}`;
  await op.journal?.finish('unhealthy', { cause, lastHopResult: 'unhealthy' });
  throw updateFailed(`The rack ${rack.name} is ${cause}.`, { ...guidance, details: { health } });
}

/** The health timeout: RACK_HEALTH_TIMEOUT (seconds) or 10 minutes. */
export function healthTimeoutMs(env: Record<string, string | undefined>): number {
  const seconds = Number(env.RACK_HEALTH_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10 * 60 * 1000;
}
