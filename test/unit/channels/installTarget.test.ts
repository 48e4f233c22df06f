/**
 * The release a new rack is installed at: an update's target rules (and words), with no path to cross, and
 * "Nothing was created." as what was left untouched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCatalog, type Release } from '../../../src/core/channels/catalog.js';
import { channelTarget } from '../../../src/core/channels/channel.js';
import { installTarget, upgradePath, type InstallTargetInput } from '../../../src/core/upgradePath.js';
import { compareVersions, isVersion } from '../../../src/core/versions.js';
import { isRackError } from '../../../src/errors.js';
import { cliVersionArb, releasesArb, versionNear } from './arbitraries.js';
import { barrier, catalogOf, channelOf, errorOf, release, yank } from './fixtures.js';

const CLI = '1.0.0';
const catalog = catalogOf(
  release('1.0.0'),
  barrier('1.1.0'),
  release('1.2.0', { yanked: yank('1.2.1') }),
  release('1.2.1'),
  release('1.3.0', { yanked: { reason: 'data loss', at: '2025-02-01T00:00:00Z' } }),
  release('1.4.0', { minCli: '2.0.0' }),
);
const stable = channelOf('stable', ['1.0.0', '1.1.0', '1.2.0', '1.2.1']);
const target = (input: Partial<InstallTargetInput>) =>
  installTarget({ catalog, channel: stable, channelNamed: false, cliVersion: CLI, ...input });

describe('the install target', () => {
  it("is the channel's target when no version is named", () => {
    expect(target({})).toEqual({ release: catalog.get('1.2.1'), warnings: [] });
    expect(target({ channelNamed: true })).toEqual({ release: catalog.get('1.2.1'), warnings: [] });
  });

  it('is the named version, found in the catalog when no channel is named, with a warning when the channel lacks it', () => {
    expect(target({ version: '1.1.0' })).toEqual({ release: catalog.get('1.1.0'), warnings: [] });
    expect(target({ version: '1.4.0', cliVersion: '2.0.0' })).toEqual({
      release: catalog.get('1.4.0'),
      warnings: ['1.4.0 is not in stable, the channel the rack will follow; pass --channel to follow one that has it.'],
    });
  });

  it('refuses a named version outside a named channel', () => {
    const error = errorOf(() => target({ version: '1.4.0', channelNamed: true, cliVersion: '2.0.0' }));
    expect(error.message).toBe('1.4.0 is not in the channel stable.');
    expect(error.untouched).toBe('Nothing was created.');
    expect(error.next).toBe('See `rack releases --channel stable`, or name the version without --channel.');
    expect(error.details).toEqual({ reason: 'not-in-channel', target: '1.4.0', channel: 'stable' });
  });

  it('refuses a yanked release in the words of an update, naming its fix', () => {
    const error = errorOf(() => target({ version: '1.2.0' }));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('1.2.0 is yanked: it breaks.');
    expect(error.next).toBe('Use 1.2.1 instead, which fixes it.');
    expect(error.untouched).toBe('Nothing was created.');
    expect(error.details).toEqual({ reason: 'yanked-target', target: '1.2.0', fixedIn: '1.2.1' });
    expect(errorOf(() => target({ version: '1.3.0' })).details).toEqual({ reason: 'yanked-target', target: '1.3.0' });
  });

  it('refuses an unknown version (exit 3) and a malformed one (exit 2)', () => {
    const unknown = errorOf(() => target({ version: '7.0.0' }));
    expect(unknown.message).toBe('7.0.0 is not a release of the catalog.');
    expect(unknown.exitCode).toBe(3);
    expect(unknown.untouched).toBe('Nothing was created.');
    const malformed = errorOf(() => target({ version: 'v1.0.0' }));
    expect(malformed.exitCode).toBe(2);
    expect(malformed.details?.reason).toBe('invalid-version');
  });

  it('refuses a release that needs a newer rack, naming it', () => {
    const error = errorOf(() => target({ version: '1.4.0', cliVersion: '1.9.9' }));
    expect(error.message).toBe('1.4.0 needs rack 2.0.0 or later; this is rack 1.9.9.');
    expect(error.details).toEqual({ reason: 'min-cli', minCli: '2.0.0', cliVersion: '1.9.9' });
  });

  it('refuses a channel without a release that is not yanked', () => {
    const error = errorOf(() => target({ channel: channelOf('broken', ['1.3.0']) }));
    expect(error.message).toBe('The channel broken has no release that is not yanked.');
    expect(error.untouched).toBe('Nothing was created.');
    expect(error.details).toEqual({ reason: 'no-target', channel: 'broken' });
  });
});

type Attempt = { release: Release; warnings: string[] } | { reason: unknown; exitCode: number };

function attempt(run: () => { release: Release; warnings: string[] }): Attempt {
  try {
    return run();
  } catch (error) {
    if (!isRackError(error)) throw error;
    return { reason: error.details?.reason, exitCode: error.exitCode };
  }
}

const scenarioArb = releasesArb.chain((releases) => {
  const versions = releases.map((r) => r.version);
  return fc.record({
    releases: fc.constant(releases),
    members: fc.subarray(versions),
    version: fc.option(
      fc.oneof({ weight: 8, arbitrary: versionNear(versions) }, { weight: 1, arbitrary: fc.string() }),
    ),
    channelNamed: fc.boolean(),
    cliVersion: cliVersionArb,
  });
});

describe('install targets over generated catalogs', () => {
  it('follow the rules written out plainly: known, in the named channel, not yanked, minCli met', () => {
    fc.assert(
      fc.property(scenarioArb, ({ releases, members, version, channelNamed, cliVersion }) => {
        const catalog = createCatalog(releases);
        const channel = channelOf('stable', members);
        const result = attempt(() =>
          installTarget({ catalog, channel, version: version ?? undefined, channelNamed, cliVersion }),
        );
        const chosen = version === null ? channelTarget(catalog, channel) : catalog.get(version);
        const expected =
          version !== null && !isVersion(version)
            ? 'invalid-version'
            : version === null && !chosen
              ? 'no-target'
              : !chosen
                ? 'unknown-version'
                : version !== null && channelNamed && !members.includes(chosen.version)
                  ? 'not-in-channel'
                  : chosen.yanked
                    ? 'yanked-target'
                    : chosen.minCli && compareVersions(chosen.minCli, cliVersion) > 0
                      ? 'min-cli'
                      : null;
        if ('release' in result) {
          expect(expected).toBeNull();
          expect(result.release).toBe(chosen);
          const outside = version !== null && !channelNamed && !members.includes(result.release.version);
          expect(result.warnings).toHaveLength(outside ? 1 : 0);
        } else {
          expect(result.reason).toBe(expected);
          expect(result.exitCode).toBe(expected === 'invalid-version' ? 2 : 3);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('are the target an update from below every release would reach, refused for the same reasons', () => {
    fc.assert(
      fc.property(scenarioArb, ({ releases, members, version, channelNamed, cliVersion }) => {
        fc.pre(version === null || isVersion(version));
        const catalog = createCatalog(releases);
        const channel = channelOf('stable', members);
        const to = version ?? undefined;
        const install = attempt(() => installTarget({ catalog, channel, version: to, channelNamed, cliVersion }));
        const update = attempt(() => {
          const path = upgradePath({
            catalog,
            // As `rack update` and `rack install` both do: a version named alone is looked up in the catalog.
            channel: to !== undefined && !channelNamed ? undefined : channel,
            from: '0.0.0-0',
            to,
            cliVersion,
          });
          return { release: path.target, warnings: [] };
        });
        if ('release' in install) {
          // The path may still be refused on the way: a yanked barrier, a barrier needing a newer rack.
          if ('release' in update) expect(update.release).toBe(install.release);
          else expect(['yanked-barrier', 'min-cli']).toContain(update.reason);
        } else if (install.reason !== 'min-cli') {
          expect(update).toEqual(install);
        } else {
          expect(['yanked-barrier', 'min-cli']).toContain('reason' in update ? update.reason : null);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
