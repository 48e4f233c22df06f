import fc from 'fast-check';
import type { Release } from '../../../src/core/channels/catalog.js';
import { compareVersions } from '../../../src/core/versions.js';
import { release } from './fixtures.js';

/** Small versions, so that generated ones often meet: 0–3 majors, prereleases now and then. */
export const versionArb = fc
  .tuple(fc.nat(3), fc.nat(5), fc.nat(5), fc.option(fc.nat(2), { freq: 6 }))
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === null ? '' : `-rc.${pre}`}`);

const CLI_VERSIONS = ['0.1.0', '1.0.0', '2.0.0'];

const attributesArb = fc.record({
  barrier: fc.boolean(),
  yank: fc.oneof(
    { weight: 10, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant({ fixOffset: null }) },
    { weight: 4, arbitrary: fc.record({ fixOffset: fc.integer({ min: 1, max: 3 }) }) },
  ),
  minCli: fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...CLI_VERSIONS) },
  ),
});

/** Releases ascending, with barriers, yanks with and without a (later) fix, and minCli now and then. */
export const releasesArb: fc.Arbitrary<Release[]> = fc
  .uniqueArray(versionArb, { minLength: 2, maxLength: 40 })
  .map((versions) => versions.sort(compareVersions))
  .chain((versions) =>
    fc.array(attributesArb, { minLength: versions.length, maxLength: versions.length }).map((attributes) =>
      versions.map((version, index) => {
        const { barrier, yank, minCli } = attributes[index]!;
        const fixedIn = yank?.fixOffset == null ? undefined : versions[index + yank.fixOffset];
        return release(version, {
          barrier,
          ...(minCli ? { minCli } : {}),
          ...(yank
            ? { yanked: { reason: 'broken', at: '2025-01-01T00:00:00Z', ...(fixedIn ? { fixedIn } : {}) } }
            : {}),
        });
      }),
    ),
  );

/** A version from the list most of the time, any version otherwise. */
export const versionNear = (versions: readonly string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...versions) }, { weight: 1, arbitrary: versionArb });

export const cliVersionArb = fc.constantFrom(...CLI_VERSIONS);
