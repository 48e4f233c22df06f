import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChannel } from '../../../src/core/channels/channel.js';
import {
  assignWaves,
  bakeChanges,
  emptyProgress,
  type RackFact,
  type Rollout,
  rolloutOrder,
  rolloutView,
  waitingCount,
  waitingFor,
  waveState,
} from '../../../src/core/rollout.js';
import { errorOf } from '../channels/fixtures.js';

const HOUR = 3_600_000;
const ROLLOUT: Rollout = {
  bake: '1h',
  bakeMs: HOUR,
  waves: [
    { name: 'canary', selector: { tier: 'canary' } },
    { name: 'early', percent: 25 },
    { name: 'rest', percent: 100 },
  ],
};

const arn = (i: number) => `arn:aws:cloudformation:us-east-1:123456789012:stack/rack-${i}/0000-${i}`;
const fleet = (n: number, canaries = [0]): RackFact[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `r${i}`,
    identity: arn(i),
    labels: canaries.includes(i) ? { tier: 'canary' } : { tier: 'prod' },
    version: '1.3.0',
    phase: 'complete' as const,
  }));

const names = (waves: RackFact[][]) => waves.map((wave) => wave.map((r) => r.name));

describe('wave assignment', () => {
  it('puts the canary-labelled racks first, then a quarter of the channel, then the rest', () => {
    const racks = fleet(10, [3]);
    const waves = names(assignWaves(ROLLOUT, racks, '1.4.0'));
    expect(waves[0]).toEqual(['r3']);
    // 25% of 10, rounded up, counts the canary: two more racks.
    expect(waves[1]).toHaveLength(2);
    expect(waves[2]).toHaveLength(7);
    expect(new Set(waves.flat())).toEqual(new Set(racks.map((r) => r.name)));
  });

  it('is the same whatever order the registry lists racks in, and is another order for another release', () => {
    const racks = fleet(20);
    const a = names(assignWaves(ROLLOUT, racks, '1.4.0'));
    const b = names(assignWaves(ROLLOUT, [...racks].reverse(), '1.4.0'));
    expect(a).toEqual(b);
    expect(names(assignWaves(ROLLOUT, racks, '1.5.0'))[1]).not.toEqual(a[1]);
  });

  it('property: deterministic, a partition of the racks, stable across runs and different across releases', () => {
    const identity = fc.uuid().map((u) => `arn:aws:cloudformation:eu-west-1:111122223333:stack/r/${u}`);
    const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(identity, { minLength: 1, maxLength: 40 }),
        version,
        fc.integer({ min: 1, max: 100 }),
        (ids, v, percent) => {
          const racks = ids.map((id, i) => ({ name: `r${i}`, identity: id }));
          const rollout: Rollout = {
            bake: '0m',
            bakeMs: 0,
            waves: [
              { name: 'a', percent },
              { name: 'b', percent: 100 },
            ],
          };
          const first = assignWaves(rollout, racks, v);
          const again = assignWaves(
            rollout,
            fc.sample(fc.shuffledSubarray(racks, { minLength: racks.length }), 1)[0]!,
            v,
          );
          expect(names(again as RackFact[][])).toEqual(names(first as RackFact[][]));
          expect(first[0]).toHaveLength(Math.ceil((percent * racks.length) / 100));
          expect(first.flat()).toHaveLength(racks.length);
          expect(new Set(first.flat()).size).toBe(racks.length);
        },
      ),
    );
    // Across releases the order changes: for 30 racks, the first five of two releases almost never agree.
    fc.assert(
      fc.property(fc.uniqueArray(identity, { minLength: 30, maxLength: 30 }), version, version, (ids, v1, v2) => {
        fc.pre(v1 !== v2);
        const racks = ids.map((id, i) => ({ name: `r${i}`, identity: id }));
        const head = (v: string) =>
          rolloutOrder(racks, v)
            .slice(0, 5)
            .map((r) => r.name);
        expect(head(v1)).not.toEqual(head(v2));
      }),
      { numRuns: 200 },
    );
  });
});

describe('wave gating', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const at = (racks: RackFact[], updated: string[], version = '1.4.0') =>
    racks.map((r) => (updated.includes(r.name) ? { ...r, version } : r));

  it('opens the first wave only, until its racks are on the release and baked', () => {
    const racks = fleet(10, [3]);
    const view = rolloutView({ channel: 'stable', rollout: ROLLOUT, version: '1.4.0', racks, now });
    expect(view.waves.map((w) => w.open)).toEqual([true, false, false]);
    expect(waitingFor(view, 'r3')).toBeUndefined();
    const early = view.waves[1]!.racks[0]!.name;
    expect(waitingFor(view, early)).toBe('wave early waits for wave canary (1 of 1 rack not on 1.4.0 yet)');

    const done = at(racks, ['r3']);
    const baking = rolloutView({ channel: 'stable', rollout: ROLLOUT, version: '1.4.0', racks: done, now });
    expect(baking.waves[0]).toMatchObject({ complete: true, quiet: true, bakeLeftMs: HOUR, baked: false });
    expect(baking.waves.map(waveState)).toEqual(['baking, 1h left', 'waiting', 'waiting']);
    const progress = bakeChanges(baking, emptyProgress('stable', '1.4.0'), now)!;
    expect(progress.waves.canary).toEqual({ bakeStartedAt: now.toISOString() });
    expect(bakeChanges(baking, progress, now)).toBeUndefined();

    const later = new Date(now.getTime() + 40 * 60_000);
    const view40 = rolloutView({
      channel: 'stable',
      rollout: ROLLOUT,
      version: '1.4.0',
      racks: done,
      progress,
      now: later,
    });
    expect(view40.waves[0]!.bakeLeftMs).toBe(20 * 60_000);
    expect(waitingFor(view40, early)).toBe('wave early waits for wave canary to bake (20m left)');

    const baked = new Date(now.getTime() + HOUR);
    const view60 = rolloutView({
      channel: 'stable',
      rollout: ROLLOUT,
      version: '1.4.0',
      racks: done,
      progress,
      now: baked,
    });
    expect(view60.waves.map((w) => w.open)).toEqual([true, true, false]);
    expect(view60.waves.map(waveState)).toEqual(['done', 'in progress', 'waiting']);
    expect(view60.waves.map((w) => waitingCount(w.counts))).toEqual([0, 2, 7]);
  });

  it('does not hold later waves for a rack a known risk keeps off the release', () => {
    const racks = fleet(8, [0]).map((r) => (r.name === 'r0' ? { ...r, risk: 'small-instances' } : r));
    // Nothing of the canary wave was updated, so there is nothing to bake either.
    const view = rolloutView({ channel: 'stable', rollout: ROLLOUT, version: '1.4.0', racks, now });
    expect(view.waves[0]!.racks[0]).toMatchObject({ name: 'r0', progress: 'held', detail: 'small-instances' });
    expect(view.waves.map((w) => w.open)).toEqual([true, true, false]);
  });

  it('a halt closes every wave; a failure shows as failed; an alarm keeps a wave from baking', () => {
    const racks = at(fleet(4, [0]), ['r0']);
    const progress = {
      ...emptyProgress('stable', '1.4.0'),
      halted: { at: now.toISOString(), by: 'ops', reason: 'canary failed' },
      failures: { r1: { at: now.toISOString(), reason: 'rolled back' } },
    };
    const view = rolloutView({ channel: 'stable', rollout: ROLLOUT, version: '1.4.0', racks, progress, now });
    expect(view.waves.every((w) => !w.open)).toBe(true);
    expect(waitingFor(view, 'r0')).toBe('1.4.0 is halted on stable: canary failed');
    expect(view.waves.flatMap((w) => w.racks).find((r) => r.name === 'r1')?.progress).toBe('failed');

    const alarmed = racks.map((r) => (r.name === 'r0' ? { ...r, alarm: 'errors' } : r));
    const noisy = rolloutView({ channel: 'stable', rollout: ROLLOUT, version: '1.4.0', racks: alarmed, now });
    expect(noisy.waves[0]).toMatchObject({ complete: true, quiet: false, baked: false });
    // Every rack is on the release, but the wave is not done while the alarm fires.
    expect(waveState(noisy.waves[0]!)).toBe('not quiet: an alarm is in ALARM');
    const restarted = bakeChanges(
      noisy,
      { ...emptyProgress('stable', '1.4.0'), waves: { canary: { bakeStartedAt: 'x' } } },
      now,
    );
    expect(restarted?.waves.canary).toEqual({});
    expect(restarted?.log.at(-1)).toMatchObject({
      what: 'bake-restarted',
      wave: 'canary',
      reason: 'an alarm is in ALARM',
    });
  });

  it('ignores progress kept for another release', () => {
    const racks = at(fleet(2, [0]), ['r0']);
    const progress = { ...emptyProgress('stable', '1.3.0'), halted: { at: 'x', by: 'y', reason: 'z' } };
    const view = rolloutView({ channel: 'stable', rollout: ROLLOUT, version: '1.4.0', racks, progress, now });
    expect(view.halted).toBeUndefined();
  });
});

describe('a rollout in a channel file', () => {
  const channel = (rollout: string) => `schema: 1
name: stable
description: x
rollout:
${rollout}
releases: []
`;

  it('reads the waves and the bake', () => {
    const read = parseChannel(
      channel(`  bake: 1h
  waves:
    - name: canary
      selector: {tier: canary}
    - name: early
      percent: 25
    - name: rest
      percent: 100`),
      'channels/stable.yaml',
    );
    expect(read.rollout).toEqual(ROLLOUT);
  });

  it('names each problem with its line', () => {
    const error = errorOf(() =>
      parseChannel(
        channel(`  bake: soon
  waves:
    - name: canary
      selector: {tier: canary}
      percent: 5
    - name: canary
      percent: 50
    - name: late
      percent: 20`),
        'channels/stable.yaml',
      ),
    );
    expect(error.problems).toEqual([
      'channels/stable.yaml:5: rollout.bake: expected a duration like 7d, 36h or 1d12h, got "soon"',
      'channels/stable.yaml:7: rollout.waves[0]: a wave needs exactly one of selector or percent',
    ]);
    const second = errorOf(() =>
      parseChannel(
        channel(`  bake: 1h
  waves:
    - name: canary
      selector: {tier: canary}
    - name: canary
      percent: 50
    - name: late
      percent: 20`),
        'channels/stable.yaml',
      ),
    );
    expect(second.problems).toEqual([
      'channels/stable.yaml:9: rollout.waves[1].name: the wave canary is listed twice (also waves[0])',
      'channels/stable.yaml:12: rollout.waves[2].percent: 20% is less than the 50% an earlier wave reached (percentages count the racks done so far)',
      'channels/stable.yaml:11: rollout.waves[2]: the last wave must be percent: 100, so that every rack of the channel is in a wave',
    ]);
  });
});
