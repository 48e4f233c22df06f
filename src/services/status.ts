/**
 * `rack status` and attaching: what a rack runs, where its channel would take it, and — when a stack
 * operation that rack started is still running — following it to its end.
 */
import { findStack, parameterValue } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { busy, isRackError } from '../errors.js';
import { channelTarget } from '../core/channels/channel.js';
import { upgradePath, yankedWarning } from '../core/upgradePath.js';
import { isVersion } from '../core/versions.js';
import { readHistory, type HistoryEntry } from '../state/history.js';
import { readLock, staleReason, describeHolder, type LockHolder } from '../state/locks.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { RACK_VERSION } from '../version.js';
import { clearInFlight, lockTarget, readInFlight, record, type InFlight } from './operation.js';
import { findChannel, loadChannels, type LoadedChannels } from './releases.js';
import { operationFailed } from './stackWrite.js';
import { followStack, isInProgress } from './stackWait.js';

export type RackState = 'up-to-date' | 'update-available' | 'yanked' | 'in-progress' | 'failed' | 'unknown';

export interface RackStatus {
  rack: Rack;
  version?: string;
  /** "unknown release" when the catalog lacks the version. */
  release?: 'known' | 'unknown';
  stackStatus?: string;
  target?: string;
  path: string[];
  state: RackState;
  warnings: string[];
  lock?: { holder: LockHolder; stale?: string };
  inFlight?: InFlight;
  lastOperation?: Pick<HistoryEntry, 'operation' | 'result' | 'startedAt' | 'from' | 'to'>;
}

export async function rackStatus(ctx: Context, rack: Rack, loaded?: LoadedChannels): Promise<RackStatus> {
  loaded ??= await loadChannels(ctx);
  const stack = await findStack(ctx.aws(rack), rack.stack);
  const warnings: string[] = [];
  const history = await readHistory(ctx.state, rack.name);
  const last = history.at(-1);
  const lastOperation = last && {
    operation: last.operation,
    result: last.result,
    startedAt: last.startedAt,
    from: last.from,
    to: last.to,
  };
  const lock = await readLock(ctx.state, lockTarget(rack));
  const inFlight = await readInFlight(ctx, rack);
  const base = {
    rack,
    path: [] as string[],
    warnings,
    lastOperation,
    ...(lock ? { lock: { holder: lock.holder, stale: staleReason(lock.holder, ctx.clock.now()) } } : {}),
    ...(inFlight ? { inFlight } : {}),
  };
  if (!stack) {
    warnings.push(`stack ${rack.stack} was not found in ${rack.region}`);
    return { ...base, state: 'unknown' };
  }
  const version = parameterValue(stack, 'Version');
  const known = version ? Boolean(loaded.catalog.get(version)) : false;
  const channel = loaded.channels.get(rack.channel);
  if (!channel)
    warnings.push(`the rack follows channel ${rack.channel}, which ${loaded.source.description} does not have`);
  const target = channel ? channelTarget(loaded.catalog, channel)?.version : undefined;
  let path: string[] = [];
  // A version no path can start from (another tool's, such as a timestamp) is neither up to date nor behind.
  let pathless = false;
  if (version && channel) {
    try {
      path = upgradePath({ catalog: loaded.catalog, channel, from: version, cliVersion: RACK_VERSION }).hops.map(
        (h) => h.version,
      );
    } catch (error) {
      if (!isRackError(error)) throw error;
      warnings.push(`no update path: ${error.message}`);
      pathless = !isVersion(version);
    }
  }
  const yanked = version ? yankedWarning(loaded.catalog, version) : null;
  if (yanked) warnings.push(yanked);
  if (version && !known)
    warnings.push(`${version} is an unknown release: the catalog of ${loaded.source.description} does not list it`);
  const state: RackState = isInProgress(stack.status)
    ? 'in-progress'
    : /(FAILED|ROLLBACK_COMPLETE)$/.test(stack.status) && !stack.status.startsWith('UPDATE_COMPLETE')
      ? 'failed'
      : yanked
        ? 'yanked'
        : path.length > 0
          ? 'update-available'
          : pathless
            ? 'unknown'
            : 'up-to-date';
  return {
    ...base,
    version,
    release: version ? (known ? 'known' : 'unknown') : undefined,
    stackStatus: stack.status,
    target,
    path,
    state,
  };
}

export async function statusOf(ctx: Context, name: string | undefined): Promise<RackStatus> {
  return rackStatus(ctx, await resolveRack(ctx.state, name));
}

/**
 * When the rack's stack is in an operation: follows it to the end if rack started it (and no live
 * rack process is following it already), else refuses as busy (exit 5). Returns undefined when the
 * stack is not in an operation.
 */
export async function attachIfBusy(
  ctx: Context,
  rack: Rack,
  options: { lockHeldByUs?: boolean; beforeFollowing?: (inFlight: InFlight) => Promise<void> } = {},
): Promise<{ status: string } | undefined> {
  const aws = ctx.aws(rack);
  const stack = await findStack(aws, rack.stack);
  if (!stack || !isInProgress(stack.status)) return undefined;
  const inFlight = await readInFlight(ctx, rack);
  if (!inFlight) {
    throw busy(`Stack ${rack.stack} is in ${stack.status}, an operation rack did not start.`, {
      untouched: 'Nothing was written.',
      next: 'Wait for it to finish (see the CloudFormation console or `aws cloudformation describe-stack-events`), then try again.',
    });
  }
  if (!options.lockHeldByUs) {
    const lock = await readLock(ctx.state, lockTarget(rack));
    if (lock && !staleReason(lock.holder, ctx.clock.now())) {
      throw busy(`Rack ${rack.name} is busy: ${describeHolder(lock.holder)} is following its ${inFlight.operation}.`, {
        untouched: 'Nothing was written.',
        next: 'Wait for that process to finish.',
      });
    }
  }
  await options.beforeFollowing?.(inFlight);
  ctx.events.emit({
    type: 'step',
    text: `Attaching to ${inFlight.operation} of ${rack.name} (${inFlight.from ?? '?'} → ${inFlight.to ?? '?'}) started ${inFlight.startedAt}.`,
  });
  const result = await followStack(ctx, aws, {
    rack: rack.name,
    stackName: rack.stack,
    since: new Date(new Date(inFlight.startedAt).getTime() - 5 * 60_000),
  });
  await clearInFlight(ctx, rack);
  const ok = /_COMPLETE$/.test(result.status) && !result.status.includes('ROLLBACK');
  await record(ctx, {
    rack: rack.name,
    stack: rack.stack,
    operation: `${inFlight.operation} (attached)`,
    startedAt: inFlight.startedAt,
    finishedAt: ctx.clock.now().toISOString(),
    from: inFlight.from,
    to: inFlight.to,
    channel: inFlight.channel,
    hops:
      inFlight.from && inFlight.to
        ? [
            {
              from: inFlight.from,
              to: inFlight.to,
              result: ok ? 'succeeded' : result.status === 'UPDATE_ROLLBACK_FAILED' ? 'rollback-failed' : 'rolled-back',
            },
          ]
        : [],
    result: ok ? 'succeeded' : result.status === 'UPDATE_ROLLBACK_FAILED' ? 'rollback-failed' : 'rolled-back',
    cause: ok ? undefined : (result.firstFailure?.reason ?? result.statusReason),
  });
  if (!ok)
    throw operationFailed(rack, result, `The ${inFlight.operation} of ${rack.name} to ${inFlight.to ?? 'its target'}`);
  return { status: result.status };
}
