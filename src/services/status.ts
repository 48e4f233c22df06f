/**
 * `rack status` and attaching: what a rack runs, where its channel would take it, and — when a stack
 * operation that rack started is still running — following it to its end.
 */
import { findStack, parameterValue } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { isRackError } from '../errors.js';
import { channelTarget } from '../core/channels/channel.js';
import { isFailedState, isInProgress, isKnownFailure } from '../core/stackStatus.js';
import { upgradePath, yankedWarning } from '../core/upgradePath.js';
import { isVersion } from '../core/versions.js';
import { readHistory, type HistoryEntry } from '../state/history.js';
import { readLock, staleReason, type LockHolder } from '../state/locks.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { RACK_VERSION } from '../version.js';
import { isBusyHolder } from './busy.js';
import type { OperationHooks } from './hooks.js';
import { readInFlight, type InFlight } from './inFlight.js';
import { lockTarget, withOperation } from './operation.js';
import { loadChannels, type LoadedChannels } from './releases.js';
import { writeFailed } from './stackWrite.js';

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
  const stack = await findStack(ctx.aws(rack), rack.stackId ?? rack.stack);
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
    : isFailedState(stack.status)
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

/**
 * `rack status`: when no live rack process holds the rack, what a gone process left is finished first — a
 * stack operation it started is followed to its end (exit 6 when that ended in a rollback) and its history
 * entry completed. With a live holder, the status is only read.
 */
export async function statusAndRecover(
  ctx: Context,
  name: string | undefined,
  hooks: Pick<OperationHooks<unknown>, 'onAttach'> = {},
): Promise<RackStatus> {
  const rack = await resolveRack(ctx.state, name);
  let attachedFailure: Error | undefined;
  try {
    await withOperation(
      ctx,
      rack,
      'status',
      async (op) => {
        const attached = op.recovery.attached;
        if (attached && isKnownFailure(attached.outcome)) {
          attachedFailure = writeFailed(
            op.rack,
            attached.outcome,
            `The ${attached.marker.operation} of ${op.rack.name}${attached.marker.to ? ` to ${attached.marker.to}` : ''}`,
          );
        }
      },
      hooks.onAttach ? { onAttach: hooks.onAttach } : {},
    );
  } catch (error) {
    if (!isBusyHolder(error)) throw error;
  }
  const status = await rackStatus(ctx, await resolveRack(ctx.state, rack.name).catch(() => rack));
  if (attachedFailure) throw attachedFailure;
  return status;
}
