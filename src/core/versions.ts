import semver, { type SemVer } from 'semver';
import { usageError } from '../errors.js';

/**
 * Release versions are strict semver written in their canonical form ("1.2.3", "1.3.0-rc.1"): no "v" prefix,
 * no spaces and no build metadata. Canonical text means a version string can be compared and looked up as
 * is; build metadata is refused because semver ignores it when ordering, so "1.2.3+a" and "1.2.3+b" would be
 * two releases that are neither older nor newer than each other.
 */

/** Why `text` is not a release version, or null when it is one. The wording fits after "<path>: ". */
export function versionProblem(text: unknown): string | null {
  const read = readVersion(text);
  return typeof read === 'string' ? read : null;
}

/** The parsed version, or why `text` is not a release version. */
export function readVersion(text: unknown): SemVer | string {
  if (text === undefined) return 'missing (expected a semver version)';
  if (typeof text !== 'string') {
    const hint = typeof text === 'number' ? ' (quote it: YAML reads 1.2 as a number)' : '';
    return `expected a semver version, got ${describe(text)}${hint}`;
  }
  const parsed = semver.parse(text);
  if (parsed === null) return `expected a semver version, got ${JSON.stringify(text)}`;
  if (parsed.build.length > 0) {
    return `expected a semver version without build metadata, got ${JSON.stringify(text)}`;
  }
  if (parsed.version !== text) {
    return `expected a semver version written as ${JSON.stringify(parsed.version)}, got ${JSON.stringify(text)}`;
  }
  return parsed;
}

export function isVersion(text: unknown): text is string {
  return versionProblem(text) === null;
}

/**
 * A version typed by the user. Throws a usage error (exit 2): a malformed version is a command that cannot
 * run as typed, whereas a well-formed version the catalog does not know is a refusal decided elsewhere.
 */
export function parseVersion(text: string, what = 'version'): string {
  const problem = versionProblem(text);
  if (problem !== null) {
    throw usageError(`The ${what} is not valid: ${problem}.`, {
      next: 'Give a version like 1.4.0 (see `rack releases`).',
      details: { reason: 'invalid-version', value: text },
    });
  }
  return text;
}

/** semver precedence: negative when a is older than b, 0 when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

/** The same order as `compareVersions`, on parsed versions; fast enough to sort tens of thousands. */
export function compareParsed(a: SemVer, b: SemVer): number {
  const main = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (main !== 0) return main;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  return a.comparePre(b);
}

export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort(compareVersions);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
