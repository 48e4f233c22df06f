/**
 * Follows a stack operation to its end: polls the stack's status with backoff and jitter, streams the
 * resource events that are new since the operation began, and reports the first failing resource.
 *
 * Many racks updating at once (a sync) share one poller per account and region (StackPoller below), so that
 * the calls rack makes while they wait do not grow with the number of racks.
 *
 * Following is not the operation: CloudFormation works on whether rack watches or not. So a read that fails
 * for a while (throttling, a dropped connection, a 5xx) is retried with backoff; only when rack cannot see
 * the stack for long, cannot authenticate, runs out of time, or is interrupted does it stop, and then it
 * says it *lost sight* of the operation (`isLostSight`): the in-flight marker stays and `rack status`
 * attaches to it later.
 */
import { findStack, type StackProgress, stacksIn } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { isThrottlingAwsError, isTransientAwsError } from '../aws/errors.js';
import { eventsSince, type StackEventView } from '../aws/stackEvents.js';
import type { Context } from '../context.js';
import { interrupted, isRackError, RackError } from '../errors.js';
import { parseStackId } from '../core/stackIdentity.js';
import { IN_PROGRESS_STATUSES, isInProgress, type FailedResource } from '../core/stackStatus.js';
import type { Journal } from './journal.js';

export interface WaitResult {
  status: string;
  statusReason?: string;
  /** The first resource that failed, with CloudFormation's reason. */
  firstFailure?: FailedResource;
  events: StackEventView[];
}

export interface WaitOptions {
  rack: string;
  stackName: string;
  /**
   * When the operation was started, by this machine's clock. Its events are those from CLOCK_SKEW_MS
   * before on (this machine and AWS may disagree); events seen before it began are excluded by id.
   */
  startedAt: Date;
  /** Event ids that existed before the operation began. */
  seen?: Set<string>;
  timeoutMs?: number;
  /** Deletion: a stack that no longer exists has finished. */
  deleting?: boolean;
}

/** How far this machine's clock and AWS's may disagree, for which events belong to an operation. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** How long reads of the stack may keep failing transiently before rack says it lost sight of it. */
const FOLLOW_RETRY_MS = 120_000;

/** Poll delays: quick at first (most waits on small changes are short), then at most every second. */
export function pollDelays(first = 250, factor = 1.5, max = 1000): () => number {
  let next = first;
  return () => {
    const jittered = next * (0.8 + Math.random() * 0.4);
    next = Math.min(max, next * factor);
    return Math.round(jittered);
  };
}

/** The error rack stopped following with, when CloudFormation may still be working. */
export const isLostSight = (error: unknown): boolean => isRackError(error) && error.details?.lostSight === true;

/**
 * Follows one stack operation to its end. Every follower reached through the same AWS clients (one profile
 * and region, so one account) shares one poller: it reads every followed stack's status in one call, and the
 * new events of one stack at a time, instead of a loop of reads per stack (see StackPoller).
 */
export function followStack(ctx: Context, aws: AwsClients, options: WaitOptions): Promise<WaitResult> {
  let poller = POLLERS.get(aws);
  if (!poller) {
    poller = new StackPoller(aws);
    POLLERS.set(aws, poller);
  }
  return poller.follow(ctx, options);
}

const POLLERS = new WeakMap<AwsClients, StackPoller>();

/**
 * Follows a stack operation this run started. When rack stops following (Ctrl-C, or it lost sight of the
 * stack), the journal records which, and the error goes on: the in-flight marker stays for the next run.
 */
export async function followStarted(
  ctx: Context,
  aws: AwsClients,
  journal: Journal | undefined,
  options: WaitOptions,
): Promise<WaitResult> {
  try {
    return await followStack(ctx, aws, options);
  } catch (error) {
    if (isLostSight(error)) {
      await journal?.step(ctx.signal.aborted ? 'stopped-following' : 'lost-sight', (error as Error).message);
    }
    throw error;
  }
}

interface Follower {
  ctx: Context;
  options: WaitOptions;
  seen: Set<string>;
  events: StackEventView[];
  firstFailure?: WaitResult['firstFailure'];
  lastStatus: string;
  deadline: number;
  failingSince?: number;
  /** When its events were last read (ms), so that each in turn gets a read. */
  eventsReadAt: number;
  done: boolean;
  resolve(result: WaitResult): void;
  reject(error: unknown): void;
}

/**
 * One poller per AWS clients (an account and a region). Every tick it reads the status of every stack it
 * follows — DescribeStacks by name for one, ListStacks filtered on the in-progress statuses for several (a
 * stack missing from that list has ended, and is read once by name) — and the new events of one stack in
 * progress, each in turn (with several, every third tick); a stack that ends has its events read to the end
 * before its follower hears. Quick at first, then at most every second; slower while AWS throttles it.
 */
class StackPoller {
  private readonly followers = new Set<Follower>();
  private delay = pollDelays();
  /** Multiplies the delay while reads fail: doubled at each failure (or throttled events read), halved after each good one. */
  private backoff = 1;
  private wake = new AbortController();
  private running = false;
  private tick = 0;

  constructor(private readonly aws: AwsClients) {}

  follow(ctx: Context, options: WaitOptions): Promise<WaitResult> {
    return new Promise<WaitResult>((resolve, reject) => {
      const onAbort = () =>
        end(
          interrupted(
            `Stopped following ${options.stackName}${follower.lastStatus ? ` (${follower.lastStatus})` : ''}.`,
            {
              untouched: 'CloudFormation keeps working on the stack; nothing was cancelled.',
              next: `Follow it again with ${attachHint(options)}, or cancel it with \`rack cancel --rack ${options.rack}\`.`,
              details: { lostSight: true, status: follower.lastStatus },
            },
          ),
        );
      const end = (outcome: WaitResult | unknown, failed = true) => {
        if (follower.done) return;
        follower.done = true;
        ctx.signal.removeEventListener('abort', onAbort);
        this.followers.delete(follower);
        this.wake.abort();
        if (failed) reject(outcome);
        else resolve(outcome as WaitResult);
      };
      const follower: Follower = {
        ctx,
        options,
        seen: options.seen ?? new Set<string>(),
        events: [],
        lastStatus: '',
        deadline: ctx.clock.now().getTime() + (options.timeoutMs ?? 3 * 60 * 60 * 1000),
        eventsReadAt: 0,
        done: false,
        resolve: (result) => end(result, false),
        reject: (error) => end(error),
      };
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.followers.add(follower);
      // An operation followed alone is usually short: poll quickly again. Joining others, keep their pace.
      if (this.followers.size === 1) this.delay = pollDelays();
      this.wake.abort();
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.followers.size > 0) {
        await this.poll().catch((error: unknown) => {
          // Never leave a follower hanging on a fault of the poller itself.
          for (const follower of [...this.followers]) follower.reject(error);
        });
        const last = [...this.followers].at(-1);
        if (!last) break;
        this.wake = new AbortController();
        await last.ctx.clock.sleep(Math.round(this.delay() * this.backoff), this.wake.signal).catch(() => undefined);
      }
    } finally {
      this.running = false;
    }
  }

  private async poll(): Promise<void> {
    const active = [...this.followers];
    this.tick += 1;
    let listed: Map<string, StackProgress> | undefined;
    if (active.length > 1) {
      try {
        const stacks = await stacksIn(this.aws, IN_PROGRESS_STATUSES);
        listed = new Map();
        for (const stack of stacks) listed.set(stack.name, stack);
        for (const stack of stacks) listed.set(stack.id, stack);
        this.readWell();
      } catch (error) {
        this.readFailed(active, error);
        return;
      }
    }
    const inProgress: Follower[] = [];
    for (const follower of active) {
      if (follower.done) continue;
      const state = await this.statusOf(follower, listed);
      if (state === undefined) continue;
      if (!isInProgress(state.status)) {
        // The end: every event of the operation is read before its follower hears.
        if (state.exists) await this.readEvents(follower);
        this.report(follower, state);
        follower.resolve({
          status: state.status,
          statusReason: state.reason,
          firstFailure: follower.firstFailure,
          events: follower.events,
        });
        continue;
      }
      this.report(follower, state);
      if (follower.ctx.clock.now().getTime() > follower.deadline) {
        follower.reject(
          new RackError(
            'internal',
            `Stopped waiting for ${follower.options.stackName}: still ${state.status} after the time allowed.`,
            {
              untouched: 'CloudFormation is still working on the stack; rack did not cancel it.',
              next: `Follow it with ${attachHint(follower.options)}, or cancel it with \`rack cancel --rack ${follower.options.rack}\`.`,
              details: { lostSight: true, status: state.status },
            },
          ),
        );
        continue;
      }
      inProgress.push(follower);
    }
    // Events are what operators watch, not what decides the outcome: one stack's at a time, each in turn —
    // every tick for a stack followed alone, every third among several (a stack's end reads all of its own).
    if (inProgress.length === 0 || (inProgress.length > 1 && this.tick % EVENTS_EVERY !== 0)) return;
    await this.readEvents(inProgress.reduce((a, b) => (b.eventsReadAt < a.eventsReadAt ? b : a)));
  }

  /** The follower's stack status: from the listing, else read by name; undefined when the read failed. */
  private async statusOf(
    follower: Follower,
    listed: Map<string, StackProgress> | undefined,
  ): Promise<{ status: string; reason?: string; name?: string; exists: boolean } | undefined> {
    const hit = listed?.get(follower.options.stackName);
    if (hit) {
      follower.failingSince = undefined;
      return { status: hit.status, reason: hit.statusReason, name: hit.name, exists: true };
    }
    try {
      // Not in progress any more, or followed alone: read by name.
      const stack = await findStack(this.aws, follower.options.stackName);
      follower.failingSince = undefined;
      if (!listed) this.readWell();
      if (!stack) return { status: follower.options.deleting ? 'DELETE_COMPLETE' : 'NOT_FOUND', exists: false };
      return { status: stack.status, reason: stack.statusReason, name: stack.name, exists: true };
    } catch (error) {
      this.readFailed([follower], error);
      return undefined;
    }
  }

  private async readEvents(follower: Follower): Promise<void> {
    const { options } = follower;
    follower.eventsReadAt = Date.now();
    // A failed read is tried at the next turn (at the end, what cannot be read is missed, as before).
    const since = new Date(options.startedAt.getTime() - CLOCK_SKEW_MS);
    const fresh = await eventsSince(this.aws, options.stackName, { since, seen: follower.seen }).catch(
      (error: unknown) => {
        if (isThrottlingAwsError(error)) this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
        return [];
      },
    );
    for (const event of fresh) {
      follower.events.push(event);
      const isStackItself =
        event.resourceType === 'AWS::CloudFormation::Stack' && event.logicalId === options.stackName;
      if (!isStackItself) {
        follower.ctx.events.emit({
          type: 'resource',
          rack: options.rack,
          logicalId: event.logicalId,
          resourceType: event.resourceType,
          status: event.status,
          reason: event.reason,
          at: event.at,
        });
      }
      if (!follower.firstFailure && /FAILED$/.test(event.status) && !isStackItself) {
        follower.firstFailure = {
          logicalId: event.logicalId,
          resourceType: event.resourceType,
          status: event.status,
          reason: event.reason,
        };
      }
    }
  }

  private report(follower: Follower, state: { status: string; reason?: string; name?: string }): void {
    if (state.status === follower.lastStatus) return;
    follower.ctx.events.emit({
      type: 'stack-status',
      rack: follower.options.rack,
      // Followed by StackId or by name, it is shown by name.
      stack: state.name ?? parseStackId(follower.options.stackName)?.name ?? follower.options.stackName,
      status: state.status,
      reason: state.reason,
      at: follower.ctx.clock.now(),
    });
    follower.lastStatus = state.status;
  }

  private readWell(): void {
    this.backoff = Math.max(1, this.backoff / 2);
  }

  /**
   * A read failed for these followers: a transient failure (throttling, a 5xx, a dropped connection) is tried
   * again, each time after a pause twice as long, until it has lasted FOLLOW_RETRY_MS; anything else, or
   * longer, is lost sight. (The SDK's adaptive retries slow its own sending under throttling too.)
   */
  private readFailed(followers: readonly Follower[], error: unknown): void {
    this.backoff = Math.min(MAX_BACKOFF, Math.max(2, this.backoff * 2));
    for (const follower of followers) {
      const now = follower.ctx.clock.now().getTime();
      follower.failingSince ??= now;
      if (!isTransientAwsError(error) || now - follower.failingSince > FOLLOW_RETRY_MS) {
        follower.reject(lostSight(error, follower.options));
      }
    }
  }
}

/** Among several stacks in progress, the ticks between two reads of events (one stack's each time). */
const EVENTS_EVERY = 3;

/** The most the poller's delay is multiplied by while reads fail (1 s becomes 8 s). */
const MAX_BACKOFF = 8;

/** The command that follows an operation rack stopped following to its end. */
const attachHint = (options: WaitOptions) => `\`rack status --rack ${options.rack}\``;

/** An error reading the stack, as "lost sight": the operation goes on, rack no longer sees it. */
function lostSight(error: unknown, options: WaitOptions): RackError {
  const base = isRackError(error)
    ? error
    : new RackError('internal', `Could not read stack ${options.stackName}: ${(error as Error)?.message}`, {
        cause: error,
      });
  return new RackError(base.kind, `Lost sight of the operation on ${options.stackName}: ${base.message}`, {
    untouched: 'CloudFormation may still be working on the stack; rack did not cancel anything.',
    next: `${base.next ? `${base.next} Then follow` : 'Follow'} it to its end with ${attachHint(options)}.`,
    details: { ...base.details, lostSight: true },
    cause: base.cause ?? error,
    exitCode: base.exitCode,
  });
}

/** Event ids already on the stack, so that following an operation shows only its own events. */
export async function existingEventIds(aws: AwsClients, stackName: string): Promise<Set<string>> {
  const seen = new Set<string>();
  // The newest page is enough: older events are also older than the operation's start. A failed read
  // only means a few old events may show again.
  const events = await eventsSince(aws, stackName, { since: new Date(0), seen: new Set(), maxPages: 1 }).catch(
    () => [],
  );
  for (const event of events) seen.add(event.id);
  return seen;
}
