/**
 * `rack sync` over a channel that rolls out in waves (canary, 25 %, the rest) against the local AWS, with
 * the clock injected: each sync takes the release only into the waves whose earlier waves are on it,
 * healthy and baked; a failed canary halts the release until `rack rollout resume`; halts are written into
 * the racks' history; two machines sharing one S3 state store see and do the same.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assignWaves, rolloutOf } from '../../../src/core/rollout.js';
import { type LocalAws, startLocalAws } from '../../harness/localAws.js';
import { tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { fleet, movableClock, rolloutChannels, WRITES } from './fixtures.js';

const HOUR = 3_600_000;
let aws: LocalAws;
let timelines: Timelines;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
});
afterEach(() => {
  timelines.clear();
  aws.proxy.clear();
});
afterAll(async () => aws?.stop());

/** Every update of every stack takes a moment, as on AWS. */
const everyUpdate = () => timelines.script({ inProgressMs: 150, outcome: 'complete', times: Infinity });

const tenRacks = () =>
  Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`r${i}`, { labels: [i === 4 ? 'tier=canary' : 'tier=prod'] }]),
  );

type Outcomes = Record<string, { outcome: string; detail?: string; reached?: string }>;
const byRack = (report: { racks: Array<{ rack: string }> }): Outcomes =>
  Object.fromEntries(report.racks.map((r) => [r.rack, r])) as unknown as Outcomes;
const updated = (outcomes: Outcomes) =>
  Object.entries(outcomes)
    .filter(([, r]) => r.outcome === 'updated')
    .map(([name]) => name)
    .sort();

describe('rollout waves in rack sync', () => {
  it('moves a 10-rack channel wave by wave across syncs: canary, then 25% after the bake, then the rest', async () => {
    const channels = await rolloutChannels();
    const f = await fleet(aws, channels, tenRacks());
    everyUpdate();
    const clock = movableClock('2026-12-01T09:00:00Z');
    const sync = async () => {
      const result = await f.rack(['sync', '--all', '--yes', '--json'], { clock });
      expect(result.code, result.stderr).toBe(0);
      return result.json();
    };

    // The early wave, as the hash of StackId and release picks it on any machine.
    const registered = (await f.rack(['racks', 'list', '--json']))
      .json()
      .racks.map((r: { rack: { name: string; stackId: string; labels: Record<string, string> } }) => ({
        name: r.rack.name,
        identity: r.rack.stackId,
        labels: r.rack.labels,
      }));
    const rollout = rolloutOf({
      bake: '1h',
      waves: [
        { name: 'canary', selector: { tier: 'canary' } },
        { name: 'early', percent: 25 },
        { name: 'rest', percent: 100 },
      ],
    });
    const [canary, early, rest] = assignWaves(rollout, registered, '1.3.1').map((wave) =>
      wave.map((r) => r.name).sort(),
    );
    expect(canary).toEqual(['r4']);
    expect(early).toHaveLength(2);
    expect(rest).toHaveLength(7);

    const dry = await f.rack(['sync', '--all', '--dry-run', '--json'], { clock });
    const planned = Object.fromEntries(dry.json().racks.map((r: { rack: string }) => [r.rack, r]));
    expect(planned.r4).toMatchObject({ action: 'update', rollout: { version: '1.3.1', wave: 'canary' } });
    expect(planned[early![0]!]).toMatchObject({
      action: 'skip',
      plan: 'skip: wave early waits for wave canary (1 of 1 rack not on 1.3.1 yet)',
    });

    const first = await sync();
    expect(updated(byRack(first))).toEqual(['r4']);
    expect(byRack(first)[rest![0]!]).toMatchObject({
      outcome: 'skipped',
      detail: 'wave rest waits for wave canary (1 of 1 rack not on 1.3.1 yet)',
    });
    expect(first.rollouts).toEqual([
      {
        channel: 'stable',
        version: '1.3.1',
        waves: [
          expect.objectContaining({ name: 'canary', complete: true, open: true, bakeLeftMs: expect.any(Number) }),
          expect.objectContaining({ name: 'early', complete: false, open: false }),
          expect.objectContaining({ name: 'rest', complete: false, open: false }),
        ],
      },
    ]);

    clock.advance(HOUR / 2);
    const baking = await sync();
    expect(updated(byRack(baking))).toEqual([]);
    expect(byRack(baking)[early![0]!]!.detail).toMatch(/^wave early waits for wave canary to bake \((29|30)m left\)$/);
    const status = (await f.rack(['rollout', 'status', '--json'], { clock })).json().channels[0];
    expect(status).toMatchObject({ channel: 'stable', version: '1.3.1', bake: '1h' });
    expect(status.waves.map((w: { name: string; counts: { done: number } }) => [w.name, w.counts.done])).toEqual([
      ['canary', 1],
      ['early', 0],
      ['rest', 0],
    ]);
    expect(status.waves[0].bakeLeftMs).toBeLessThanOrEqual(HOUR / 2);
    const human = await f.rack(['rollout', 'status'], { clock });
    expect(human.stdout).toMatch(/canary\s+tier=canary\s+1\s+1\s+0\s+0\s+0\s+baking, (29|30)m left/);

    clock.advance(HOUR / 2 + 60_000);
    const second = await sync();
    expect(updated(byRack(second))).toEqual(early);
    expect(updated(byRack(await sync()))).toEqual([]);

    clock.advance(HOUR + 60_000);
    const third = await sync();
    expect(updated(byRack(third))).toEqual(rest);
    for (const stack of Object.values(f.stacks)) expect((await aws.stackParameters(stack)).Version).toBe('1.3.1');
    const done = (await f.rack(['rollout', 'status', '--json'], { clock })).json().channels[0];
    expect(done.waves.map((w: { counts: { done: number } }) => w.counts.done)).toEqual([1, 2, 7]);
  });

  it('halts the release when the canary fails: no other rack is touched until resume; halts are in the history', async () => {
    const channels = await rolloutChannels({ rollout: WAVES_NO_BAKE });
    const f = await fleet(aws, channels, {
      canary: { labels: ['tier=canary'] },
      a: { labels: ['tier=prod'] },
      b: { labels: ['tier=prod'] },
    });
    const failing = timelines.script({
      stackName: f.stacks.canary,
      inProgressMs: 150,
      outcome: 'rollback',
      failure: { logicalId: 'Service', reason: 'Resource handler returned message: "service did not stabilize"' },
    });
    everyUpdate();
    const clock = movableClock('2026-12-01T09:00:00Z');

    const first = await f.rack(['sync', '--all', '--yes', '--json'], { clock });
    expect(first.code).toBe(6);
    expect(byRack(first.json()).canary).toMatchObject({ outcome: 'failed' });
    expect(first.stderr).toContain(
      '1.3.1 is halted on stable: no further rack starts on it until `rack rollout resume 1.3.1 --channel stable`',
    );
    await failing.finished;

    clock.advance(3 * HOUR);
    const since = aws.proxy.requests.length;
    const held = await f.rack(['sync', '--all', '--yes', '--json'], { clock });
    expect(held.code, held.stderr).toBe(0);
    expect(aws.proxy.requests.slice(since).filter((r) => WRITES.test(r.action))).toEqual([]);
    for (const name of ['canary', 'a', 'b']) {
      expect(byRack(held.json())[name]).toMatchObject({
        outcome: 'skipped',
        detail: expect.stringMatching(/^1\.3\.1 is halted on stable: canary failed: The update of canary to 1\.3\.1/),
      });
    }
    const status = (await f.rack(['rollout', 'status', '--json'], { clock })).json().channels[0];
    expect(status.halted).toMatchObject({ by: expect.stringMatching(/^rack sync \(/), rack: 'canary' });
    expect(status.waves[0].racks[0]).toMatchObject({ name: 'canary', progress: 'failed' });
    const human = await f.rack(['rollout', 'status', '--channel', 'stable'], { clock });
    expect(human.stdout).toMatch(/HALTED by rack sync \(.+\), 3h ago: canary failed:/);

    const resumed = await f.rack(['rollout', 'resume', '1.3.1', '--channel', 'stable', '--json'], { clock });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json()).toMatchObject({ lifted: { rack: 'canary' }, racks: ['a', 'b', 'canary'] });
    for (const name of ['canary', 'a', 'b']) {
      const entries = (await f.rack(['history', '--rack', name, '--json'])).json().entries;
      expect(entries.map((e: { operation: string }) => e.operation)).toEqual(
        expect.arrayContaining(['rollout-halt', 'rollout-resume']),
      );
      expect(entries.find((e: { operation: string }) => e.operation === 'rollout-halt')).toMatchObject({
        to: '1.3.1',
        channel: 'stable',
        result: 'succeeded',
        note: expect.stringContaining('canary failed'),
      });
    }

    // The canary is tried again (its next update completes); the others follow once it is on the release.
    const retried = await f.rack(['sync', '--all', '--yes', '--json'], { clock });
    expect(retried.code, retried.stderr).toBe(0);
    expect(updated(byRack(retried.json()))).toEqual(['canary']);
    const rest = await f.rack(['sync', '--all', '--yes', '--json'], { clock });
    expect(updated(byRack(rest.json()))).toEqual(['a', 'b']);
  });

  it('halts by hand: sync touches nothing, status says who and why; a channel without rollout cannot be halted', async () => {
    const channels = await rolloutChannels({ rollout: WAVES_NO_BAKE });
    const f = await fleet(aws, channels, { canary: { labels: ['tier=canary'] }, a: {} });
    everyUpdate();
    const halted = await f.rack([
      'rollout',
      'halt',
      '1.3.1',
      '--channel',
      'stable',
      '--reason',
      'waiting for the CVE fix',
    ]);
    expect(halted.code, halted.stderr).toBe(0);
    expect(halted.stdout).toContain('Halted 1.3.1 on stable');
    const again = await f.rack(['rollout', 'halt', '1.3.1', '--channel', 'stable', '--reason', 'twice']);
    expect(again.stdout).toMatch(/^1\.3\.1 was already halted on stable by .+: waiting for the CVE fix/);

    const since = aws.proxy.requests.length;
    const sync = await f.rack(['sync', '--all', '--yes']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(aws.proxy.requests.slice(since).filter((r) => WRITES.test(r.action))).toEqual([]);
    expect(sync.stdout).toContain('Rollout of 1.3.1 on stable: HALTED by');
    const status = (await f.rack(['rollout', 'status', '--json'])).json().channels[0];
    expect(status.halted).toMatchObject({ reason: 'waiting for the CVE fix', by: expect.stringContaining('@') });
    expect(status.halted.rack).toBeUndefined();

    const unstable = await f.rack(['rollout', 'halt', '1.4.0', '--channel', 'unstable', '--reason', 'x']);
    expect(unstable.code).toBe(2);
    expect(unstable.stderr).toContain('The channel unstable has no rollout');
    const unknown = await f.rack(['rollout', 'halt', '9.9.9', '--channel', 'stable', '--reason', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('9.9.9 is not a release of stable.');
    const resumed = await f.rack(['rollout', 'resume', '1.3.1', '--channel', 'stable']);
    expect(resumed.stdout).toContain('Resumed 1.3.1 on stable');
    expect((await f.rack(['rollout', 'resume', '1.3.1', '--channel', 'stable'])).stdout).toContain(
      '1.3.1 was not halted on stable; nothing to resume.',
    );
  });

  it('two machines syncing against one S3 state store agree on the waves and the bake', async () => {
    const s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'team-state' }));
    const channels = await rolloutChannels();
    const shared = { RACK_STATE: 's3://team-state/rack' };
    const a = await fleet(aws, channels, tenRacks(), shared);
    // Machine B: another RACK_HOME, the same state store (registry included), its own clock.
    const b = { ...a.env, RACK_HOME: tempHome('rack-rollout-b-') };
    const runB = (args: string[], clock: ReturnType<typeof movableClock>) => a.rack(args, { env: b, clock });
    everyUpdate();
    const clockA = movableClock('2026-12-01T09:00:00Z');
    const clockB = movableClock('2026-12-01T09:00:05Z');

    const first = await a.rack(['sync', '--all', '--yes', '--json'], { clock: clockA });
    expect(updated(byRack(first.json()))).toEqual(['r4']);
    const statusA = (await a.rack(['rollout', 'status', '--json'], { clock: clockA })).json();
    const statusB = (await runB(['rollout', 'status', '--json'], clockB)).json();
    const waves = (status: { channels: Array<{ waves: Array<{ name: string; bakeStartedAt?: string }> }> }) =>
      status.channels[0]!.waves.map((w) => [w.name, w.bakeStartedAt]);
    expect(waves(statusB)).toEqual(waves(statusA));
    expect(waves(statusA)[0]![1]).toEqual(expect.any(String));

    clockB.advance(HOUR / 2);
    const early = await runB(['sync', '--all', '--yes', '--json'], clockB);
    expect(early.code, early.stderr).toBe(0);
    expect(updated(byRack(early.json()))).toEqual([]);

    clockB.advance(HOUR / 2 + 60_000);
    const second = await runB(['sync', '--all', '--yes', '--json'], clockB);
    expect(updated(byRack(second.json()))).toHaveLength(2);
    // Machine A, behind in time, sees the early wave done and baking from B's bake start.
    clockA.advance(HOUR + 90_000);
    const fromA = await a.rack(['sync', '--all', '--yes', '--json'], { clock: clockA });
    expect(updated(byRack(fromA.json()))).toEqual([]);
    expect(waves((await a.rack(['rollout', 'status', '--json'], { clock: clockA })).json())).toEqual(
      waves((await runB(['rollout', 'status', '--json'], clockB)).json()),
    );
  });
});

const WAVES_NO_BAKE = `rollout:
  bake: 0m
  waves:
    - name: canary
      selector: {tier: canary}
    - name: rest
      percent: 100
`;
