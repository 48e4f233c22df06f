import { internalError, refused } from '../errors.js';
import { fixFor, type Catalog, type Release } from './channels/catalog.js';
import { channelTarget, type Channel } from './channels/channel.js';
import { compareVersions, isVersion, parseVersion } from './versions.js';

/**
 * The upgrade path of docs/architecture.md: from the rack's version to a target, the non-yanked barriers
 * strictly between them in ascending order, then the target; a yanked barrier is replaced by its fix. Also
 * the release a new rack is installed at (the same target rules, no path), the rollback target rule and the
 * warning for a rack on a yanked release.
 *
 * Decisions beyond the architecture's words:
 * - Barriers come from the whole catalog, not only the channel: a barrier is a property of the release (the
 *   releases after it rely on what it did), so a stable rack crosses an unstable-only barrier by stopping at it.
 * - A yanked barrier's fix follows `fixedIn` through further yanks. The path is refused when that fix is
 *   beyond the target (the rack would skip the barrier's stop), or beyond the next barrier on the way (one
 *   of the two stops would be skipped) unless both barriers share that fix, which then stands for both.
 * - When a channel is given with a named version, the version must be in that channel.
 */

export type PathRefusal =
  | 'invalid-version'
  | 'unknown-version'
  | 'not-in-channel'
  | 'no-target'
  | 'downgrade'
  | 'not-a-rollback'
  | 'no-rollback-target'
  | 'yanked-target'
  | 'yanked-barrier'
  | 'min-cli';

export interface UpgradePathInput {
  catalog: Catalog;
  /** The channel the rack follows; its target is used when `to` is not given. */
  channel?: Channel;
  /** The rack's current version (its stack's Version parameter). It need not be in the catalog. */
  from: string;
  /** A version the user named (--version). */
  to?: string;
  /** This rack CLI's own version, checked against each hop's minCli. */
  cliVersion: string;
}

/** What a refusal says was left as it was: a path refuses before the stack is written, an install before it exists. */
const NOTHING_WRITTEN = 'Nothing was written to the stack.';
const NOTHING_CREATED = 'Nothing was created.';

export interface UpgradePath {
  from: string;
  target: Release;
  /** One CloudFormation update each, ascending, ending at the target; empty when the rack is already there. */
  hops: Release[];
}

export function upgradePath(input: UpgradePathInput): UpgradePath {
  const from = currentVersion(input.from);
  const target = updateTarget(input, NOTHING_WRITTEN);
  const order = compareVersions(target.version, from);
  if (order === 0) return { from, target, hops: [] };
  if (order < 0) {
    throw refusal('downgrade', `${target.version} is older than the rack's ${from}, and an update never goes down.`, {
      untouched: NOTHING_WRITTEN,
      next: `Run \`rack rollback --to ${target.version}\` to go back.`,
      details: { from, target: target.version },
    });
  }
  if (target.yanked) throw yankedTarget(input.catalog, target, NOTHING_WRITTEN);
  const hops = [...barrierStops(input.catalog, from, target)];
  if (hops.at(-1)?.version !== target.version) hops.push(target);
  checkMinCli(hops, input.cliVersion, NOTHING_WRITTEN);
  return { from, target, hops };
}

/**
 * The channel's target, or the named version: known, and in the channel when one is given. `channel` is
 * undefined when a version was named without a channel: it is then looked up in the catalog alone.
 */
function updateTarget(input: Pick<UpgradePathInput, 'catalog' | 'channel' | 'to'>, untouched: string): Release {
  const { catalog, channel } = input;
  if (input.to === undefined) {
    if (!channel) throw internalError('An upgrade path needs a channel or a version.');
    const target = channelTarget(catalog, channel);
    if (!target) {
      throw refusal('no-target', `The channel ${channel.name} has no release that is not yanked.`, {
        untouched,
        next: 'Name a release with --version, or follow another channel with --channel.',
        details: { channel: channel.name },
      });
    }
    return target;
  }
  const target = knownRelease(catalog, parseVersion(input.to), untouched);
  if (channel && !channel.get(target.version)) {
    throw refusal('not-in-channel', `${target.version} is not in the channel ${channel.name}.`, {
      untouched,
      next: `See \`rack releases --channel ${channel.name}\`, or name the version without --channel.`,
      details: { target: target.version, channel: channel.name },
    });
  }
  return target;
}

/** The stops the barriers between `from` and `target` impose, ascending; each one a release that is not yanked. */
function barrierStops(catalog: Catalog, from: string, target: Release): Release[] {
  const stops: Release[] = [];
  for (const barrier of catalog.barriersBetween(from, target.version)) {
    const stop = fixFor(catalog, barrier);
    const previous = stops.at(-1);
    if (stop && stop.version === previous?.version) continue;
    if (!stop) {
      throw refusal(
        'yanked-barrier',
        `The barrier ${barrier.version} is yanked (${barrier.yanked!.reason}) and no fixed release is published.`,
        {
          untouched: NOTHING_WRITTEN,
          next: 'Wait for a fixed release, then update again.',
          details: { barrier: barrier.version },
        },
      );
    }
    if (compareVersions(stop.version, target.version) > 0) {
      throw refusal(
        'yanked-barrier',
        `The barrier ${barrier.version} is yanked and fixed in ${stop.version}, which is beyond the target ${target.version}.`,
        {
          untouched: NOTHING_WRITTEN,
          next: `Update to ${stop.version} or later, e.g. \`rack update --version ${stop.version}\`.`,
          details: { barrier: barrier.version, fixedIn: stop.version },
        },
      );
    }
    if (previous && compareVersions(previous.version, barrier.version) > 0) {
      throw refusal(
        'yanked-barrier',
        `The fix ${previous.version} of a yanked barrier lies beyond the barrier ${barrier.version}, so one of the two stops would be skipped.`,
        {
          untouched: NOTHING_WRITTEN,
          next: 'Publish a fix below that barrier, or yank it with the same fix.',
          details: { barrier: barrier.version, fixedIn: previous.version },
        },
      );
    }
    stops.push(stop);
  }
  return stops;
}

function checkMinCli(hops: readonly Release[], cliVersion: string, untouched: string, subject = 'This path'): void {
  const tooNew = hops.filter((hop) => hop.minCli !== undefined && compareVersions(hop.minCli, cliVersion) > 0);
  if (tooNew.length === 0) return;
  const needed = tooNew.map((hop) => hop.minCli!).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
  throw refusal('min-cli', `${subject} needs rack ${needed} or later; this is rack ${cliVersion}.`, {
    untouched,
    problems: tooNew.map((hop) => `${hop.version} needs rack ${hop.minCli} or later`),
    next: `Update rack to ${needed} or later, then run the command again.`,
    details: { minCli: needed, cliVersion },
  });
}

// ---- install ----

export interface InstallTargetInput {
  catalog: Catalog;
  /** The channel the new rack will follow. */
  channel: Channel;
  /** A version the user named (--version). */
  version?: string;
  /** The channel was named (--channel): a named version must then be in it. */
  channelNamed: boolean;
  cliVersion: string;
}

export interface InstallTarget {
  release: Release;
  /** A named version outside the channel the rack will follow. */
  warnings: string[];
}

/**
 * The release a new rack is installed at, by an update's rules with no path to cross: the channel's
 * target, or the named version (known; in the channel when one was named; not yanked; not needing a newer
 * rack). A version named without a channel may lie outside the one the rack will follow: that is said,
 * not refused.
 */
export function installTarget(input: InstallTargetInput): InstallTarget {
  const { catalog, channel, version } = input;
  const named = version !== undefined && !input.channelNamed;
  const release = updateTarget({ catalog, channel: named ? undefined : channel, to: version }, NOTHING_CREATED);
  if (release.yanked) throw yankedTarget(catalog, release, NOTHING_CREATED);
  checkMinCli([release], input.cliVersion, NOTHING_CREATED, release.version);
  const warnings =
    named && !channel.get(release.version)
      ? [
          `${release.version} is not in ${channel.name}, the channel the rack will follow; pass --channel to follow one that has it.`,
        ]
      : [];
  return { release, warnings };
}

// ---- rollback ----

export interface RollbackInput {
  catalog: Catalog;
  /** Versions reached by the rack's successful hops, oldest first, starting with the version it was installed at. */
  successfulHops: readonly string[];
  current: string;
  /** A version the user named (--to). */
  to?: string;
  cliVersion: string;
}

export interface RollbackTarget {
  target: Release;
  /** Earlier hops passed over on the way back to the default target, and why. */
  skipped: { version: string; why: 'yanked' | 'unknown' }[];
}

/**
 * Where `rack rollback` goes, in one hop: the named version, or by default the release before the current
 * one among the rack's successful hops, passing over yanked ones and ones the catalog no longer has.
 * Naming the version the rack runs is nothing to do (`already-there`), so that the same command is safe again.
 */
export function rollbackTarget(input: RollbackInput): RollbackTarget | 'already-there' {
  const current = currentVersion(input.current);
  if (input.to === current) return 'already-there';
  const result =
    input.to === undefined
      ? previousHop(input.catalog, input.successfulHops, current)
      : { target: namedRollback(input.catalog, parseVersion(input.to), current), skipped: [] };
  checkMinCli([result.target], input.cliVersion, NOTHING_WRITTEN);
  return result;
}

function namedRollback(catalog: Catalog, to: string, current: string): Release {
  const target = knownRelease(catalog, to, NOTHING_WRITTEN);
  if (compareVersions(to, current) > 0) {
    throw refusal('not-a-rollback', `${to} is newer than the rack's ${current}.`, {
      untouched: NOTHING_WRITTEN,
      next: `Run \`rack update --version ${to}\` to go up.`,
      details: { current, target: to },
    });
  }
  if (target.yanked) throw yankedTarget(catalog, target, NOTHING_WRITTEN);
  return target;
}

function previousHop(catalog: Catalog, hops: readonly string[], current: string): RollbackTarget {
  const skipped: RollbackTarget['skipped'] = [];
  for (let index = hops.length - 1; index >= 0; index--) {
    const version = hops[index]!;
    if (!isVersion(version) || compareVersions(version, current) >= 0) continue;
    const release = catalog.get(version);
    if (release && !release.yanked) return { target: release, skipped };
    if (!skipped.some((entry) => entry.version === version)) {
      skipped.push({ version, why: release ? 'yanked' : 'unknown' });
    }
  }
  throw refusal('no-rollback-target', `The rack has no earlier release to go back to before ${current}.`, {
    untouched: NOTHING_WRITTEN,
    problems: skipped.map((entry) => `${entry.version} is ${entry.why === 'yanked' ? 'yanked' : 'not in the catalog'}`),
    next: 'Name a release with `rack rollback --to <version>`.',
    details: { current },
  });
}

// ---- yanks ----

/** The warning shown for a rack on a yanked release, naming the release to move to; null when not yanked. */
export function yankedWarning(catalog: Catalog, version: string): string | null {
  const release = catalog.get(version);
  if (!release?.yanked) return null;
  const fix = fixFor(catalog, release);
  const advice = fix ? `update to ${fix.version}` : 'no fixed release is published yet';
  return `${version} is yanked: ${release.yanked.reason}; ${advice}.`;
}

function yankedTarget(catalog: Catalog, target: Release, untouched: string) {
  const fix = fixFor(catalog, target);
  return refusal('yanked-target', `${target.version} is yanked: ${target.yanked!.reason}.`, {
    untouched,
    next: fix ? `Use ${fix.version} instead, which fixes it.` : 'Choose another release (see `rack releases`).',
    details: { target: target.version, ...(fix ? { fixedIn: fix.version } : {}) },
  });
}

// ---- shared ----

function currentVersion(version: string): string {
  if (isVersion(version)) return version;
  throw refusal('invalid-version', `The rack's version ${JSON.stringify(version)} is not a semver version.`, {
    untouched: NOTHING_WRITTEN,
    next: "Check the stack's Version parameter; `rack status` shows it.",
    details: { current: version },
  });
}

function knownRelease(catalog: Catalog, version: string, untouched: string): Release {
  const release = catalog.get(version);
  if (release) return release;
  throw refusal('unknown-version', `${version} is not a release of the catalog.`, {
    untouched,
    next: 'See `rack releases` for the releases there are.',
    details: { target: version },
  });
}

function refusal(
  reason: PathRefusal,
  message: string,
  options: { untouched: string; next: string; problems?: string[]; details: Record<string, unknown> },
) {
  return refused(message, {
    untouched: options.untouched,
    next: options.next,
    ...(options.problems ? { problems: options.problems } : {}),
    details: { reason, ...options.details },
  });
}
