/**
 * Progressive rollout: a channel's `rollout:` sends each release through waves, one after the other, in
 * `rack sync`. Pure: which rack is in which wave, and which waves may start, from explicit facts (each
 * rack's version and stack phase, the progress kept in the state store, the time).
 *
 * Which racks a percentage picks is decided by a hash of the rack's StackId and the release's version: the
 * same racks go first for a release on every machine (the state store is shared, the registry too), and
 * another release orders the fleet anew, so that no rack is always the first to take the risk.
 */
import { formatDuration } from './channels/soak.js';
import { sha256 } from './digest.js';
import { type Labels, matchesSelector, type Selector } from './labels.js';
import { parseDuration, type RolloutFile } from './schemas.js';
import type { FileProblem } from './channels/yamlFile.js';
import type { StackPhase } from './stackStatus.js';
import { compareVersions } from './versions.js';

export interface Wave {
  name: string;
  selector?: Selector;
  percent?: number;
}

export interface Rollout {
  /** As written, e.g. "1h". */
  bake: string;
  bakeMs: number;
  waves: readonly Wave[];
}

export function rolloutOf(file: RolloutFile): Rollout {
  return {
    bake: file.bake,
    bakeMs: parseDuration(file.bake) ?? 0,
    waves: file.waves.map((wave) => ({
      name: wave.name,
      ...(wave.selector ? { selector: wave.selector } : {}),
      ...(wave.percent !== undefined ? { percent: wave.percent } : {}),
    })),
  };
}

/**
 * What the waves of one channel may not be, beyond each wave's shape: two waves of one name, a share that
 * shrinks from one wave to the next, and a last wave that leaves racks out (each rack must be in a wave).
 */
export function rolloutProblems(rollout: RolloutFile, at: readonly (string | number)[]): FileProblem[] {
  const problems: FileProblem[] = [];
  const names = new Map<string, number>();
  let percent = 0;
  rollout.waves.forEach((wave, index) => {
    const first = names.get(wave.name);
    if (first !== undefined) {
      problems.push({
        path: [...at, 'waves', index, 'name'],
        message: `the wave ${wave.name} is listed twice (also waves[${first}])`,
      });
    } else names.set(wave.name, index);
    if (wave.percent !== undefined) {
      if (wave.percent < percent) {
        problems.push({
          path: [...at, 'waves', index, 'percent'],
          message: `${wave.percent}% is less than the ${percent}% an earlier wave reached (percentages count the racks done so far)`,
        });
      }
      percent = Math.max(percent, wave.percent);
    }
  });
  const last = rollout.waves.at(-1);
  if (last && last.percent !== 100) {
    problems.push({
      path: [...at, 'waves', rollout.waves.length - 1],
      message: 'the last wave must be percent: 100, so that every rack of the channel is in a wave',
    });
  }
  return problems;
}

/** A rack as the rollout sees it: its name, its identity (StackId, else region/stack) and its labels. */
export interface RolloutMember {
  name: string;
  identity: string;
  labels?: Labels;
}

/** A rack's place for a release: the lower, the earlier. Hex of sha256(identity, version). */
function rolloutRank(identity: string, version: string): string {
  return sha256(`${identity}\n${version}`);
}

/** The racks in the order a release takes them (rank, then identity). */
export function rolloutOrder<T extends RolloutMember>(racks: readonly T[], version: string): T[] {
  const ranked = racks.map((rack) => ({ rack, rank: rolloutRank(rack.identity, version) }));
  ranked.sort((a, b) =>
    a.rank < b.rank
      ? -1
      : a.rank > b.rank
        ? 1
        : a.rack.identity < b.rack.identity
          ? -1
          : a.rack.identity > b.rack.identity
            ? 1
            : 0,
  );
  return ranked.map(({ rack }) => rack);
}

/**
 * Each wave's racks, in rollout order; every rack is in exactly one wave. A selector wave takes the racks
 * not yet placed whose labels match; a percent wave takes racks not yet placed, in rollout order, until
 * that share of the channel's racks is placed (rounded up), earlier waves included.
 */
export function assignWaves<T extends RolloutMember>(rollout: Rollout, racks: readonly T[], version: string): T[][] {
  const ordered = rolloutOrder(racks, version);
  const placed = new Set<T>();
  const waves: T[][] = [];
  for (const wave of rollout.waves) {
    const members: T[] = [];
    if (wave.selector) {
      for (const rack of ordered) {
        if (!placed.has(rack) && matchesSelector(rack.labels, wave.selector)) members.push(rack);
      }
    } else {
      const target = Math.ceil(((wave.percent ?? 100) * ordered.length) / 100);
      for (const rack of ordered) {
        if (placed.size + members.length >= target) break;
        if (!placed.has(rack)) members.push(rack);
      }
    }
    for (const rack of members) placed.add(rack);
    waves.push(members);
  }
  // A rollout that leaves racks out is refused when the channel is read; should one get here, the last wave takes them.
  const rest = ordered.filter((rack) => !placed.has(rack));
  if (rest.length > 0 && waves.length > 0) waves[waves.length - 1]!.push(...rest);
  return waves;
}

// ---- progress, as kept in the state store ----

export interface Halt {
  at: string;
  /** Who: a user (`rack rollout halt`) or `rack sync` on behalf of one. */
  by: string;
  reason: string;
  /** The rack whose failure halted the release, for an automatic halt. */
  rack?: string;
}

export interface RackFailure {
  at: string;
  reason: string;
}

export interface RolloutLogEntry {
  at: string;
  what: 'halted' | 'resumed' | 'wave-complete' | 'bake-restarted';
  by?: string;
  wave?: string;
  reason?: string;
}

export interface RolloutProgress {
  schema: 1;
  channel: string;
  version: string;
  /** When each wave's racks were first all on the release (its bake counts from there). */
  waves: Record<string, { bakeStartedAt?: string }>;
  halted?: Halt;
  /** Racks whose update to the release failed, by name; cleared by a resume or a later success. */
  failures: Record<string, RackFailure>;
  log: RolloutLogEntry[];
}

export function emptyProgress(channel: string, version: string): RolloutProgress {
  return { schema: 1, channel, version, waves: {}, failures: {}, log: [] };
}

// ---- where each rack and wave stands ----

/** What the rollout knows of one rack now. */
export interface RackFact extends RolloutMember {
  /** The stack's Version; undefined when unknown. */
  version?: string;
  phase?: StackPhase;
  /** Why the stack could not be read. */
  problem?: string;
  /** A known risk that keeps the rack off the release (it does not hold the waves after it). */
  risk?: string;
  /** An alarm of the rack in ALARM: the rack is not quiet, so its wave does not bake. */
  alarm?: string;
}

export type RackProgress = 'done' | 'failed' | 'updating' | 'waiting' | 'held' | 'unknown';

export interface RackView {
  name: string;
  progress: RackProgress;
  version?: string;
  /** Why it is failed, held or unknown; which alarm keeps a done rack from being quiet. */
  detail?: string;
}

export interface WaveView {
  name: string;
  selector?: Selector;
  percent?: number;
  racks: RackView[];
  counts: Record<RackProgress, number>;
  /** Every rack is on the release (or held by a known risk). */
  complete: boolean;
  /** Complete, and no rack of it has an alarm in ALARM. */
  quiet: boolean;
  bakeStartedAt?: string;
  /** How long the wave still bakes; 0 once baked; undefined before it is complete. */
  bakeLeftMs?: number;
  /** Complete, quiet and baked: the next wave may start. */
  baked: boolean;
  /** Its racks may be updated (every earlier wave is baked); false for every wave while the release is halted. */
  open: boolean;
}

export interface RolloutView {
  channel: string;
  version: string;
  bake: string;
  bakeMs: number;
  waves: WaveView[];
  halted?: Halt;
  /** The wave each rack is in, by name. */
  waveOf: ReadonlyMap<string, number>;
}

function rackProgress(fact: RackFact, version: string, failure?: RackFailure): RackView {
  const base = { name: fact.name, ...(fact.version ? { version: fact.version } : {}) };
  if (fact.problem) return { ...base, progress: 'unknown', detail: fact.problem };
  if (fact.phase === 'in-progress') return { ...base, progress: 'updating' };
  const onRelease = fact.version !== undefined && atOrPast(fact.version, version);
  // Settled on it: the last operation succeeded, or a later one was rolled back to it.
  if (onRelease && (fact.phase === 'complete' || fact.phase === 'rolled-back')) {
    return { ...base, progress: 'done', ...(fact.alarm ? { detail: `alarm ${fact.alarm} in ALARM` } : {}) };
  }
  if (failure) return { ...base, progress: 'failed', detail: failure.reason };
  if (fact.phase === 'rollback-failed' || fact.phase === 'create-failed' || fact.phase === 'delete-failed') {
    return { ...base, progress: 'failed', detail: `its stack is ${fact.phase}` };
  }
  if (fact.risk) return { ...base, progress: 'held', detail: fact.risk };
  return { ...base, progress: 'waiting' };
}

/** A version at or past the release; one that is not a version (a hand-made stack) is not. */
export function atOrPast(version: string, release: string): boolean {
  try {
    return compareVersions(version, release) >= 0;
  } catch {
    return false;
  }
}

export function rolloutView(input: {
  channel: string;
  rollout: Rollout;
  version: string;
  racks: readonly RackFact[];
  progress?: RolloutProgress;
  now: Date;
}): RolloutView {
  const { rollout, version, now } = input;
  const progress = input.progress?.version === version ? input.progress : undefined;
  const assigned = assignWaves(rollout, input.racks, version);
  const waveOf = new Map<string, number>();
  const waves: WaveView[] = [];
  const open = !progress?.halted;
  let reachable = true;
  rollout.waves.forEach((wave, index) => {
    const racks = assigned[index]!.map((fact) => {
      waveOf.set(fact.name, index);
      return rackProgress(fact, version, progress?.failures[fact.name]);
    });
    const counts: Record<RackProgress, number> = { done: 0, failed: 0, updating: 0, waiting: 0, held: 0, unknown: 0 };
    for (const rack of racks) counts[rack.progress] += 1;
    const complete = racks.every((rack) => rack.progress === 'done' || rack.progress === 'held');
    const quiet = complete && !racks.some((rack) => rack.progress === 'done' && rack.detail);
    const bakeStartedAt = progress?.waves[wave.name]?.bakeStartedAt;
    // Nothing to watch in a wave none of whose racks took the release (empty, or all held): no bake.
    const bakeLeftMs = !quiet
      ? undefined
      : counts.done === 0
        ? 0
        : Math.max(0, (bakeStartedAt ? Date.parse(bakeStartedAt) : now.getTime()) + rollout.bakeMs - now.getTime());
    const baked = quiet && bakeLeftMs === 0;
    waves.push({
      name: wave.name,
      ...(wave.selector ? { selector: wave.selector } : {}),
      ...(wave.percent !== undefined ? { percent: wave.percent } : {}),
      racks,
      counts,
      complete,
      quiet,
      ...(bakeStartedAt && quiet ? { bakeStartedAt } : {}),
      ...(bakeLeftMs !== undefined ? { bakeLeftMs } : {}),
      baked,
      open: open && reachable,
    });
    reachable &&= baked;
  });
  return {
    channel: input.channel,
    version,
    bake: rollout.bake,
    bakeMs: rollout.bakeMs,
    waves,
    ...(progress?.halted ? { halted: progress.halted } : {}),
    waveOf,
  };
}

/**
 * The progress to keep after looking at the racks: a wave that is complete and quiet starts baking now
 * (unless it already does); one that is not any more stops, so that its bake counts again from when it is.
 * Undefined when nothing changes.
 */
export function bakeChanges(view: RolloutView, progress: RolloutProgress, now: Date): RolloutProgress | undefined {
  let changed = false;
  const waves = { ...progress.waves };
  const log = [...progress.log];
  for (const wave of view.waves) {
    const started = waves[wave.name]?.bakeStartedAt;
    if (wave.quiet && wave.counts.done > 0 && !started) {
      waves[wave.name] = { bakeStartedAt: now.toISOString() };
      log.push({ at: now.toISOString(), what: 'wave-complete', wave: wave.name });
      changed = true;
    } else if (!wave.quiet && started) {
      waves[wave.name] = {};
      const why = wave.complete ? 'an alarm is in ALARM' : 'a rack is no longer on the release';
      log.push({ at: now.toISOString(), what: 'bake-restarted', wave: wave.name, reason: why });
      changed = true;
    }
  }
  return changed ? { ...progress, waves, log } : undefined;
}

/** Why a rack's wave is not open yet, in words: the first earlier wave that holds it. */
export function waitingFor(view: RolloutView, rack: string): string | undefined {
  const index = view.waveOf.get(rack);
  if (index === undefined) return undefined;
  if (view.halted) return `${view.version} is halted on ${view.channel}: ${view.halted.reason}`;
  if (view.waves[index]!.open) return undefined;
  const blocking = view.waves.slice(0, index).find((wave) => !wave.baked);
  if (!blocking) return undefined;
  const wave = view.waves[index]!.name;
  if (!blocking.complete) {
    const left = blocking.racks.filter((r) => r.progress !== 'done' && r.progress !== 'held').length;
    return `wave ${wave} waits for wave ${blocking.name} (${left} of ${blocking.racks.length} rack${blocking.racks.length === 1 ? '' : 's'} not on ${view.version} yet)`;
  }
  if (!blocking.quiet) return `wave ${wave} waits for wave ${blocking.name} to be quiet (an alarm is in ALARM)`;
  return `wave ${wave} waits for wave ${blocking.name} to bake (${formatDuration(blocking.bakeLeftMs ?? view.bakeMs, { maxParts: 2 })} left)`;
}

/**
 * A wave's state in words, as `rack rollout status`, `rack sync` and the dashboard show it. A wave is baked
 * when it is quiet with no bake left, so `bakeLeftMs` tells baking from done.
 */
export function waveState(wave: Pick<WaveView, 'complete' | 'quiet' | 'bakeLeftMs' | 'open'>): string {
  if (wave.complete && !wave.quiet) return 'not quiet: an alarm is in ALARM';
  if (wave.complete) {
    return wave.bakeLeftMs ? `baking, ${formatDuration(wave.bakeLeftMs, { maxParts: 2 })} left` : 'done';
  }
  if (wave.open) return 'in progress';
  return 'waiting';
}

/** The racks of a wave not on the release yet that nothing holds: updating and unreadable ones wait too. */
export const waitingCount = (counts: WaveView['counts']): number => counts.waiting + counts.updating + counts.unknown;
