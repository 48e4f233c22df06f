import { describe, expect, it } from 'vitest';
import { upgradePath, type UpgradePathInput } from '../../../src/core/upgradePath.js';
import { barrier, catalogOf, channelOf, errorOf, reasonOf, release, yank } from './fixtures.js';

const CLI = '1.0.0';
const versionsOf = (input: Omit<UpgradePathInput, 'cliVersion'> & { cliVersion?: string }) =>
  upgradePath({ cliVersion: CLI, ...input }).hops.map((hop) => hop.version);

describe('the upgrade path', () => {
  const catalog = catalogOf(
    release('1.0.0'),
    release('1.1.0'),
    barrier('1.2.0'),
    release('1.3.0'),
    barrier('1.4.0'),
    release('1.5.0'),
  );

  it('is the target alone when no barrier lies between', () => {
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.1.0' })).toEqual(['1.1.0']);
  });

  it('stops at every barrier strictly between, in ascending order, then the target', () => {
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.5.0' })).toEqual(['1.2.0', '1.4.0', '1.5.0']);
  });

  it('does not stop twice at a barrier that is the target', () => {
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.4.0' })).toEqual(['1.2.0', '1.4.0']);
  });

  it('does not count a barrier the rack already runs', () => {
    expect(versionsOf({ catalog, from: '1.2.0', to: '1.3.0' })).toEqual(['1.3.0']);
  });

  it('starts from a version the catalog does not have', () => {
    expect(versionsOf({ catalog, from: '0.9.0', to: '1.3.0' })).toEqual(['1.2.0', '1.3.0']);
    expect(versionsOf({ catalog, from: '1.2.5', to: '1.5.0' })).toEqual(['1.4.0', '1.5.0']);
  });

  it('is empty when the rack already runs the target: nothing to do', () => {
    const path = upgradePath({ catalog, from: '1.3.0', to: '1.3.0', cliVersion: CLI });
    expect(path.hops).toEqual([]);
    expect(path.target.version).toBe('1.3.0');
  });

  it('goes to the channel target when no version is named', () => {
    const stable = channelOf('stable', ['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
    expect(versionsOf({ catalog, channel: stable, from: '1.0.0' })).toEqual(['1.2.0', '1.3.0']);
  });

  it('stops at a barrier that is not in the channel: barriers belong to releases, not channels', () => {
    const stable = channelOf('stable', ['1.0.0', '1.3.0']);
    expect(versionsOf({ catalog, channel: stable, from: '1.0.0' })).toEqual(['1.2.0', '1.3.0']);
  });

  it('applies barriers also when the user names a version', () => {
    expect(versionsOf({ catalog, from: '1.1.0', to: '1.5.0' })).toEqual(['1.2.0', '1.4.0', '1.5.0']);
  });

  it('orders by semver, not by text', () => {
    const wide = catalogOf(
      release('1.9.0'),
      barrier('1.10.0'),
      release('1.11.0'),
      barrier('2.0.0-rc.1'),
      release('2.0.0'),
    );
    expect(versionsOf({ catalog: wide, from: '1.9.0', to: '2.0.0' })).toEqual(['1.10.0', '2.0.0-rc.1', '2.0.0']);
  });
});

describe('yanked barriers', () => {
  it('replaces a yanked barrier by its fix', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.2.1') }),
      release('1.2.1'),
      release('1.3.0'),
    );
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.3.0' })).toEqual(['1.2.1', '1.3.0']);
  });

  it('follows the fix through a fix that was yanked in turn', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.2.1') }),
      release('1.2.1', { yanked: yank('1.2.2') }),
      release('1.2.2'),
      release('1.3.0'),
    );
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.3.0' })).toEqual(['1.2.2', '1.3.0']);
  });

  it('ends at the fix when the fix is the target', () => {
    const catalog = catalogOf(release('1.0.0'), barrier('1.2.0', { yanked: yank('1.2.1') }), release('1.2.1'));
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.2.1' })).toEqual(['1.2.1']);
  });

  it('stops once for two yanked barriers that share a fix', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.2.2') }),
      barrier('1.2.1', { yanked: yank('1.2.2') }),
      release('1.2.2'),
      release('1.3.0'),
    );
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.3.0' })).toEqual(['1.2.2', '1.3.0']);
  });

  it('stops once when the fix of a yanked barrier is itself a barrier', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.2.1') }),
      barrier('1.2.1'),
      release('1.3.0'),
    );
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.3.0' })).toEqual(['1.2.1', '1.3.0']);
  });

  it('is refused when a yanked barrier has no fix', () => {
    const catalog = catalogOf(release('1.0.0'), barrier('1.2.0', { yanked: yank() }), release('1.3.0'));
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.3.0', cliVersion: CLI }));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('The barrier 1.2.0 is yanked (it breaks) and no fixed release is published.');
    expect(error.details).toEqual({ reason: 'yanked-barrier', barrier: '1.2.0' });
    expect(error.untouched).toBe('Nothing was written to the stack.');
  });

  it('is refused when the fix chain ends at a yank without a fix', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.2.1') }),
      release('1.2.1', { yanked: yank() }),
      release('1.3.0'),
    );
    expect(reasonOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.3.0', cliVersion: CLI }))).toBe(
      'yanked-barrier',
    );
  });

  it('is refused when the fix lies beyond the target, since the rack would skip the stop', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.5.0') }),
      release('1.3.0'),
      release('1.5.0'),
    );
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.3.0', cliVersion: CLI }));
    expect(error.message).toBe('The barrier 1.2.0 is yanked and fixed in 1.5.0, which is beyond the target 1.3.0.');
    expect(error.next).toBe('Update to 1.5.0 or later, e.g. `rack update --version 1.5.0`.');
    expect(error.details).toEqual({ reason: 'yanked-barrier', barrier: '1.2.0', fixedIn: '1.5.0' });
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.5.0' })).toEqual(['1.5.0']);
  });

  it('is refused when the fix lies beyond the next barrier, since one of the two stops would be skipped', () => {
    const catalog = catalogOf(
      release('1.0.0'),
      barrier('1.2.0', { yanked: yank('1.5.0') }),
      barrier('1.4.0'),
      release('1.5.0'),
      release('1.6.0'),
    );
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.6.0', cliVersion: CLI }));
    expect(error.details).toEqual({ reason: 'yanked-barrier', barrier: '1.4.0', fixedIn: '1.5.0' });
    // Once past the yanked barrier, the path is fine again.
    expect(versionsOf({ catalog, from: '1.3.0', to: '1.6.0' })).toEqual(['1.4.0', '1.6.0']);
  });

  it('does not care about yanked releases that are not barriers', () => {
    const catalog = catalogOf(release('1.0.0'), release('1.1.0', { yanked: yank() }), release('1.2.0'));
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.2.0' })).toEqual(['1.2.0']);
  });
});

describe('refusals', () => {
  const catalog = catalogOf(
    release('1.0.0'),
    release('1.1.0'),
    release('1.2.0', { yanked: yank('1.2.1') }),
    release('1.2.1'),
    release('1.3.0', { yanked: { reason: 'data loss', at: '2025-03-01T00:00:00Z' } }),
    release('1.4.0', { minCli: '2.0.0' }),
    release('1.5.0', { minCli: '1.0.0' }),
    barrier('1.6.0', { minCli: '1.5.0' }),
    release('1.7.0', { minCli: '1.2.0' }),
  );
  const stable = channelOf('stable', ['1.0.0', '1.1.0', '1.3.0']);

  it('refuses a downgrade, pointing to rollback', () => {
    const error = errorOf(() => upgradePath({ catalog, from: '1.1.0', to: '1.0.0', cliVersion: CLI }));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe("1.0.0 is older than the rack's 1.1.0, and an update never goes down.");
    expect(error.next).toBe('Run `rack rollback --to 1.0.0` to go back.');
    expect(error.details).toEqual({ reason: 'downgrade', from: '1.1.0', target: '1.0.0' });
  });

  it('refuses a rack ahead of its channel as a downgrade too', () => {
    expect(reasonOf(() => upgradePath({ catalog, channel: stable, from: '1.2.1', cliVersion: CLI }))).toBe('downgrade');
  });

  it('refuses an unknown version', () => {
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.9.0', cliVersion: CLI }));
    expect(error.message).toBe('1.9.0 is not a release of the catalog.');
    expect(error.details).toEqual({ reason: 'unknown-version', target: '1.9.0' });
  });

  it('treats a malformed version as a usage error (exit 2)', () => {
    expect(errorOf(() => upgradePath({ catalog, from: '1.0.0', to: 'latest', cliVersion: CLI })).exitCode).toBe(2);
  });

  it('refuses a rack whose own version is not semver', () => {
    const error = errorOf(() => upgradePath({ catalog, from: 'dev', to: '1.1.0', cliVersion: CLI }));
    expect(error.details).toEqual({ reason: 'invalid-version', current: 'dev' });
  });

  it('refuses a yanked target, naming its fix', () => {
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.2.0', cliVersion: CLI }));
    expect(error.message).toBe('1.2.0 is yanked: it breaks.');
    expect(error.next).toBe('Use 1.2.1 instead, which fixes it.');
    expect(error.details).toEqual({ reason: 'yanked-target', target: '1.2.0', fixedIn: '1.2.1' });
  });

  it('refuses a yanked target without a fix', () => {
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.3.0', cliVersion: CLI }));
    expect(error.message).toBe('1.3.0 is yanked: data loss.');
    expect(error.details).toEqual({ reason: 'yanked-target', target: '1.3.0' });
  });

  it('refuses a named version that is not in the given channel', () => {
    const error = errorOf(() => upgradePath({ catalog, channel: stable, from: '1.0.0', to: '1.2.1', cliVersion: CLI }));
    expect(error.message).toBe('1.2.1 is not in the channel stable.');
    expect(error.details).toEqual({ reason: 'not-in-channel', target: '1.2.1', channel: 'stable' });
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.2.1' })).toEqual(['1.2.1']);
  });

  it('refuses a channel without a release that is not yanked', () => {
    const error = errorOf(() =>
      upgradePath({ catalog, channel: channelOf('broken', ['1.3.0']), from: '1.0.0', cliVersion: CLI }),
    );
    expect(error.message).toBe('The channel broken has no release that is not yanked.');
    expect(error.details).toEqual({ reason: 'no-target', channel: 'broken' });
  });

  it('refuses a hop that needs a newer rack, naming the minCli', () => {
    const error = errorOf(() => upgradePath({ catalog, from: '1.0.0', to: '1.4.0', cliVersion: '1.9.9' }));
    expect(error.message).toBe('This path needs rack 2.0.0 or later; this is rack 1.9.9.');
    expect(error.problems).toEqual(['1.4.0 needs rack 2.0.0 or later']);
    expect(error.details).toEqual({ reason: 'min-cli', minCli: '2.0.0', cliVersion: '1.9.9' });
    expect(versionsOf({ catalog, from: '1.0.0', to: '1.4.0', cliVersion: '2.0.0' })).toEqual(['1.4.0']);
  });

  it('checks minCli on every hop, barriers included, and names the highest', () => {
    const error = errorOf(() => upgradePath({ catalog, from: '1.5.0', to: '1.7.0', cliVersion: '1.1.0' }));
    expect(error.problems).toEqual(['1.6.0 needs rack 1.5.0 or later', '1.7.0 needs rack 1.2.0 or later']);
    expect(error.details?.minCli).toBe('1.5.0');
    expect(versionsOf({ catalog, from: '1.5.0', to: '1.7.0', cliVersion: '1.5.0' })).toEqual(['1.6.0', '1.7.0']);
  });

  it('accepts a minCli equal to this rack', () => {
    expect(versionsOf({ catalog, from: '1.4.0', to: '1.5.0', cliVersion: '1.0.0' })).toEqual(['1.5.0']);
  });
});
