/**
 * `rack sync`: brings many racks to their pinned channels' targets. Channels go one after the other —
 * `unstable` first, then `stable`, then the others by name — and within a channel up to `maxParallel`
 * racks update at once, each through `runUpdate` under its own lock. After the first failure in a channel
 * no further rack of that channel is started (those in flight finish). A rack outside its maintenance
 * window is skipped unless `now` is set.
 *
 * A channel with `rollout:` goes wave by wave (services/rollout.ts): only racks of waves that are open start;
 * a rack a known risk of its path picks is skipped and reported; a failure halts the release in the channel
 * (recorded in the state store and in the channel's racks' history) until `rack rollout resume`.
 *
 * A failure in one channel does not stop the next one. Channels carry different releases: what failed on
 * an unstable rack is usually a release stable will only get after it has soaked, and holding every
 * production rack back because a staging rack failed would make `unstable` a gate it was never meant to
 * be. When a later rack's path crosses the release an earlier rack failed to reach in this run, the sync
 * says so (a warning), and the exit code reports the failure either way.
 */
import { findStack, parameterValue, type StackSummary } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { errorJson, exitCodeOf, internalError, isRackError, refused, type RackError, usageError } from '../errors.js';
import { matchesSelector, formatLabels, type Selector } from '../core/labels.js';
import type { RiskFinding } from '../core/risks.js';
import { parseWindow, windowStatus } from '../core/windows.js';
import { upgradePath } from '../core/upgradePath.js';
import { listRacks, type Rack } from '../state/registry.js';
import { RACK_VERSION } from '../version.js';
import { findChannel, loadChannels, type LoadedChannels } from './releases.js';
import { recoverIfLeft } from './operation.js';
import { checkRisks } from './risks.js';
import { channelRollout } from './rollout.js';
import { gateRollouts, haltAfterFailure, riskText, type RolloutSummary, rolloutSummary } from './syncRollout.js';
import { readProgress } from '../state/rollout.js';
import { mapLimit } from './pool.js';
import { runUpdate } from './update.js';

export interface SyncRequest {
  /** Racks named on the command line, in the order given; empty with `all`. */
  racks: string[];
  all: boolean;
  /** How many racks of one channel update at once. */
  maxParallel: number;
  /** Ignore maintenance windows. */
  now: boolean;
  /** Only the racks whose labels match (`--selector k=v[,k2=v2]`), instead of `all` or names. */
  selector?: Selector;
}

/** One selected rack as planned before anything is written. */
export interface RackSyncPlan {
  rack: Rack;
  channel: string;
  from?: string;
  target?: string;
  /** The releases the rack would pass through, ending at the target; empty when it runs the target. */
  path: string[];
  window?: { spec: string; open: boolean; text: string; next?: Date };
  /** Another selected name for the same stack, which syncs it instead. */
  sameStackAs?: string;
  /** Why the rack cannot be updated; it counts as a failure when its turn comes. */
  problem?: RackError;
  /** The stack as read while planning. */
  stack?: StackSummary;
  /** Known risks of its path that pick the rack: it is skipped. */
  risks?: RiskFinding[];
  /** In a channel with `rollout:`: its wave for the release, and why it waits (it is skipped) if it does. */
  rollout?: { version: string; wave: string; waiting?: string };
}

export type SyncOutcome = 'updated' | 'up-to-date' | 'skipped' | 'failed' | 'not-started';

export interface RackSyncResult {
  rack: string;
  channel: string;
  from?: string;
  target?: string;
  /** The version the rack runs at the end (for an update, where it stopped). */
  reached?: string;
  outcome: SyncOutcome;
  /** In words: why it was skipped, how it failed, why it was not started. */
  detail?: string;
  /** For a failure: the exit code `rack update` would have given. */
  exitCode?: number;
  /** For a failure: the error as `--json` shows errors. */
  error?: unknown;
  /** 1, 2, 3, … in the order racks were started; unset for racks not started. */
  started?: number;
  durationMs?: number;
}

export interface SyncReport {
  racks: RackSyncResult[];
  /** 0 when every rack was updated, up to date or skipped for its window; else the first failure's code. */
  exitCode: number;
  /** Each channel with a rollout, after the sync: its release and where each wave stands. */
  rollouts?: RolloutSummary[];
}

export type { RolloutSummary } from './syncRollout.js';

/** Channel order: unstable first, then stable, then the rest by name. */
function channelRank(a: string, b: string): number {
  const rank = (name: string) => (name === 'unstable' ? 0 : name === 'stable' ? 1 : 2);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** The racks a sync acts on (every registered one, or those named or picked), and the registry they are from. */
async function selectRacks(
  ctx: Context,
  request: Pick<SyncRequest, 'racks' | 'all' | 'selector'>,
): Promise<{ selected: Rack[]; registered: Rack[] }> {
  const ways = [request.all, request.racks.length > 0, request.selector !== undefined].filter(Boolean).length;
  if (ways > 1) {
    throw usageError('Give one of --all, rack names or --selector.', {
      next: 'Run `rack sync --all`, `rack sync <rack> ...` or `rack sync --selector tier=canary`.',
    });
  }
  if (ways === 0) {
    throw usageError('Say which racks to sync.', {
      next: 'Run `rack sync --all`, name them (`rack sync <rack> ...`) or pick them by label (`--selector k=v`).',
    });
  }
  const registered = await listRacks(ctx.state);
  if (request.selector) {
    const selected = registered.filter((rack) => matchesSelector(rack.labels, request.selector!));
    if (selected.length === 0) {
      throw usageError(`No registered rack has the labels ${formatLabels(request.selector)}.`, {
        untouched: 'Nothing was changed.',
        next: 'See the racks and their labels with `rack racks list`; label one with `rack racks label <name> k=v`.',
      });
    }
    return { selected, registered };
  }
  if (request.all) {
    if (registered.length === 0) {
      throw usageError('No rack is registered yet.', {
        next: 'Register one with `rack racks add <name> --stack <stack>`.',
      });
    }
    return { selected: registered, registered };
  }
  const names = [...new Set(request.racks)];
  const unknown = names.filter((name) => !registered.some((r) => r.name === name));
  if (unknown.length > 0) {
    throw usageError(
      `${unknown.length === 1 ? 'A rack named' : 'Racks named'} ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not registered.`,
      {
        untouched: 'Nothing was changed.',
        next: registered.length
          ? `Registered racks: ${registered.map((r) => r.name).join(', ')}.`
          : 'Register one with `rack racks add <name> --stack <stack>`.',
      },
    );
  }
  return { selected: names.map((name) => registered.find((r) => r.name === name)!), registered };
}

/**
 * Reads every selected rack's stack and plans its path, in channel order. Writes nothing: a rack that
 * cannot be planned carries its problem instead.
 */
export async function planSync(
  ctx: Context,
  request: SyncRequest,
  channels?: LoadedChannels,
  options: { record?: boolean } = {},
): Promise<RackSyncPlan[]> {
  const { selected: racks, registered } = await selectRacks(ctx, request);
  const loaded = channels ?? (await loadChannels(ctx, { forWrite: true }));
  const now = ctx.clock.now();
  const ordered = racks
    .map((rack, index) => ({ rack, index }))
    .sort((a, b) => channelRank(a.rack.channel, b.rack.channel) || a.index - b.index)
    .map(({ rack }) => rack);
  const plans = await mapLimit(ordered, 10, (rack) => planRack(ctx, loaded, rack, now, request.now));
  const seen = new Map<string, string>();
  for (const plan of plans) {
    // By StackId (the registry's, or the one read while planning), so one stack under two names syncs once.
    const key =
      plan.stack?.id ?? plan.rack.stackId ?? `${plan.rack.region}|${plan.rack.profile ?? ''}|${plan.rack.stack}`;
    const first = seen.get(key);
    if (first) plan.sameStackAs = first;
    else seen.set(key, plan.rack.name);
  }
  await gateRollouts(ctx, loaded, plans, registered, options.record ?? false);
  return plans;
}

async function planRack(
  ctx: Context,
  loaded: LoadedChannels,
  rack: Rack,
  now: Date,
  ignoreWindow: boolean,
): Promise<RackSyncPlan> {
  const plan: RackSyncPlan = { rack, channel: rack.channel, path: [] };
  if (rack.window) {
    try {
      const status = windowStatus(parseWindow(rack.window), now);
      plan.window = {
        spec: rack.window,
        open: status.open,
        text: status.text,
        ...(status.next ? { next: status.next } : {}),
      };
    } catch (error) {
      // Without --now a window that cannot be read cannot be respected either.
      if (!ignoreWindow) plan.problem = unreadableWindow(error, rack);
    }
  }
  try {
    const channel = findChannel(loaded, rack.channel);
    const stack = await findStack(ctx.aws(rack), rack.stackId ?? rack.stack);
    if (!stack) {
      throw usageError(`Stack "${rack.stack}" of rack ${rack.name} does not exist in ${rack.region}.`, {
        untouched: 'Nothing was written.',
        next: `Check it with \`rack racks show ${rack.name}\`; if the stack was deleted, \`rack racks remove ${rack.name}\`.`,
      });
    }
    plan.stack = stack;
    plan.from = parameterValue(stack, 'Version');
    if (!plan.from) {
      throw refused(`Stack ${stack.name} of rack ${rack.name} has no Version parameter.`, {
        untouched: 'Nothing was written.',
      });
    }
    const path = upgradePath({ catalog: loaded.catalog, channel, from: plan.from, cliVersion: RACK_VERSION });
    plan.target = path.target.version;
    plan.path = path.hops.map((hop) => hop.version);
    const risks = await checkRisks(ctx, rack, path.hops, { stack });
    if (risks.refused.length > 0) plan.risks = risks.refused;
  } catch (error) {
    plan.problem ??= isRackError(error) ? error : internalError((error as Error).message, { cause: error });
  }
  return plan;
}

/** A window in the registry that does not parse (registered before windows were checked, or edited by hand). */
function unreadableWindow(error: unknown, rack: Rack): RackError {
  return usageError(`Rack ${rack.name}: ${(error as Error).message}`, {
    untouched: 'Nothing was written.',
    next: `Register it again with a valid --window (\`rack racks remove ${rack.name}\`, then \`rack racks add\`), or pass --now. ${isRackError(error) ? (error.next ?? '') : ''}`.trim(),
  });
}

export type PlannedAction = 'update' | 'up-to-date' | 'skip' | 'fail';

/** What the sync will do with a rack, as far as can be known before it starts (for --dry-run and the confirmation). */
export function plannedAction(plan: RackSyncPlan, ignoreWindow: boolean): { action: PlannedAction; text: string } {
  if (plan.sameStackAs) return { action: 'skip', text: `skip: same stack as ${plan.sameStackAs}, which syncs it` };
  if (!plan.problem && plan.path.length === 0) return { action: 'up-to-date', text: 'up to date' };
  if (plan.window && !plan.window.open && !ignoreWindow) return { action: 'skip', text: `skip: ${plan.window.text}` };
  // A rack of a wave that is not open is not touched, whatever else is the matter with it.
  if (plan.rollout?.waiting) return { action: 'skip', text: `skip: ${plan.rollout.waiting}` };
  if (plan.problem) return { action: 'fail', text: `fails (exit ${plan.problem.exitCode}): ${plan.problem.message}` };
  if (plan.risks?.length) return { action: 'skip', text: `skip: ${riskText(plan.risks)}` };
  const window = plan.window ? (plan.window.open ? ' (window open)' : ' (--now: outside its window)') : '';
  return { action: 'update', text: `update${window}` };
}

const willUpdate = (plan: RackSyncPlan, ignoreWindow: boolean) => plannedAction(plan, ignoreWindow).action === 'update';

/**
 * Plans, asks once for the whole batch (`confirm` shows the racks that will move and asks), then runs
 * channel after channel. Never throws for one rack's failure: each rack gets its result.
 */
export async function runSync(
  ctx: Context,
  request: SyncRequest,
  confirm: (plans: RackSyncPlan[]) => Promise<void>,
): Promise<{ plans: RackSyncPlan[]; report: SyncReport }> {
  // Read once: every rack's update plans from the same channels the batch was confirmed on.
  const channels = await loadChannels(ctx, { forWrite: true });
  const plans = await planSync(ctx, request, channels, { record: true });
  if (plans.some((plan) => willUpdate(plan, request.now))) await confirm(plans);

  const results = new Map<RackSyncPlan, RackSyncResult>();
  const run: SyncRun = { ctx, request, channels, started: 0, failedTargets: new Map() };
  const rollouts: RolloutSummary[] = [];
  for (const channel of [...new Set(plans.map((plan) => plan.channel))]) {
    const group = plans.filter((plan) => plan.channel === channel);
    const channelResults = await syncChannel(run, group);
    for (const [plan, result] of channelResults) results.set(plan, result);
    if (group.some((plan) => plan.rollout)) {
      // Read again after the updates: a wave completed by this sync starts its bake now.
      const after = await channelRollout(ctx, channels, channel, { record: true }).catch((error: unknown) => {
        ctx.events.emit({
          type: 'warning',
          text: `could not record the rollout of ${channel}: ${(error as Error).message}`,
        });
        return undefined;
      });
      if (after) rollouts.push(rolloutSummary(after));
    }
  }
  const ordered = plans.map((plan) => results.get(plan)!);
  const firstFailure = ordered
    .filter((result) => result.outcome === 'failed')
    .sort((a, b) => (a.started ?? Infinity) - (b.started ?? Infinity))[0];
  return {
    plans,
    report: { racks: ordered, exitCode: firstFailure?.exitCode ?? 0, ...(rollouts.length ? { rollouts } : {}) },
  };
}

interface SyncRun {
  ctx: Context;
  request: SyncRequest;
  channels: LoadedChannels;
  /** Racks started so far, across channels: the start order that picks the exit code. */
  started: number;
  /** Targets that racks failed to reach in this run, with the first rack that failed. */
  failedTargets: Map<string, string>;
}

/** One channel: a pool of `maxParallel` workers over its racks, in order; the first failure stops new starts. */
async function syncChannel(run: SyncRun, group: RackSyncPlan[]): Promise<Map<RackSyncPlan, RackSyncResult>> {
  const results = new Map<RackSyncPlan, RackSyncResult>();
  let next = 0;
  let stoppedBy: string | undefined;
  const worker = async () => {
    while (next < group.length) {
      const plan = group[next++]!;
      const result = await syncRack(run, plan, stoppedBy);
      results.set(plan, result);
      if (result.outcome === 'failed') stoppedBy ??= plan.rack.name;
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.request.maxParallel, group.length) }, worker));
  return results;
}

async function syncRack(run: SyncRun, plan: RackSyncPlan, stoppedBy: string | undefined): Promise<RackSyncResult> {
  const { ctx, request } = run;
  const base: RackSyncResult = {
    rack: plan.rack.name,
    channel: plan.channel,
    from: plan.from,
    target: plan.target,
    reached: plan.from,
    outcome: 'up-to-date',
  };
  const done = (result: RackSyncResult): RackSyncResult => {
    const text = resultText(result);
    const outcome =
      result.outcome === 'failed'
        ? 'failed'
        : result.outcome === 'updated' || result.outcome === 'up-to-date'
          ? 'ok'
          : 'skipped';
    ctx.events.emit({ type: 'rack-done', rack: result.rack, outcome, text });
    return result;
  };

  if (plan.sameStackAs)
    return done({ ...base, outcome: 'skipped', detail: `same stack as ${plan.sameStackAs}, which syncs it` });
  if (!plan.problem && plan.path.length === 0) {
    // At its target, but perhaps because a process that was killed got it there: finish its record.
    await recoverIfLeft(ctx, plan.rack).catch((error: unknown) =>
      ctx.events.emit({ type: 'warning', text: `${plan.rack.name}: ${(error as Error).message}` }),
    );
    return done(base);
  }
  // The window is checked again as each rack starts: a long sync may outlast a window.
  const window = !request.now && plan.window ? windowStatus(parseWindow(plan.window.spec), ctx.clock.now()) : undefined;
  if (window && !window.open) return done({ ...base, outcome: 'skipped', detail: window.text });
  if (plan.rollout?.waiting) return done({ ...base, outcome: 'skipped', detail: plan.rollout.waiting });
  if (!plan.problem && plan.risks?.length) return done({ ...base, outcome: 'skipped', detail: riskText(plan.risks) });
  if (plan.rollout && !stoppedBy && !ctx.signal.aborted) {
    // Another machine's sync may have halted the release since this one planned (no need to read it for a
    // rack that will not start anyway).
    const halted = (await readProgress(ctx.state, plan.channel, plan.rollout.version))?.halted;
    if (halted) {
      return done({
        ...base,
        outcome: 'not-started',
        detail: `not started: ${plan.rollout.version} is halted on ${plan.channel} (by ${halted.by}: ${halted.reason})`,
      });
    }
  }
  // Also after the read above: the operator may interrupt while it is under way.
  if (stoppedBy || ctx.signal.aborted) {
    const detail = ctx.signal.aborted
      ? 'not started: interrupted'
      : `not started: ${plan.channel} stopped after ${stoppedBy} failed`;
    return done({ ...base, reached: plan.from, outcome: 'not-started', detail });
  }

  const started = ++run.started;
  const startedAt = ctx.clock.now().getTime();
  const elapsed = () => ctx.clock.now().getTime() - startedAt;
  try {
    if (plan.problem) throw plan.problem;
    warnAboutFailedTargets(run, plan);
    const via = plan.path.length > 1 ? ` via ${plan.path.slice(0, -1).join(', ')}` : '';
    ctx.events.emit({
      type: 'step',
      text: `[${plan.rack.name}] sync: ${plan.from} → ${plan.target} (${plan.channel})${via}`,
    });
    const reached = await updateRack(ctx, plan, run.channels);
    return done({
      ...base,
      reached,
      outcome: reached === plan.from ? 'up-to-date' : 'updated',
      started,
      durationMs: elapsed(),
    });
  } catch (error) {
    const rackError = isRackError(error) ? error : internalError((error as Error).message, { cause: error });
    // Only a failure on the way says something about the release: not a rack that could not be planned,
    // was busy, or was asked for wrongly.
    const aboutRelease = !plan.problem && rackError.kind !== 'usage' && rackError.kind !== 'busy';
    if (aboutRelease && plan.target && !run.failedTargets.has(plan.target))
      run.failedTargets.set(plan.target, plan.rack.name);
    if (aboutRelease && plan.rollout && rackError.details?.reason !== 'known-risk') {
      await haltAfterFailure(ctx, plan, plan.rollout.version, rackError);
    }
    // A path of several hops may stop part-way: say where the rack is now, as its stack says.
    const reached = await findStack(ctx.aws(plan.rack), plan.rack.stackId ?? plan.rack.stack).then(
      (stack) => stack && parameterValue(stack, 'Version'),
      () => undefined,
    );
    return done({
      ...base,
      reached,
      outcome: 'failed',
      detail: rackError.message,
      exitCode: exitCodeOf(rackError),
      error: errorJson(rackError).error,
      started,
      durationMs: elapsed(),
    });
  }
}

/**
 * One rack's update with `--yes` semantics (the batch was confirmed once). The update re-plans under the
 * rack's lock; it must still head for the target that was confirmed. An operation rack started earlier
 * and still running is followed to its end first, then the update goes on from where it left the rack.
 */
async function updateRack(ctx: Context, plan: RackSyncPlan, channels: LoadedChannels): Promise<string | undefined> {
  const confirmTarget = async (fresh: { target: string }) => {
    if (fresh.target !== plan.target) {
      throw refused(
        `The target of ${plan.rack.name} changed since the sync was confirmed (${plan.target} then, ${fresh.target} now).`,
        {
          untouched: 'Nothing was written to its stack.',
          next: 'Run `rack sync` again to confirm the new target.',
        },
      );
    }
  };
  // An operation an earlier process started on the rack is followed to its end first, inside runUpdate;
  // the update then goes on from where that left the rack.
  const result = await runUpdate(ctx, { rack: plan.rack.name, channels }, { confirm: confirmTarget });
  if (result.type === 'updated') return result.outcome.reached;
  await confirmTarget(result.plan);
  return result.plan.from;
}

function warnAboutFailedTargets(run: SyncRun, plan: RackSyncPlan): void {
  for (const version of plan.path) {
    const failed = run.failedTargets.get(version);
    if (failed) {
      run.ctx.events.emit({
        type: 'warning',
        text: `${plan.rack.name} goes to ${version}, which ${failed} failed to reach earlier in this sync.`,
      });
      return;
    }
  }
}

export function resultText(result: RackSyncResult): string {
  switch (result.outcome) {
    case 'updated':
      return `updated ${result.from} → ${result.reached}`;
    case 'up-to-date':
      return result.detail ?? `up to date at ${result.reached ?? result.from ?? '?'}`;
    case 'failed':
      return `failed (exit ${result.exitCode}): ${result.detail}`;
    default:
      return `${result.outcome === 'skipped' ? 'skipped: ' : ''}${result.detail}`;
  }
}
