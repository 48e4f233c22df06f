/**
 * Follows a stack operation to its end: polls the stack's status with backoff and jitter, streams the
 * resource events that are new since the operation began, and reports the first failing resource.
 * Ctrl-C stops following, never the operation: CloudFormation keeps working and `rack status` follows
 * it again.
 */
import { findStack } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { eventsSince, type StackEventView } from '../aws/stackEvents.js';
import type { Context } from '../context.js';
import { RackError } from '../errors.js';

export interface WaitResult {
  status: string;
  statusReason?: string;
  /** The first resource that failed, with CloudFormation's reason. */
  firstFailure?: { logicalId: string; resourceType: string; status: string; reason?: string };
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

export const isInProgress = (status: string) => status.endsWith('_IN_PROGRESS');

/** Poll delays: quick at first (most waits on small changes are short), then at most every second. */
export function pollDelays(first = 250, factor = 1.5, max = 1000): () => number {
  let next = first;
  return () => {
    const jittered = next * (0.8 + Math.random() * 0.4);
    next = Math.min(max, next * factor);
    return Math.round(jittered);
  };
}

export async function followStack(ctx: Context, aws: AwsClients, options: WaitOptions): Promise<WaitResult> {
  const seen = options.seen ?? new Set<string>();
  const events: StackEventView[] = [];
  const delay = pollDelays();
  const deadline = ctx.clock.now().getTime() + (options.timeoutMs ?? 3 * 60 * 60 * 1000);
  let firstFailure: WaitResult['firstFailure'];
  let lastStatus = '';

  for (;;) {
    const stack = await findStack(aws, options.stackName);
    const status = stack?.status ?? (options.deleting ? 'DELETE_COMPLETE' : 'NOT_FOUND');
    if (stack) {
      for (const event of await eventsSince(aws, options.stackName, { since: options.since, seen })) {
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
        stack: options.stackName,
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
          next: `Follow it with \`rack status --rack ${options.rack}\`, or cancel it with \`rack cancel --rack ${options.rack}\`.`,
        },
      );
    }
    try {
      await ctx.clock.sleep(delay(), ctx.signal);
    } catch {
      throw new RackError('internal', `Stopped following ${options.stackName} (${status}).`, {
        exitCode: 130,
        untouched: 'CloudFormation keeps working on the stack; nothing was cancelled.',
        next: `Follow it again with \`rack status --rack ${options.rack}\`.`,
      });
    }
  }
}

/** Event ids already on the stack, so that following an operation shows only its own events. */
export async function existingEventIds(aws: AwsClients, stackName: string): Promise<Set<string>> {
  const seen = new Set<string>();
  // The newest page is enough: older events are also older than the operation's start.
  for (const event of await eventsSince(aws, stackName, { since: new Date(0), seen: new Set(), maxPages: 1 }))
    seen.add(event.id);
  return seen;
}
