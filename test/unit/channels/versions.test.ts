import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import {
  compareParsed,
  compareVersions,
  isVersion,
  parseVersion,
  sortVersions,
  versionProblem,
} from '../../../src/core/versions.js';
import { versionArb } from './arbitraries.js';
import { errorOf } from './fixtures.js';

describe('release versions', () => {
  it.each(['1.2.3', '0.0.1', '10.20.30', '1.3.0-rc.1', '1.0.0-alpha.beta'])(
    'accepts the canonical semver %s',
    (text) => {
      expect(isVersion(text)).toBe(true);
      expect(parseVersion(text)).toBe(text);
    },
  );

  it.each([
    ['1.2', 'expected a semver version, got "1.2"'],
    ['v1.2.3', 'expected a semver version written as "1.2.3", got "v1.2.3"'],
    [' 1.2.3', 'expected a semver version written as "1.2.3", got " 1.2.3"'],
    ['01.2.3', 'expected a semver version, got "01.2.3"'],
    ['1.2.3+build.5', 'expected a semver version without build metadata, got "1.2.3+build.5"'],
    ['latest', 'expected a semver version, got "latest"'],
  ])('rejects %j with a clear message', (text, message) => {
    expect(versionProblem(text)).toBe(message);
  });

  it('explains that YAML reads an unquoted 1.2 as a number', () => {
    expect(versionProblem(1.2)).toBe('expected a semver version, got 1.2 (quote it: YAML reads 1.2 as a number)');
    expect(versionProblem(undefined)).toBe('missing (expected a semver version)');
  });

  it('treats a malformed version typed by the user as a usage error (exit 2)', () => {
    const error = errorOf(() => parseVersion('1.2', '--version'));
    expect(error.kind).toBe('usage');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('The --version is not valid: expected a semver version, got "1.2".');
  });

  it('orders by semver precedence, not by text', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0-rc.2', '1.0.0-rc.10')).toBeLessThan(0);
    expect(compareVersions('2.0.0', '2.0.0')).toBe(0);
    expect(sortVersions(['1.10.0', '1.2.0', '1.0.0-rc.1', '1.0.0'])).toEqual([
      '1.0.0-rc.1',
      '1.0.0',
      '1.2.0',
      '1.10.0',
    ]);
  });

  it('compares parsed versions exactly as semver does', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        expect(Math.sign(compareParsed(semver.parse(a)!, semver.parse(b)!))).toBe(semver.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});
