/**
 * Test helpers for what the local AWS plays over time: an instance coming into service and the fake ECS
 * agent (registering instances, placing, moving and counting service tasks). Both live inside moto
 * (`moto_launcher.py`, `moto_ecs_agent.py`); these read and set their timings and wait for them.
 *
 *   await setHarnessTimings(aws, { inServiceDelayMs: 1500 });   // replacements are Pending for 1.5 s
 *   const counts = await waitUntil(() => runningCounts(ecs, cluster), (c) => c['api'] === 2);
 */
import { DescribeServicesCommand, ListServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { LocalAws } from './localAws.js';

/** Milliseconds; the launcher's defaults are 0, 500 and 100. */
export interface HarnessTimings {
  /** How long a group's newly launched instance stays Pending before InService (`in-service-delay`). */
  inServiceDelayMs: number;
  /** How long a task the ECS agent places stays PENDING before RUNNING (`ecs-agent`). */
  ecsTaskStartMs: number;
  /** How often the harness clock runs between requests. */
  tickMs: number;
}

type Harness = Pick<LocalAws, 'motoEndpoint'>;

export async function harnessTimings(aws: Harness): Promise<HarnessTimings> {
  return harnessCall<HarnessTimings>(aws, '/_harness/config');
}

/** Changes the given timings from now on (`aws.reset()` restores the ones moto started with). */
export async function setHarnessTimings(aws: Harness, changes: Partial<HarnessTimings>): Promise<HarnessTimings> {
  return harnessCall<HarnessTimings>(aws, '/_harness/config', { method: 'POST', body: JSON.stringify(changes) });
}

export interface AgentTask {
  taskArn: string;
  /** `service:<name>` for a service's task. */
  group: string;
  lastStatus: string;
  taskDefinitionArn: string;
}

export interface AgentView {
  clusters: Array<{
    clusterName: string;
    containerInstances: Array<{
      containerInstanceArn: string;
      ec2InstanceId: string;
      status: string;
      tasks: AgentTask[];
    }>;
    services: Array<{
      serviceName: string;
      status: string;
      desiredCount: number;
      runningCount: number;
      pendingCount: number;
    }>;
  }>;
}

/** What the fake ECS agent sees, for a failing test to show; throws when moto runs without it. */
export async function ecsAgentView(aws: Harness): Promise<AgentView> {
  return harnessCall<AgentView>(aws, '/_harness/ecs-agent');
}

/** runningCount of every service in the cluster, by service name. */
export async function runningCounts(ecs: ECSClient, cluster: string): Promise<Record<string, number>> {
  const { serviceArns = [] } = await ecs.send(new ListServicesCommand({ cluster }));
  if (serviceArns.length === 0) return {};
  const { services = [] } = await ecs.send(new DescribeServicesCommand({ cluster, services: serviceArns }));
  return Object.fromEntries(services.map((s) => [s.serviceName ?? '', s.runningCount ?? 0]));
}

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Said in the error when the wait times out, e.g. `() => ecsAgentView(aws)`. */
  context?: () => Promise<unknown>;
}

/** Polls `probe` until `done` holds, and returns that value; throws with the last value on timeout. */
export async function waitUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() >= deadline) {
      const context = options.context === undefined ? '' : `\n${JSON.stringify(await options.context(), null, 2)}`;
      throw new Error(`Gave up after ${timeoutMs} ms; last value: ${JSON.stringify(value)}${context}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls `probe` and keeps every value, until `done` holds for one (kept too); for watching downtime. */
export async function sampleUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T[]> {
  const samples: T[] = [];
  await waitUntil(
    async () => {
      const value = await probe();
      samples.push(value);
      return value;
    },
    done,
    options,
  );
  return samples;
}

async function harnessCall<T>(aws: Harness, path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${aws.motoEndpoint}${path}`, init);
  const answer = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(`Harness ${path}: ${answer.error ?? `HTTP ${response.status}`}`);
  return answer;
}
