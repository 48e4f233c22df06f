import { describe, expect, it } from 'vitest';
import { rollbackTarget, yankedWarning, type RollbackInput } from '../../../src/core/upgradePath.js';
import { barrier, catalogOf, errorOf, reasonOf, release, yank } from './fixtures.js';

const catalog = catalogOf(
  release('1.0.0'),
  release('1.1.0'),
  barrier('1.2.0'),
  release('1.3.0'),
  release('1.4.0', { yanked: yank('1.4.1') }),
  release('1.4.1'),
  release('1.5.0', { minCli: '3.0.0' }),
  release('1.6.0'),
);
const chosen = (input: Partial<RollbackInput> & Pick<RollbackInput, 'current'>) =>
  rollbackTarget({ catalog, successfulHops: [], cliVersion: '1.0.0', ...input });
const rollback = (input: Partial<RollbackInput> & Pick<RollbackInput, 'current'>) => {
  const result = chosen(input);
  if (result === 'already-there') throw new Error('expected a rollback target');
  return result;
};

describe('the rollback target', () => {
  it("is by default the release before the current one among the rack's successful hops", () => {
    const result = rollback({ successfulHops: ['1.0.0', '1.1.0', '1.3.0'], current: '1.3.0' });
    expect(result.target.version).toBe('1.1.0');
    expect(result.skipped).toEqual([]);
  });

  it('goes back in one hop, across barriers', () => {
    expect(rollback({ successfulHops: ['1.1.0', '1.2.0', '1.3.0'], current: '1.3.0' }).target.version).toBe('1.2.0');
    expect(rollback({ successfulHops: ['1.1.0', '1.3.0'], current: '1.3.0' }).target.version).toBe('1.1.0');
  });

  it('skips yanked hops and hops the catalog no longer has, and says so', () => {
    const result = rollback({ successfulHops: ['1.0.0', '1.1.0', '1.3.5', '1.4.0', '1.4.1'], current: '1.4.1' });
    expect(result.target.version).toBe('1.1.0');
    expect(result.skipped).toEqual([
      { version: '1.4.0', why: 'yanked' },
      { version: '1.3.5', why: 'unknown' },
    ]);
  });

  it('looks only at hops older than the current version, most recent first', () => {
    // A rack that went 1.0.0 → 1.3.0 → 1.6.0, was rolled back to 1.3.0, and is rolled back again.
    expect(rollback({ successfulHops: ['1.0.0', '1.3.0', '1.6.0', '1.3.0'], current: '1.3.0' }).target.version).toBe(
      '1.0.0',
    );
  });

  it('is refused when there is no earlier release to go back to', () => {
    const error = errorOf(() => rollback({ successfulHops: ['1.3.0'], current: '1.3.0' }));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('The rack has no earlier release to go back to before 1.3.0.');
    expect(error.next).toBe('Name a release with `rack rollback --to <version>`.');
    expect(error.details).toEqual({ reason: 'no-rollback-target', current: '1.3.0' });
  });

  it('lists what it skipped when every earlier hop is yanked or unknown', () => {
    const error = errorOf(() => rollback({ successfulHops: ['0.9.0', '1.4.0', '1.4.1'], current: '1.4.1' }));
    expect(error.problems).toEqual(['1.4.0 is yanked', '0.9.0 is not in the catalog']);
  });

  it('goes to a named older release', () => {
    expect(rollback({ successfulHops: ['1.3.0'], current: '1.3.0', to: '1.0.0' }).target.version).toBe('1.0.0');
  });

  it('refuses a named release that is not older', () => {
    const newer = errorOf(() => rollback({ current: '1.3.0', to: '1.6.0' }));
    expect(newer.message).toBe("1.6.0 is newer than the rack's 1.3.0.");
    expect(newer.next).toBe('Run `rack update --version 1.6.0` to go up.');
    expect(newer.details).toEqual({ reason: 'not-a-rollback', current: '1.3.0', target: '1.6.0' });
  });

  it('is nothing to do when the named release is the one the rack runs, known to the catalog or not', () => {
    expect(chosen({ current: '1.3.0', to: '1.3.0' })).toBe('already-there');
    expect(chosen({ current: '1.3.5', to: '1.3.5' })).toBe('already-there');
  });

  it('refuses a named release that is unknown or yanked', () => {
    expect(reasonOf(() => rollback({ current: '1.6.0', to: '1.3.5' }))).toBe('unknown-version');
    const yanked = errorOf(() => rollback({ current: '1.6.0', to: '1.4.0' }));
    expect(yanked.details).toEqual({ reason: 'yanked-target', target: '1.4.0', fixedIn: '1.4.1' });
  });

  it('refuses a target that needs a newer rack', () => {
    expect(reasonOf(() => rollback({ current: '1.6.0', to: '1.5.0' }))).toBe('min-cli');
  });

  it('refuses a rack whose own version is not semver, and a malformed --to as usage', () => {
    expect(reasonOf(() => rollback({ current: 'dev', successfulHops: ['1.0.0'] }))).toBe('invalid-version');
    expect(errorOf(() => rollback({ current: '1.3.0', to: '1.0' })).exitCode).toBe(2);
  });
});

describe('the warning for a rack on a yanked release', () => {
  it('names the reason and the fix', () => {
    expect(yankedWarning(catalog, '1.4.0')).toBe('1.4.0 is yanked: it breaks; update to 1.4.1.');
  });

  it('follows a fix that was yanked in turn', () => {
    const chain = catalogOf(
      release('1.0.0', { yanked: yank('1.0.1') }),
      release('1.0.1', { yanked: yank('1.0.2') }),
      release('1.0.2'),
    );
    expect(yankedWarning(chain, '1.0.0')).toBe('1.0.0 is yanked: it breaks; update to 1.0.2.');
  });

  it('says when no fix is published', () => {
    const none = catalogOf(release('1.0.0', { yanked: yank() }));
    expect(yankedWarning(none, '1.0.0')).toBe('1.0.0 is yanked: it breaks; no fixed release is published yet.');
  });

  it('is null for a release that is not yanked, or unknown', () => {
    expect(yankedWarning(catalog, '1.3.0')).toBeNull();
    expect(yankedWarning(catalog, '7.0.0')).toBeNull();
  });
});
