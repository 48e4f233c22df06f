import { describe, expect, it } from 'vitest';
import { checkPromotion, formatDuration, soakRemaining } from '../../../src/core/channels/soak.js';
import { createChannel } from '../../../src/core/channels/channel.js';
import { channelOf, errorOf } from './fixtures.js';

const HOUR = 3_600_000;
const unstable = createChannel({
  schema: 1,
  name: 'unstable',
  description: '',
  releases: [{ version: '1.4.0', entered: '2025-03-01T12:00:00Z' }],
});
const stable = channelOf('stable', ['1.3.0'], { channel: 'unstable', soak: '7d' });
const at = (iso: string) => new Date(iso);

describe('the soak period before a promotion', () => {
  it('counts from the time the release entered the feeder channel', () => {
    expect(soakRemaining(stable, unstable, '1.4.0', at('2025-03-01T12:00:00Z'))).toBe(7 * 24 * HOUR);
    expect(soakRemaining(stable, unstable, '1.4.0', at('2025-03-07T12:00:00Z'))).toBe(24 * HOUR);
  });

  it('is over once the full period has passed', () => {
    expect(soakRemaining(stable, unstable, '1.4.0', at('2025-03-08T12:00:00Z'))).toBe(0);
    expect(soakRemaining(stable, unstable, '1.4.0', at('2026-01-01T00:00:00Z'))).toBe(0);
  });

  it('does not apply to a channel without a feeder', () => {
    expect(soakRemaining(unstable, undefined, '9.9.9', at('2025-03-01T12:00:00Z'))).toBe(0);
  });

  it('refuses a version that is not in the feeder channel', () => {
    const error = errorOf(() => soakRemaining(stable, unstable, '1.5.0', at('2025-03-10T00:00:00Z')));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('1.5.0 is not in unstable, the channel stable is promoted from.');
    expect(error.details?.reason).toBe('not-in-feeder');
  });

  it('is a programming error when given the wrong feeder', () => {
    expect(errorOf(() => soakRemaining(stable, stable, '1.4.0', at('2025-03-10T00:00:00Z'))).kind).toBe('internal');
  });

  it('refuses a promotion before the soak period unless forced', () => {
    const now = at('2025-03-07T10:30:00Z');
    const error = errorOf(() => checkPromotion(stable, unstable, '1.4.0', now));
    expect(error.message).toBe('1.4.0 has soaked in unstable for less than 7d; 1d 1h 30m to go.');
    expect(error.next).toContain('--force');
    expect(error.details).toMatchObject({ reason: 'soak', remainingMs: 25.5 * HOUR });
    expect(() => checkPromotion(stable, unstable, '1.4.0', now, { force: true })).not.toThrow();
    expect(() => checkPromotion(stable, unstable, '1.4.0', at('2025-03-08T12:00:00Z'))).not.toThrow();
  });

  it('shows durations in whole minutes, rounded up', () => {
    expect(formatDuration(1)).toBe('1m');
    expect(formatDuration(2 * 24 * HOUR)).toBe('2d');
    expect(formatDuration(5 * HOUR + 10 * 60_000)).toBe('5h 10m');
    expect(formatDuration(0)).toBe('0m');
    expect(formatDuration(24 * HOUR + 5 * 60_000)).toBe('1d 5m');
  });

  it('with maxParts, keeps that many units from the largest one down', () => {
    expect(formatDuration(25 * HOUR + 30 * 60_000, { maxParts: 2 })).toBe('1d 1h');
    expect(formatDuration(24 * HOUR + 5 * 60_000, { maxParts: 2 })).toBe('1d');
    expect(formatDuration(90 * 60_000, { maxParts: 2 })).toBe('1h 30m');
    expect(formatDuration(29 * 60_000 + 1, { maxParts: 2 })).toBe('30m');
    expect(formatDuration(0, { maxParts: 2 })).toBe('0m');
  });
});
