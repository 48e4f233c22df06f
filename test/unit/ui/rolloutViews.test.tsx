/** The dashboard's rollout parts: a channel's waves on the channels screen; a rack's labels and alarms in its details. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/services/rollout.js';
import { ChannelsScreen } from '../../../src/ui/views/ChannelsScreen.js';
import { RackDetails } from '../../../src/ui/views/RackDetails.js';
import { CHANNELS, NOW, plain, rack as rackOf, status } from './fixtures.js';

afterEach(() => cleanup());

const counts = (done: number, waiting = 0, failed = 0) => ({ done, failed, waiting, updating: 0, held: 0, unknown: 0 });
const rack = (name: string, progress: 'done' | 'waiting' | 'failed') => ({ name, progress });

const ROLLOUT: RolloutStatus = {
  channel: 'stable',
  version: '1.3.1',
  bake: '1h',
  waves: [
    {
      name: 'canary',
      selector: { tier: 'canary' },
      racks: [rack('c1', 'done')],
      counts: counts(1),
      complete: true,
      quiet: true,
      bakeStartedAt: '2026-11-20T09:00:00Z',
      bakeLeftMs: 20 * 60_000,
      baked: false,
      open: true,
    },
    {
      name: 'rest',
      percent: 100,
      racks: [rack('p1', 'waiting'), rack('p2', 'waiting')],
      counts: counts(0, 2),
      complete: false,
      quiet: false,
      baked: false,
      open: false,
    },
  ],
  failures: {},
  log: [],
};

const frame = (rollouts: RolloutStatus[]) =>
  plain(
    render(
      <ChannelsScreen channels={{ kind: 'ready', value: { ...CHANNELS, rollouts } }} scroll={0} height={40} />,
    ).lastFrame(),
  );

describe('ChannelsScreen with a rollout', () => {
  it("shows the channel's release in its waves: done of all, waiting, bake left", () => {
    const text = frame([ROLLOUT]);
    expect(text).toContain('rollout of 1.3.1, each wave baked 1h:');
    expect(text).toContain('wave canary: 1/1 done — baking, 20m left');
    expect(text).toContain('wave rest: 0/2 done, 2 waiting — waiting');
    // Under stable, not under unstable.
    expect(text.indexOf('rollout of 1.3.1')).toBeGreaterThan(text.indexOf('stable — Soaked'));
  });

  it('shows a halt, who made it and why, and the failed racks', () => {
    const text = frame([
      {
        ...ROLLOUT,
        halted: { at: '2026-11-20T09:30:00Z', by: 'rack sync (ops)', reason: 'c1 failed: rolled back', rack: 'c1' },
        waves: [
          {
            ...ROLLOUT.waves[0]!,
            racks: [rack('c1', 'failed')],
            counts: counts(0, 0, 1),
            complete: false,
            open: false,
          },
          ROLLOUT.waves[1]!,
        ],
      },
    ]);
    expect(text).toContain('HALTED by rack sync (ops): c1 failed: rolled back');
    expect(text).toContain('wave canary: 0/1 done, 1 failed — waiting');
  });

  it('shows nothing of rollouts for channels without one', () => {
    expect(frame([])).not.toContain('rollout of');
  });
});

describe('RackDetails with labels and alarms', () => {
  it('shows the labels and the alarm rollback triggers under the stack line', () => {
    const prod = rackOf('prod', { labels: { region: 'eu', tier: 'canary' }, alarms: ['prod-5xx'], monitorMinutes: 10 });
    const text = plain(
      render(
        <RackDetails
          details={{
            rack: 'prod',
            cursor: 0,
            tab: 'history',
            parameters: { kind: 'loading' },
            history: { kind: 'ready', value: [] },
            instances: { kind: 'loading' },
          }}
          entry={{ rack: prod, loading: false, status: status(prod) }}
          viewport={{ rows: 30, columns: 100 }}
          now={NOW.getTime()}
        />,
      ).lastFrame(),
    );
    expect(text).toContain('Labels region=eu, tier=canary · alarms prod-5xx (monitored 10 min)');
  });
});
