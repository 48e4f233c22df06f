import { internalError, refused } from '../../errors.js';
import type { Channel } from './channel.js';

/**
 * The promotion policy: a release enters a fed channel (stable) from its feeder (unstable) once it has soaked
 * there for the feeder's period. Pure: the time is passed in.
 */

/**
 * Milliseconds left before `version` may be promoted into `channel`; 0 when it may be promoted now, and
 * always 0 for a channel without a feeder (releases enter it directly). Refuses (exit 3) when the version
 * is not in the feeder channel, since there is nothing it could have soaked in.
 */
export function soakRemaining(channel: Channel, feeder: Channel | undefined, version: string, now: Date): number {
  if (!channel.feeder) return 0;
  if (!feeder || feeder.name !== channel.feeder.channel) {
    throw internalError(
      `The feeder of ${channel.name} is ${channel.feeder.channel}, not ${feeder?.name ?? 'missing'}.`,
    );
  }
  const entry = feeder.get(version);
  if (!entry) {
    throw refused(`${version} is not in ${feeder.name}, the channel ${channel.name} is promoted from.`, {
      untouched: 'No channel was changed.',
      next: `Promote ${version} to ${feeder.name} first.`,
      details: { reason: 'not-in-feeder', version, channel: channel.name, feeder: feeder.name },
    });
  }
  const ready = Date.parse(entry.entered) + channel.feeder.soakMs;
  return Math.max(0, ready - now.getTime());
}

/** Refuses (exit 3) a promotion before the soak period is over, unless forced. */
export function checkPromotion(
  channel: Channel,
  feeder: Channel | undefined,
  version: string,
  now: Date,
  options: { force?: boolean } = {},
): void {
  const remaining = soakRemaining(channel, feeder, version, now);
  if (remaining === 0 || options.force) return;
  throw refused(
    `${version} has soaked in ${feeder!.name} for less than ${channel.feeder!.soak}; ${formatDuration(remaining)} to go.`,
    {
      untouched: 'No channel was changed.',
      next: `Wait, or promote it now with --force.`,
      details: { reason: 'soak', version, channel: channel.name, remainingMs: remaining },
    },
  );
}

/**
 * "2d 3h", "5h 10m", "1m": whole minutes, rounded up so that "0m" never means "not yet". With `maxParts`,
 * only that many units from the largest one down ("1d 2h" rather than "1d 2h 5m"), for text read at a glance.
 */
export function formatDuration(ms: number, options: { maxParts?: number } = {}): string {
  const minutes = Math.ceil(ms / 60_000);
  const units: Array<[number, string]> = [
    [Math.floor(minutes / 1440), 'd'],
    [Math.floor((minutes % 1440) / 60), 'h'],
    [minutes % 60, 'm'],
  ];
  const largest = units.findIndex(([count]) => count > 0);
  if (largest === -1) return `${minutes % 60}m`;
  return units
    .slice(largest, largest + (options.maxParts ?? units.length))
    .filter(([count]) => count > 0)
    .map(([count, unit]) => `${count}${unit}`)
    .join(' ');
}
