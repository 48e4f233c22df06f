/**
 * `rack channel promote` and `rack channel yank` against temporary copies of the shipped channels, with the
 * clock set by the test. In the shipped channels 1.4.0 entered unstable at 2026-11-17T10:00:00Z, so it may
 * enter stable from 2026-11-24T10:00:00Z.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { commentsOf, fixedClock, newTemplate, snapshot, workspace, type Workspace } from './fixtures.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
let ws: Workspace;

beforeEach(async () => {
  ws = await workspace();
});

const at = (iso: string) => ({ clock: fixedClock(iso) });
const channel = (args: string[], iso: string) => ws.rack(['channel', ...args, '--channels', ws.channels], at(iso));
const verifyOk = async () => {
  const result = await ws.rack(['channel', 'verify', '--channels', ws.channels]);
  expect(result.code, result.stderr).toBe(0);
};

async function publish(version: string, iso: string) {
  const file = path.join(ws.root, `rack-${version}.yaml`);
  await writeFile(file, await newTemplate(version));
  const result = await channel(['publish', version, '--template', file], iso);
  expect(result.code, result.stderr).toBe(0);
}

describe('rack channel promote', () => {
  it('refuses before the soak period is over, saying how long is left, and writes nothing', async () => {
    const before = await snapshot(ws.channels);
    const result = await channel(['promote', '1.4.0', '--to', 'stable'], '2026-11-19T06:00:00Z');
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      [
        'Error: 1.4.0 has soaked in unstable for less than 7d; 5d 4h to go.',
        'No channel was changed.',
        'Next: Wait, or promote it now with --force.',
        '',
      ].join('\n'),
    );
    const json = await ws.rack(
      ['channel', 'promote', '1.4.0', '--to', 'stable', '--channels', ws.channels, '--json'],
      at('2026-11-19T06:00:00Z'),
    );
    expect(json.json().error.details).toEqual({
      reason: 'soak',
      version: '1.4.0',
      channel: 'stable',
      remainingMs: 5 * DAY + 4 * HOUR,
    });
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('promotes with --force and records that it was forced', async () => {
    const stable = await ws.read('stable.yaml');
    const result = await ws.rack(
      ['channel', 'promote', '1.4.0', '--to', 'stable', '--force', '--channels', ws.channels, '--json'],
      at('2026-11-19T06:00:00Z'),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      version: '1.4.0',
      channel: 'stable',
      entered: '2026-11-19T06:00:00Z',
      outcome: 'promoted',
      forced: true,
      soakLeftMs: 5 * DAY + 4 * HOUR,
      feeder: 'unstable',
    });
    expect(await ws.read('stable.yaml')).toBe(
      `${stable}  - version: 1.4.0\n    entered: "2026-11-19T06:00:00Z"\n    forced: true\n`,
    );
    const view = await ws.rack(['channels', '--channels', ws.channels, '--json'], at('2026-11-19T07:00:00Z'));
    const promoted = view.json().channels.find((c: { name: string }) => c.name === 'stable');
    expect(promoted.target).toBe('1.4.0');
    expect(promoted.releases.at(-1)).toEqual({
      version: '1.4.0',
      entered: '2026-11-19T06:00:00Z',
      target: true,
      barrier: false,
      forced: true,
      yanked: null,
    });
    // Only the release shipped after it still waits.
    expect(promoted.pending.map((p: { version: string }) => p.version)).toEqual(['2.0.0']);
    await verifyOk();
  });

  it('says so for people when forced', async () => {
    const result = await channel(['promote', '1.4.0', '--to', 'stable', '--force'], '2026-11-24T08:59:00Z');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      'Promoted 1.4.0 to stable with --force, 1h 1m before its soak in unstable was over; it is recorded as forced.\n',
    );
  });

  it('promotes once the soak period is over, without --force and without the mark', async () => {
    const stable = await ws.read('stable.yaml');
    const result = await channel(['promote', '1.4.0', '--to', 'stable'], '2026-11-24T10:00:00Z');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Promoted 1.4.0 to stable.\n');
    expect(await ws.read('stable.yaml')).toBe(`${stable}  - version: 1.4.0\n    entered: "2026-11-24T10:00:00Z"\n`);
    expect(commentsOf(await ws.read('stable.yaml'))).toEqual(commentsOf(stable));
    await verifyOk();
  });

  it('has nothing to do for a release already in the channel', async () => {
    const before = await snapshot(ws.channels);
    const result = await channel(['promote', '1.3.1', '--to', 'stable'], '2026-12-01T00:00:00Z');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('1.3.1 is already in stable (since 2026-11-11T10:00:00Z).\n');
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('refuses a yanked release, an unknown one, and one that is not in the feeder even with --force', async () => {
    await writeFile(
      path.join(ws.channels, 'edge.yaml'),
      'schema: 1\nname: edge\ndescription: Fed from stable.\nfeeder:\n  channel: stable\n  soak: 1d\nreleases: []\n',
    );
    const before = await snapshot(ws.channels);
    const cases: [string[], number, string][] = [
      [
        ['1.3.0', '--to', 'stable'],
        3,
        '1.3.0 is yanked (runs the rack API with one task; draining its instance takes the API down) and cannot be promoted.',
      ],
      [['9.9.9', '--to', 'stable', '--force'], 3, '9.9.9 is not a release of the catalog.'],
      [['1.4.0', '--to', 'edge', '--force'], 3, '1.4.0 is not in stable, the channel edge is promoted from.'],
      [['1.4.0', '--to', 'beta'], 2, 'There is no channel named "beta"'],
      [['1.4', '--to', 'stable'], 2, 'The version is not valid'],
    ];
    for (const [args, code, message] of cases) {
      const result = await channel(['promote', ...args], '2026-12-01T00:00:00Z');
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(message);
    }
    expect(await snapshot(ws.channels)).toEqual(before);
  });
});

describe('rack channel yank', () => {
  it('keeps the release and its channel entries, and records the reason, the time and the fix', async () => {
    await publish('1.4.1', '2026-11-20T10:00:00Z');
    const [catalog, unstable] = await Promise.all([ws.read('catalog.yaml'), ws.read('unstable.yaml')]);
    const result = await ws.rack(
      [
        'channel',
        'yank',
        '1.4.0',
        '--reason',
        'the webhook secret is logged',
        '--fixed-in',
        '1.4.1',
        '--channels',
        ws.channels,
        '--json',
      ],
      at('2026-11-21T08:15:00Z'),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      version: '1.4.0',
      outcome: 'yanked',
      reason: 'the webhook secret is logged',
      at: '2026-11-21T08:15:00Z',
      fixedIn: '1.4.1',
      barrier: false,
      // unstable's target is its newest release, which this yank does not touch.
      channels: [{ name: 'unstable', target: '2.0.0' }],
    });
    expect(await ws.read('catalog.yaml')).toBe(
      catalog.replace(
        '    minCli: 0.1.0\n',
        [
          '    minCli: 0.1.0',
          '    yanked:',
          '      reason: the webhook secret is logged',
          '      at: "2026-11-21T08:15:00Z"',
          '      fixedIn: 1.4.1',
          '',
        ].join('\n'),
      ),
    );
    expect(await ws.read('unstable.yaml')).toBe(unstable);
    const releases = await ws.rack(['releases', '--channels', ws.channels, '--json']);
    expect(releases.json().releases.find((r: { version: string }) => r.version === '1.4.0')).toMatchObject({
      version: '1.4.0',
      minCli: '0.1.0',
      channels: ['unstable'],
      yanked: { reason: 'the webhook secret is logged', at: '2026-11-21T08:15:00Z', fixedIn: '1.4.1' },
    });
    await verifyOk();
  });

  it('says what happens to each channel for people', async () => {
    const result = await channel(
      ['yank', '1.3.1', '--reason', 'drops the api', '--fixed-in', '1.4.0'],
      '2026-11-21T08:15:00Z',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        'Yanked 1.3.1: drops the api; fixed in 1.4.0.',
        'It stays in the catalog and in its channels.',
        '  stable: racks go to 1.2.0',
        '  unstable: racks go to 2.0.0',
        '',
      ].join('\n'),
    );
  });

  it('refuses a second yank naming the first, a yank without a reason, and a fix that is not a later release', async () => {
    const before = await snapshot(ws.channels);
    const cases: [string[], number, string][] = [
      [
        ['1.3.0', '--reason', 'again'],
        3,
        '1.3.0 was yanked already, at 2026-11-02T09:30:00Z: runs the rack API with one task; draining its instance takes the API down; fixed in 1.3.1.',
      ],
      [['1.3.0', '--fixed-in', '1.4.0'], 3, '1.3.0 was yanked already'],
      [['1.4.0'], 2, 'Say why 1.4.0 is yanked, with --reason <text>.'],
      [['1.4.0', '--reason', '  '], 2, 'Say why 1.4.0 is yanked'],
      [['1.4.0', '--reason', 'x', '--fixed-in', '1.3.1'], 3, 'The fix 1.3.1 must be newer than 1.4.0.'],
      [['1.4.0', '--reason', 'x', '--fixed-in', '1.5.0'], 3, 'The fix 1.5.0 is not a release of the catalog.'],
      [['9.9.9', '--reason', 'x'], 3, '9.9.9 is not a release of the catalog.'],
    ];
    for (const [args, code, message] of cases) {
      const result = await channel(['yank', ...args], '2026-12-01T00:00:00Z');
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(message);
    }
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('names the fix of a release yanked before its fix existed, keeping the yank as it was', async () => {
    expect((await channel(['yank', '1.4.0', '--reason', 'bad image'], '2026-11-21T08:00:00Z')).code).toBe(0);
    await publish('1.4.1', '2026-11-22T08:00:00Z');
    const result = await ws.rack(
      ['channel', 'yank', '1.4.0', '--fixed-in', '1.4.1', '--channels', ws.channels, '--json'],
      at('2026-11-22T09:00:00Z'),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      outcome: 'fix-recorded',
      reason: 'bad image',
      at: '2026-11-21T08:00:00Z',
      fixedIn: '1.4.1',
    });
    expect(await ws.read('catalog.yaml')).toContain(
      '    yanked:\n      reason: bad image\n      at: "2026-11-21T08:00:00Z"\n      fixedIn: 1.4.1\n',
    );
    await verifyOk();
  });

  it('warns when a barrier is yanked without a fix; verify reports it until the fix is named', async () => {
    const yanked = await channel(['yank', '1.2.0', '--reason', 'loses LogRetention'], '2026-11-21T08:00:00Z');
    expect(yanked.code, yanked.stderr).toBe(0);
    expect(yanked.stderr).toContain(
      'Warning: 1.2.0 is a barrier: racks below it cannot update past it until its fix is named',
    );
    const verify = await ws.rack(['channel', 'verify', '--channels', ws.channels]);
    expect(verify.code).toBe(3);
    expect(verify.stderr).toContain(
      '  - channels/catalog.yaml:27: releases[2].yanked: the barrier 1.2.0 is yanked with no fixed release (fixedIn), so racks below it cannot update past it\n',
    );
    expect((await channel(['yank', '1.2.0', '--fixed-in', '1.3.1'], '2026-11-21T09:00:00Z')).code).toBe(0);
    await verifyOk();
  });
});
