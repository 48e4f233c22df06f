/**
 * Stack events newer than the last one seen. DescribeStackEvents pages newest first, so reading goes
 * back page by page until it meets an event already seen or one older than the operation.
 */
import { DescribeStackEventsCommand, type StackEvent } from '@aws-sdk/client-cloudformation';
import type { AwsClients } from './clients.js';
import { toRackError } from './errors.js';

export interface StackEventView {
  id: string;
  at: Date;
  logicalId: string;
  physicalId?: string;
  resourceType: string;
  status: string;
  reason?: string;
}

const MAX_PAGES = 50;

export async function eventsSince(
  aws: AwsClients,
  stackName: string,
  options: { since: Date; seen: Set<string>; maxPages?: number },
): Promise<StackEventView[]> {
  const cfn = await aws.cloudformation();
  const fresh: StackEventView[] = [];
  let token: string | undefined;
  for (let page = 0; page < (options.maxPages ?? MAX_PAGES); page++) {
    const out = await cfn
      .send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }))
      .catch((error) => {
        throw toRackError(error, { doing: `reading the events of ${stackName}` });
      });
    let reachedKnown = false;
    for (const event of out.StackEvents ?? []) {
      const view = toView(event);
      if (options.seen.has(view.id) || view.at < options.since) {
        reachedKnown = true;
        break;
      }
      fresh.push(view);
    }
    token = out.NextToken;
    if (reachedKnown || !token) break;
  }
  for (const event of fresh) options.seen.add(event.id);
  // Oldest first, as they happened.
  return fresh.reverse();
}

function toView(event: StackEvent): StackEventView {
  return {
    id: event.EventId ?? `${event.LogicalResourceId}-${event.Timestamp?.toISOString()}-${event.ResourceStatus}`,
    at: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? '',
    physicalId: event.PhysicalResourceId,
    resourceType: event.ResourceType ?? '',
    status: event.ResourceStatus ?? '',
    reason: event.ResourceStatusReason,
  };
}
