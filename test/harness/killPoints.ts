/**
 * Kill points: run a command as a real process and signal it at an exact AWS request, so a crash suite can
 * check that every step boundary of an operation leaves the rack recoverable.
 *
 *   const steps = await recordWriteSteps(aws, () => runRackBinary(args, env));        // a clean run
 *   for (const point of killPointsAt(steps)) {                                          // every boundary
 *     await aws.reset(); … set the rack up again …
 *     const run = await runRackToKillPoint(aws, point, args, env);
 *     // run.signal === 'SIGKILL'; run.request?.reachedMoto says whether the write happened
 *   }
 *
 * A point names the nth request of an action since the rule was injected, whoever made it: the test makes
 * no AWS calls of its own while the process runs. The rule goes before every other rule (scripted timelines
 * included), so `after-forward` means after AWS (moto, or a timeline) accepted the request.
 */
import type { LocalAws } from './localAws.js';
import type { ProcessSignal, RecordedRequest } from './proxy.js';
import { spawnRack, type RunResult, type SpawnedRack, type SpawnOptions } from './runRack.js';
import type { Env } from '../../src/context.js';

export interface KillPoint {
  /** SigV4 signing name: `cloudformation`, `s3`, `ec2`, `autoscaling`, `ecs`, `kms`, … */
  service: string;
  /** The operation, e.g. `ExecuteChangeSet`, `PutObject`. */
  action: string;
  /** Which request of that service and action, counting from 1. */
  nth: number;
  /** `before-forward`: AWS never sees the request. `after-forward`: AWS did it; the process never hears. */
  when: 'before-forward' | 'after-forward';
  signal: ProcessSignal;
}

export interface KillPointRun extends RunResult {
  readonly point: KillPoint;
  /**
   * The request the point acted on, as the proxy recorded it (`reachedMoto`, `outcome` `killed`, `signal`);
   * undefined when the process ended before making it.
   */
  readonly request?: RecordedRequest;
}

/** A write-bearing request of a clean run: a step boundary of the operation. */
export interface WriteStep {
  service: string;
  action: string;
  /** Its place among the run's requests of the same service and action, from 1 (what `KillPoint.nth` counts). */
  nth: number;
  /** Its place in the proxy's log. */
  seq: number;
}

/**
 * Operations that change something at AWS, by their verb: CreateChangeSet, ExecuteChangeSet, DeleteChangeSet,
 * CreateStack, UpdateStack, ImportKeyPair, DeleteKeyPair, PutObject, DeleteObject, CreateBucket,
 * TerminateInstanceInAutoScalingGroup, SetDesiredCapacity, UpdateContainerInstancesState, ScheduleKeyDeletion…
 * Reads (Describe, List, Get, Head) and STS calls that only issue credentials are not.
 */
const WRITE_VERB =
  /^(Create|Delete|Put|Update|Execute|Import|Terminate|Set|Cancel|Continue|Copy|Complete|Abort|Upload|Register|Deregister|Start|Stop|Run|Schedule|Tag|Untag|Attach|Detach|Authorize|Revoke|Modify|Enable|Disable|Associate|Disassociate|Release|Allocate|Reboot|Rotate|Restore|Reset)[A-Z]/;

function isWrite(request: Pick<RecordedRequest, 'action'>): boolean {
  return WRITE_VERB.test(request.action);
}

/**
 * The write-bearing requests among `requests`, in order, each with its nth among the requests of its service
 * and action (retries of a write count too, as a kill point's rule counts them).
 */
function writeSteps(
  requests: readonly RecordedRequest[],
  writes: (request: RecordedRequest) => boolean = isWrite,
): WriteStep[] {
  const counts = new Map<string, number>();
  const steps: WriteStep[] = [];
  for (const request of requests) {
    const key = `${request.service} ${request.action}`;
    const nth = (counts.get(key) ?? 0) + 1;
    counts.set(key, nth);
    if (writes(request)) steps.push({ service: request.service, action: request.action, nth, seq: request.seq });
  }
  return steps;
}

/** Runs `run` (a clean run of the command) and returns the write steps of the requests made meanwhile. */
export async function recordWriteSteps(
  aws: Pick<LocalAws, 'proxy'>,
  run: () => Promise<unknown>,
  writes?: (request: RecordedRequest) => boolean,
): Promise<WriteStep[]> {
  const from = aws.proxy.requests.length;
  await run();
  return writeSteps(aws.proxy.requests.slice(from), writes);
}

/** Every boundary of the steps: each write killed before AWS sees it and after AWS did it. */
export function killPointsAt(
  steps: readonly WriteStep[],
  options: { signal?: ProcessSignal; when?: readonly KillPoint['when'][] } = {},
): KillPoint[] {
  const signal = options.signal ?? 'SIGKILL';
  const whens = options.when ?? ['before-forward', 'after-forward'];
  return steps.flatMap((step) =>
    whens.map((when) => ({ service: step.service, action: step.action, nth: step.nth, when, signal })),
  );
}

export function describeKillPoint(point: KillPoint): string {
  return `${point.signal} ${point.when} ${point.service}:${point.action} #${point.nth}`;
}

/**
 * Starts the process with `start` and signals it at the point; resolves once it has exited. The rule is
 * removed afterwards, so runs do not leak into each other.
 */
export async function runToKillPoint(
  aws: Pick<LocalAws, 'proxy'>,
  point: KillPoint,
  start: () => SpawnedRack,
): Promise<KillPointRun> {
  if (!Number.isInteger(point.nth) || point.nth < 1)
    throw new Error(`kill point: nth must be 1, 2, …, not ${point.nth}`);
  let spawned: SpawnedRack | undefined;
  const rule = aws.proxy.inject({
    name: `kill point: ${describeKillPoint(point)}`,
    first: true,
    service: point.service,
    action: point.action,
    skip: point.nth - 1,
    times: 1,
    fault: { type: 'signal', pid: () => spawned?.pid, signal: point.signal, when: point.when },
  });
  try {
    spawned = start();
    const result = await spawned.result;
    const request = aws.proxy.requests.find((r) => r.signal?.rule === rule.name);
    return { ...result, point, request };
  } finally {
    rule.remove();
  }
}

/** `runToKillPoint` with the built rack binary. */
export function runRackToKillPoint(
  aws: Pick<LocalAws, 'proxy'>,
  point: KillPoint,
  args: string[],
  env: Env,
  options?: SpawnOptions,
): Promise<KillPointRun> {
  return runToKillPoint(aws, point, () => spawnRack(args, env, options));
}
