/**
 * `rack channels` and `rack releases` over the shipped channels, with the clock set by the test: in them
 * 1.4.0 entered unstable at 2026-11-17T10:00:00Z and may enter stable (7d) from 2026-11-24T10:00:00Z; 2.0.0
 * entered unstable at 2026-12-01T10:00:00Z and may enter stable from 2026-12-08T10:00:00Z.
 */
import { describe, expect, it } from 'vitest';
import { runRack, tempHome } from '../../harness/runRack.js';
import { fixedClock } from './fixtures.js';

const env = { RACK_HOME: tempHome('rack-views-') };
const at = (iso: string) => ({ env, clock: fixedClock(iso) });

describe('rack channels', () => {
  it('shows each channel with its releases, target, barrier, yanks and what is soaking in its feeder', async () => {
    const result = await runRack(['channels'], at('2026-11-19T06:00:00Z'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      `${[
        'unstable: Every release as soon as it is published; for staging racks.',
        '  VERSION  ENTERED (UTC)',
        '  1.0.0    2026-09-01 10:00',
        '  1.1.0    2026-09-20 10:00',
        '  1.2.0    2026-10-05 10:00  barrier',
        '  1.3.0    2026-10-20 10:00  yanked: runs the rack API with one task; draining its instance takes the API down; fixed in 1.3.1',
        '  1.3.1    2026-11-03 10:00',
        '  1.4.0    2026-11-17 10:00',
        '  2.0.0    2026-12-01 10:00  target',
        '',
        'stable: Releases that ran on unstable for at least 7 days; for production racks. Fed from unstable after 7d.',
        '  VERSION  ENTERED (UTC)',
        '  1.0.0    2026-09-10 10:00',
        '  1.1.0    2026-09-28 10:00',
        '  1.2.0    2026-10-13 10:00  barrier',
        '  1.3.0    2026-10-28 10:00  yanked: runs the rack API with one task; draining its instance takes the API down; fixed in 1.3.1',
        '  1.3.1    2026-11-11 10:00  target',
        '  Waiting in unstable:',
        '    1.4.0: soaking, 5d 4h left',
        '    2.0.0: soaking, 19d 4h left',
      ].join('\n')}\n`,
    );
  });

  it('says a release is ready to promote once its soak is over', async () => {
    const result = await runRack(['channels'], at('2026-11-24T10:00:00Z'));
    expect(result.stdout).toContain('  Waiting in unstable:\n    1.4.0: ready to promote\n    2.0.0: soaking,');
  });

  it('gives the same data with --json', async () => {
    const result = await runRack(['channels', '--json'], at('2026-11-19T06:00:00Z'));
    expect(result.code, result.stderr).toBe(0);
    const { channels } = result.json();
    expect(channels.map((c: { name: string }) => c.name)).toEqual(['unstable', 'stable']);
    const [unstable, stable] = channels;
    expect(unstable).toMatchObject({ feeder: null, target: '2.0.0', pending: [] });
    expect(stable).toMatchObject({
      description: 'Releases that ran on unstable for at least 7 days; for production racks.',
      feeder: { channel: 'unstable', soak: '7d' },
      target: '1.3.1',
      pending: [
        {
          version: '1.4.0',
          entered: '2026-11-17T10:00:00Z',
          readyAt: '2026-11-24T10:00:00.000Z',
          remainingMs: (5 * 24 + 4) * 3_600_000,
          ready: false,
        },
        {
          version: '2.0.0',
          entered: '2026-12-01T10:00:00Z',
          readyAt: '2026-12-08T10:00:00.000Z',
          remainingMs: (19 * 24 + 4) * 3_600_000,
          ready: false,
        },
      ],
    });
    expect(stable.releases[3]).toEqual({
      version: '1.3.0',
      entered: '2026-10-28T10:00:00Z',
      target: false,
      barrier: false,
      forced: false,
      yanked: {
        reason: 'runs the rack API with one task; draining its instance takes the API down',
        at: '2026-11-02T09:30:00Z',
        fixedIn: '1.3.1',
      },
    });
    expect(stable.releases[2]).toMatchObject({ version: '1.2.0', barrier: true, yanked: null });
  });
});

describe('rack releases', () => {
  it('lists the catalog with the channels each release is in', async () => {
    const result = await runRack(['releases', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const { releases, channel } = result.json();
    expect(channel).toBeNull();
    expect(releases.map((r: { version: string }) => r.version)).toEqual([
      '1.0.0',
      '1.1.0',
      '1.2.0',
      '1.3.0',
      '1.3.1',
      '1.4.0',
      '2.0.0',
    ]);
    expect(releases[5]).toMatchObject({
      version: '1.4.0',
      published: '2026-11-17T10:00:00Z',
      barrier: false,
      minCli: '0.1.0',
      yanked: null,
      template: 'templates/rack-1.4.0.yaml',
      channels: ['unstable'],
    });
    expect(releases[2]).toMatchObject({
      version: '1.2.0',
      barrier: true,
      minCli: null,
      channels: ['stable', 'unstable'],
    });

    const human = await runRack(['releases'], { env });
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+PUBLISHED \(UTC\)\s+CHANNELS\s+STATUS\s+NOTES$/);
    expect(lines[4]).toMatch(
      /^1\.3\.0\s+2026-10-20 10:00\s+stable, unstable\s+yanked, fixed in 1\.3\.1\s+Yanked: runs the rack API/,
    );
    expect(lines[6]).toMatch(/^1\.4\.0\s+2026-11-17 10:00\s+unstable\s+needs rack 0\.1\.0\s+Webhook signing/);
    expect(lines[7]).toMatch(/^2\.0\.0\s+2026-12-01 10:00\s+unstable\s+Production network and operations/);
  });

  it('lists one channel with when each release entered it', async () => {
    const result = await runRack(['releases', '--channel', 'stable', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json().channel).toBe('stable');
    expect(result.json().releases.map((r: { version: string; entered: string }) => [r.version, r.entered])).toEqual([
      ['1.0.0', '2026-09-10T10:00:00Z'],
      ['1.1.0', '2026-09-28T10:00:00Z'],
      ['1.2.0', '2026-10-13T10:00:00Z'],
      ['1.3.0', '2026-10-28T10:00:00Z'],
      ['1.3.1', '2026-11-11T10:00:00Z'],
    ]);
    const human = await runRack(['releases', '--channel', 'stable'], { env });
    expect(human.stdout.split('\n')[0]).toMatch(/^VERSION\s+ENTERED \(UTC\)\s+PUBLISHED \(UTC\)\s+STATUS\s+NOTES$/);
  });

  it('is a usage error for a channel that does not exist', async () => {
    const result = await runRack(['releases', '--channel', 'beta'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('There is no channel named "beta"');
    expect(result.stderr).toContain('Channels: stable, unstable.');
  });
});
