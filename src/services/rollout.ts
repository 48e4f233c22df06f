/**
 * Progressive rollout as the commands use it: where a channel's release stands in its waves (`rack rollout
 * status`, the dashboard's channels screen, `rack sync`'s gate), and halting and resuming a release by hand.
 * The facts come from the racks' stacks (version and phase), the known risks that hold racks back, and the
 * alarms of racks already on the release; the decisions are core/rollout.ts's; the progress (bake starts,
 * halts, failures) is the state store's (state/rollout.ts), shared by every machine that syncs.
 */
import os from 'node:os';
import { findStack, parameterValue, type StackSummary } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import type { Release } from '../core/channels/catalog.js';
import { type Channel, channelTarget } from '../core/channels/channel.js';
import { riskLine } from '../core/risks.js';
import {
  atOrPast,
  bakeChanges,
  emptyProgress,
  type Halt,
  type RackFact,
  type RolloutProgress,
  type RolloutView,
  rolloutView,
  type WaveView,
} from '../core/rollout.js';
import { stackPhase } from '../core/stackStatus.js';
import { upgradePath } from '../core/upgradePath.js';
import { usageError } from '../errors.js';
import { listRacks, type Rack } from '../state/registry.js';
import { readProgress, updateProgress } from '../state/rollout.js';
import { RACK_VERSION } from '../version.js';
import { recordEntry } from './journal.js';
import { localUser } from '../state/processes.js';
import { mapLimit } from './pool.js';
import { findChannel, type LoadedChannels, loadChannels } from './releases.js';
import { checkRisks } from './risks.js';
import { alarmInAlarm, alarmNamesOf } from './rollbackAlarms.js';

/** What was read of a rack's stack already (sync's planning), so that it is not read twice. */
export interface KnownStack {
  stack?: StackSummary;
  problem?: string;
  /** The known risk that keeps it off the release, if sync found one. */
  risk?: string;
}

export interface ChannelRollout {
  channel: string;
  version: string;
  view: RolloutView;
  progress: RolloutProgress;
}

const identityOf = (rack: Rack, stack?: StackSummary) =>
  rack.stackId ?? (stack?.id || undefined) ?? `${rack.region}/${rack.stack}`;

/**
 * Where the channel's target stands in its waves, from every registered rack pinned to the channel.
 * Undefined for a channel without `rollout:` or without a target. With `record`, a wave found complete and
 * quiet starts its bake now (and one that no longer is stops), in the state store.
 */
export async function channelRollout(
  ctx: Context,
  loaded: LoadedChannels,
  channelName: string,
  options: { known?: ReadonlyMap<string, KnownStack>; record?: boolean; racks?: readonly Rack[] } = {},
): Promise<ChannelRollout | undefined> {
  const channel = findChannel(loaded, channelName);
  const target = channelTarget(loaded.catalog, channel);
  if (!channel.rollout || !target) return undefined;
  const racks = (options.racks ?? (await listRacks(ctx.state))).filter((rack) => rack.channel === channel.name);
  const facts = await mapLimit(racks, 10, (rack) =>
    rackFact(ctx, loaded, channel, target, rack, options.known?.get(rack.name)),
  );
  const now = ctx.clock.now();
  let progress =
    (await readProgress(ctx.state, channel.name, target.version)) ?? emptyProgress(channel.name, target.version);
  const rollout = channel.rollout!;
  const viewOf = (of: RolloutProgress) =>
    rolloutView({ channel: channel.name, rollout, version: target.version, racks: facts, progress: of, now });
  let view = viewOf(progress);
  if (options.record && bakeChanges(view, progress, now)) {
    // Compare-and-swap: of two machines that see a wave complete, the first bake start stays.
    progress = await updateProgress(ctx.state, channel.name, target.version, (current) =>
      bakeChanges(viewOf(current), current, now),
    );
    view = viewOf(progress);
  }
  return { channel: channel.name, version: target.version, view, progress };
}

async function rackFact(
  ctx: Context,
  loaded: LoadedChannels,
  channel: Channel,
  target: Release,
  rack: Rack,
  known: KnownStack | undefined,
): Promise<RackFact> {
  const base = { name: rack.name, identity: identityOf(rack, known?.stack), labels: rack.labels ?? {} };
  let stack = known?.stack;
  if (!known) {
    try {
      stack = await findStack(ctx.aws(rack), rack.stackId ?? rack.stack);
    } catch (error) {
      return { ...base, problem: (error as Error).message };
    }
  }
  if (!stack) return { ...base, problem: known?.problem ?? `stack ${rack.stack} not found in ${rack.region}` };
  const version = parameterValue(stack, 'Version');
  const fact: RackFact = {
    ...base,
    identity: identityOf(rack, stack),
    ...(version ? { version } : {}),
    phase: stackPhase(stack.status),
  };
  if (!version) return { ...fact, problem: `stack ${stack.name} has no Version parameter` };
  const onTarget = atOrPast(version, target.version);
  if (!onTarget) {
    const risk = known ? known.risk : await riskOf(ctx, loaded, channel, rack, stack, version);
    if (risk) fact.risk = risk;
  } else {
    // An alarm of the rack in ALARM (its rollback triggers) keeps its wave from baking.
    const alarm = await alarmInAlarm(ctx.aws(rack), alarmNamesOf(rack, stack));
    if (alarm) fact.alarm = alarm;
  }
  return fact;
}

/** The first known risk of the rack's path to the target, in words; undefined when none applies or no path. */
async function riskOf(
  ctx: Context,
  loaded: LoadedChannels,
  channel: Channel,
  rack: Rack,
  stack: StackSummary,
  from: string,
): Promise<string | undefined> {
  let releases: Release[];
  try {
    releases = upgradePath({ catalog: loaded.catalog, channel, from, cliVersion: RACK_VERSION }).hops;
  } catch {
    return undefined;
  }
  const check = await checkRisks(ctx, rack, releases, { stack });
  return check.refused[0] ? `known risk ${riskLine(check.refused[0])}` : undefined;
}

// ---- halts ----

export interface HaltRequest {
  version: string;
  channel: string;
  reason: string;
}

export interface HaltResult {
  channel: string;
  version: string;
  halted?: Halt;
  /** The halt was there already (kept as it was). */
  already: boolean;
  /** Racks whose history records it. */
  racks: string[];
}

const whoAmI = () => `${localUser()}@${os.hostname()}`;

/** `rack rollout halt`: no rack starts on the release in the channel until it is resumed. */
export async function haltRelease(ctx: Context, request: HaltRequest): Promise<HaltResult> {
  const loaded = await loadChannels(ctx);
  requireRelease(loaded, request.channel, request.version);
  if (!findChannel(loaded, request.channel).rollout) {
    throw usageError(
      `The channel ${request.channel} has no rollout: \`rack sync\` takes its racks all at once and halts nothing.`,
      {
        untouched: 'Nothing was changed.',
        next: `Give ${request.channel} waves (a \`rollout:\` section in channels/${request.channel}.yaml), or leave its racks out of the sync.`,
      },
    );
  }
  if (request.reason.trim() === '') {
    throw usageError('A halt needs a reason.', { next: 'Say why with --reason "<text>".' });
  }
  return recordHalt(ctx, request.channel, request.version, { by: whoAmI(), reason: request.reason.trim() });
}

/** Records a halt (by hand, or by `rack sync` after a failure) and writes it into the channel's racks' history. */
export async function recordHalt(
  ctx: Context,
  channel: string,
  version: string,
  halt: { by: string; reason: string; rack?: string },
): Promise<HaltResult> {
  const at = ctx.clock.now().toISOString();
  let already = false;
  const progress = await updateProgress(ctx.state, channel, version, (current) => {
    already = current.halted !== undefined;
    const failures = halt.rack
      ? { ...current.failures, [halt.rack]: { at, reason: ctx.logger.redact(halt.reason) } }
      : current.failures;
    if (already && !halt.rack) return undefined;
    return {
      ...current,
      failures,
      halted: current.halted ?? { at, ...halt, reason: ctx.logger.redact(halt.reason) },
      log: already
        ? current.log
        : [...current.log, { at, what: 'halted', by: halt.by, reason: ctx.logger.redact(halt.reason) }],
    };
  });
  const racks = already ? [] : await recordInHistory(ctx, channel, version, 'rollout-halt', halt.by, halt.reason);
  return { channel, version, ...(progress.halted ? { halted: progress.halted } : {}), already, racks };
}

export interface ResumeResult {
  channel: string;
  version: string;
  /** The halt that was lifted; undefined when the release was not halted. */
  lifted?: Halt;
  racks: string[];
}

/** `rack rollout resume`: lifts the halt and forgets the failures, so the racks that failed are tried again. */
export async function resumeRelease(
  ctx: Context,
  request: { version: string; channel: string },
): Promise<ResumeResult> {
  const loaded = await loadChannels(ctx);
  requireRelease(loaded, request.channel, request.version);
  const at = ctx.clock.now().toISOString();
  const by = whoAmI();
  let lifted: Halt | undefined;
  await updateProgress(ctx.state, request.channel, request.version, (current) => {
    lifted = current.halted;
    if (!current.halted && Object.keys(current.failures).length === 0) return undefined;
    const { halted: _halted, ...rest } = current;
    return { ...rest, failures: {}, log: [...current.log, { at, what: 'resumed', by }] };
  });
  const racks = lifted
    ? await recordInHistory(
        ctx,
        request.channel,
        request.version,
        'rollout-resume',
        by,
        `halted by ${lifted.by}: ${lifted.reason}`,
      )
    : [];
  return { channel: request.channel, version: request.version, ...(lifted ? { lifted } : {}), racks };
}

function requireRelease(loaded: LoadedChannels, channelName: string, version: string): void {
  const channel = findChannel(loaded, channelName);
  if (!channel.get(version)) {
    throw usageError(`${version} is not a release of ${channel.name}.`, {
      untouched: 'Nothing was changed.',
      next: `Its releases: ${channel.releases.map((r) => r.version).join(', ') || 'none'} (\`rack releases --channel ${channel.name}\`).`,
    });
  }
}

/** One finished entry per rack of the channel: who halted or resumed which release, and why. */
async function recordInHistory(
  ctx: Context,
  channel: string,
  version: string,
  operation: 'rollout-halt' | 'rollout-resume',
  by: string,
  note: string,
): Promise<string[]> {
  const racks = (await listRacks(ctx.state)).filter((rack) => rack.channel === channel);
  const at = ctx.clock.now().toISOString();
  for (const rack of racks) {
    await recordEntry(ctx, {
      rack: rack.name,
      stack: rack.stack,
      ...(rack.stackId ? { stackId: rack.stackId } : {}),
      operation,
      startedAt: at,
      finishedAt: at,
      durationMs: 0,
      to: version,
      channel,
      hops: [],
      result: 'succeeded',
      note: ctx.logger.redact(`${by}: ${note}`),
    }).catch((error: unknown) =>
      ctx.events.emit({
        type: 'warning',
        text: `could not record the ${operation} in the history of ${rack.name}: ${(error as Error).message}`,
      }),
    );
  }
  return racks.map((rack) => rack.name);
}

// ---- status ----

export interface RolloutStatus {
  channel: string;
  /** Undefined for a channel without `rollout:` (every rack at once, as without waves). */
  version?: string;
  bake?: string;
  halted?: Halt;
  waves: WaveView[];
  /** Racks whose update to the release failed (cleared by a resume). */
  failures: RolloutProgress['failures'];
  log: RolloutProgress['log'];
}

/** `rack rollout status`: each channel with a rollout (or the one named), its target's waves. Writes nothing. */
export async function rolloutStatus(
  ctx: Context,
  options: { channel?: string; loaded?: LoadedChannels } = {},
): Promise<RolloutStatus[]> {
  const loaded = options.loaded ?? (await loadChannels(ctx));
  const names = options.channel
    ? [findChannel(loaded, options.channel).name]
    : [...loaded.channels.values()].filter((c) => c.rollout).map((c) => c.name);
  const racks = await listRacks(ctx.state);
  const statuses: RolloutStatus[] = [];
  for (const name of names) {
    const rollout = await channelRollout(ctx, loaded, name, { racks });
    if (!rollout) {
      statuses.push({ channel: name, waves: [], failures: {}, log: [] });
      continue;
    }
    const { view, progress } = rollout;
    statuses.push({
      channel: name,
      version: rollout.version,
      bake: view.bake,
      ...(view.halted ? { halted: view.halted } : {}),
      waves: view.waves,
      failures: progress.failures,
      log: progress.log,
    });
  }
  return statuses;
}
