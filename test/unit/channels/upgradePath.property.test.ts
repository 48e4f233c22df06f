import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCatalog, type Release } from '../../../src/core/channels/catalog.js';
import { channelTarget } from '../../../src/core/channels/channel.js';
import { upgradePath, type PathRefusal } from '../../../src/core/upgradePath.js';
import { compareVersions } from '../../../src/core/versions.js';
import { isRackError } from '../../../src/errors.js';
import { cliVersionArb, releasesArb, versionNear } from './arbitraries.js';
import { channelOf } from './fixtures.js';

const scenarioArb = releasesArb.chain((releases) => {
  const versions = releases.map((r) => r.version);
  // Mostly upward moves between two catalog versions, so that most cases have a path to check.
  const ends = fc
    .tuple(versionNear(versions), fc.constantFrom(...versions), fc.boolean(), fc.nat(4))
    .map(([a, b, swap, upward]) =>
      (upward > 0 && compareVersions(a, b) > 0) || (swap && upward === 0) ? [b, a] : [a, b],
    );
  return fc
    .record({ releases: fc.constant(releases), ends, cliVersion: cliVersionArb })
    .map(({ ends: [from, to], ...rest }) => ({ ...rest, from: from!, to: to! }));
});

/**
 * The rules written out plainly over the release list, as a model to hold the implementation to: the reason
 * a path is refused, or null when it is not.
 */
function expectedRefusal(releases: readonly Release[], from: string, to: string, cli: string): PathRefusal | null {
  const find = (version: string) => releases.find((r) => r.version === version);
  const target = find(to);
  if (!target) return 'unknown-version';
  if (compareVersions(to, from) === 0) return null;
  if (compareVersions(to, from) < 0) return 'downgrade';
  if (target.yanked) return 'yanked-target';
  const fixOf = (r: Release | undefined): Release | undefined =>
    r?.yanked ? fixOf(r.yanked.fixedIn === undefined ? undefined : find(r.yanked.fixedIn)) : r;
  const barriers = releases.filter(
    (r) => r.barrier && compareVersions(r.version, from) > 0 && compareVersions(r.version, to) < 0,
  );
  const stops = barriers.map(fixOf);
  for (const [index, stop] of stops.entries()) {
    if (!stop || compareVersions(stop.version, to) > 0) return 'yanked-barrier';
    const next = barriers[index + 1];
    if (next && compareVersions(stop.version, next.version) > 0 && stops[index + 1] !== stop) return 'yanked-barrier';
  }
  const hops = [...stops, target];
  if (hops.some((hop) => hop!.minCli !== undefined && compareVersions(hop!.minCli, cli) > 0)) return 'min-cli';
  return null;
}

function attempt(run: () => Release[]): { hops: Release[] } | { reason: unknown; exitCode: number } {
  try {
    return { hops: run() };
  } catch (error) {
    if (!isRackError(error)) throw error;
    return { reason: error.details?.reason, exitCode: error.exitCode };
  }
}

/** The four properties of a path the issue asks for, and that nothing else is on it. */
function checkPath(releases: readonly Release[], hops: readonly Release[], from: string, to: string, cli: string) {
  const inRange = (v: string) => compareVersions(v, from) > 0 && compareVersions(v, to) < 0;
  for (let i = 1; i < hops.length; i++) expect(compareVersions(hops[i - 1]!.version, hops[i]!.version)).toBeLessThan(0);
  for (const hop of hops) {
    expect(hop.yanked).toBeUndefined();
    expect(compareVersions(hop.version, from)).toBeGreaterThan(0);
    if (hop.minCli) expect(compareVersions(hop.minCli, cli)).toBeLessThanOrEqual(0);
  }
  const versions = hops.map((hop) => hop.version);
  for (const barrier of releases.filter((r) => r.barrier && !r.yanked && inRange(r.version))) {
    expect(versions).toContain(barrier.version);
  }
  if (compareVersions(to, from) === 0) expect(hops).toEqual([]);
  else expect(versions.at(-1)).toBe(to);
  // Every stop before the target is a barrier in range or stands in for a yanked one.
  for (const hop of hops.slice(0, -1)) {
    const standsFor = releases.some(
      (r) => r.barrier && inRange(r.version) && compareVersions(r.version, hop.version) <= 0,
    );
    expect(standsFor).toBe(true);
  }
}

describe('upgrade paths over generated catalogs', () => {
  it('ascend strictly, stop at every barrier in between, skip yanked releases and end at the target; refusals carry the right reason', () => {
    fc.assert(
      fc.property(scenarioArb, ({ releases, from, to, cliVersion }) => {
        const catalog = createCatalog(releases);
        const result = attempt(() => upgradePath({ catalog, from, to, cliVersion }).hops);
        const expected = expectedRefusal(catalog.releases, from, to, cliVersion);
        if ('hops' in result) {
          expect(expected).toBeNull();
          checkPath(catalog.releases, result.hops, from, to, cliVersion);
        } else {
          expect(result.exitCode).toBe(3);
          expect(result.reason).toBe(expected);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('go to the channel target, the newest release of the channel that is not yanked', () => {
    const withChannel = scenarioArb.chain((scenario) =>
      fc.record({
        scenario: fc.constant(scenario),
        members: fc.subarray(scenario.releases.map((r) => r.version)),
      }),
    );
    fc.assert(
      fc.property(withChannel, ({ scenario: { releases, from, cliVersion }, members }) => {
        const catalog = createCatalog(releases);
        const channel = channelOf('stable', members);
        const target = channelTarget(catalog, channel);
        const result = attempt(() => upgradePath({ catalog, channel, from, cliVersion }).hops);
        if (!target) {
          expect(result).toEqual({ reason: 'no-target', exitCode: 3 });
          return;
        }
        expect(target.yanked).toBeUndefined();
        expect(members).toContain(target.version);
        const newerMembers = members.filter((v) => compareVersions(v, target.version) > 0);
        for (const version of newerMembers) expect(catalog.get(version)?.yanked).toBeDefined();
        const expected = expectedRefusal(catalog.releases, from, target.version, cliVersion);
        if ('hops' in result) checkPath(catalog.releases, result.hops, from, target.version, cliVersion);
        else expect(result.reason).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('cross the whole catalog: every barrier, yanked ones replaced by their fixes', () => {
    fc.assert(
      fc.property(releasesArb, (releases) => {
        const catalog = createCatalog(releases);
        const target = [...catalog.releases].reverse().find((r) => !r.yanked);
        fc.pre(target !== undefined);
        const from = '0.0.0-0';
        const result = attempt(() => upgradePath({ catalog, from, to: target!.version, cliVersion: '2.0.0' }).hops);
        const expected = expectedRefusal(catalog.releases, from, target!.version, '2.0.0');
        if ('reason' in result) {
          expect(result.reason).toBe(expected);
          return;
        }
        expect(expected).toBeNull();
        checkPath(catalog.releases, result.hops, from, target!.version, '2.0.0');
        const versions = result.hops.map((hop) => hop.version);
        for (const barrier of catalog.releases.filter(
          (r) => r.barrier && r.yanked && compareVersions(r.version, target!.version) < 0,
        )) {
          expect(versions.some((v) => compareVersions(v, barrier.version) > 0)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
