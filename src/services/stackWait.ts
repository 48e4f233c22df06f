/**
 * Follows a stack operation to its end: polls the stack's status with backoff and jitter, streams the
 * resource events that are new since the operation began, and reports the first failing resource.
 *
 * Following is not the operation: CloudFormation works on whether rack watches or not. So a read that fails
 * for a while (throttling, a dropped connection, a 5xx) is retried with backoff; only when rack cannot see
 * the stack for long, cannot authenticate, runs out of time, or is interrupted does it stop, and then it
 * says it *lost sight* of the operation (`isLostSight`): the in-flight marker stays and `rack status`
 * attaches to it later.
 */
import { findStack } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { isTransientAwsError } from '../aws/errors.js';
import { eventsSince, type StackEventView } from '../aws/stackEvents.js';
import type { Context } from '../context.js';
import { interrupted, isRackError, RackError } from '../errors.js';
import { isInProgress, type FailedResource } from '../core/stackStatus.js';

export { isInProgress } from '../core/stackStatus.js';

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
  /** Events before this are not part of the operation. */
  since: Date;
  /** Event ids that existed before the operation began. */
  seen?: Set<string>;
  timeoutMs?: number;
  /** Deletion: a stack that no longer exists has finished. */
  deleting?: boolean;
}

/** How long reads of the stack may keep failing transiently before rack says it lost sight of it. */
export const FOLLOW_RETRY_MS = 120_000;

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

export async function followStack(ctx: Context, aws: AwsClients, options: WaitOptions): Promise<WaitResult> {
  const seen = options.seen ?? new Set<string>();
  const events: StackEventView[] = [];
  const delay = pollDelays();
  const deadline = ctx.clock.now().getTime() + (options.timeoutMs ?? 3 * 60 * 60 * 1000);
  const attach = `\`rack status --rack ${options.rack}\``;
  let firstFailure: WaitResult['firstFailure'];
  let lastStatus = '';
  let failingSince: number | undefined;
  let failures = 0;

  for (;;) {
    let stack: Awaited<ReturnType<typeof findStack>>;
    try {
      stack = await findStack(aws, options.stackName);
      failingSince = undefined;
      failures = 0;
    } catch (error) {
      const now = ctx.clock.now().getTime();
      failingSince ??= now;
      if (!isTransientAwsError(error) || now - failingSince > FOLLOW_RETRY_MS) throw lostSight(error, options, attach);
      await pause(ctx, options, lastStatus, attach, Math.min(5000, 250 * 2 ** ++failures));
      continue;
    }
    const status = stack?.status ?? (options.deleting ? 'DELETE_COMPLETE' : 'NOT_FOUND');
    if (stack) {
      // Events are what the operator watches, not what decides the outcome: a failed read is tried next time.
      const fresh = await eventsSince(aws, options.stackName, { since: options.since, seen }).catch(() => []);
      for (const event of fresh) {
        events.push(event);
        const isStackItself =
          event.resourceType === 'AWS::CloudFormation::Stack' && event.logicalId === options.stackName;
        if (!isStackItself) {
          ctx.events.emit({
            type: 'resource',
            rack: options.rack,
            logicalId: event.logicalId,
            resourceType: event.resourceType,
            status: event.status,
            reason: event.reason,
            at: event.at,
          });
        }
        if (!firstFailure && /FAILED$/.test(event.status) && !isStackItself) {
          firstFailure = {
            logicalId: event.logicalId,
            resourceType: event.resourceType,
            status: event.status,
            reason: event.reason,
          };
        }
      }
    }
    if (status !== lastStatus) {
      ctx.events.emit({
        type: 'stack-status',
        rack: options.rack,
        // Followed by StackId or by name, it is shown by name.
        stack: stack?.name ?? options.stackName.replace(/^arn:.*:stack\/([^/]+)\/.*$/, '$1'),
        status,
        reason: stack?.statusReason,
        at: ctx.clock.now(),
      });
      lastStatus = status;
    }
    if (!isInProgress(status)) return { status, statusReason: stack?.statusReason, firstFailure, events };
    if (ctx.clock.now().getTime() > deadline) {
      throw new RackError(
        'internal',
        `Stopped waiting for ${options.stackName}: still ${status} after the time allowed.`,
        {
          untouched: 'CloudFormation is still working on the stack; rack did not cancel it.',
          next: `Follow it with ${attach}, or cancel it with \`rack cancel --rack ${options.rack}\`.`,
          details: { lostSight: true, status },
        },
      );
    }
    await pause(ctx, options, status, attach, delay());
  }
}

async function pause(ctx: Context, options: WaitOptions, status: string, attach: string, ms: number): Promise<void> {
  try {
    await ctx.clock.sleep(ms, ctx.signal);
  } catch {
    throw interrupted(`Stopped following ${options.stackName}${status ? ` (${status})` : ''}.`, {
      untouched: 'CloudFormation keeps working on the stack; nothing was cancelled.',
      next: `Follow it again with ${attach}, or cancel it with \`rack cancel --rack ${options.rack}\`.`,
      details: { lostSight: true, status },
    });
  }
}

/** An error reading the stack, as "lost sight": the operation goes on, rack no longer sees it. */
function lostSight(error: unknown, options: WaitOptions, attach: string): RackError {
  const base = isRackError(error)
    ? error
    : new RackError('internal', `Could not read stack ${options.stackName}: ${(error as Error)?.message}`, {
        cause: error,
      });
  return new RackError(base.kind, `Lost sight of the operation on ${options.stackName}: ${base.message}`, {
    untouched: 'CloudFormation may still be working on the stack; rack did not cancel anything.',
    next: `${base.next ? `${base.next} Then follow` : 'Follow'} it to its end with ${attach}.`,
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
