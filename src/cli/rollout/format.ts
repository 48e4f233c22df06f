/** `rack rollout status` in words: each channel's release, its waves, each rack's place, the halt. */
import { formatDuration } from '../../core/channels/soak.js';
import { formatLabels } from '../../core/labels.js';
import { waitingCount, waveState } from '../../core/rollout.js';
import type { RolloutStatus } from '../../services/rollout.js';
import { table } from '../table.js';

export function renderRolloutStatus(channels: readonly RolloutStatus[], now: Date): string {
  if (channels.length === 0) return 'No channel has a rollout: `rack sync` takes every rack of a channel at once.';
  return channels.map((channel) => renderChannel(channel, now)).join('\n\n');
}

function renderChannel(status: RolloutStatus, now: Date): string {
  if (!status.version) {
    return `${status.channel}: no rollout (every rack at once), or no release to roll out.`;
  }
  const lines = [`${status.channel}: ${status.version}, waves baked ${status.bake} each`];
  if (status.halted) {
    // Whole minutes ago, rounded down (bake left is rounded up).
    const agoMs = Math.floor(Math.max(0, now.getTime() - Date.parse(status.halted.at)) / 60_000) * 60_000;
    lines.push(`HALTED by ${status.halted.by}, ${formatDuration(agoMs, { maxParts: 2 })} ago: ${status.halted.reason}`);
    lines.push(`  Resume with \`rack rollout resume ${status.version} --channel ${status.channel}\`.`);
  }
  const rows = status.waves.map((wave) => [
    wave.name,
    wave.selector ? formatLabels(wave.selector) : `${wave.percent}%`,
    String(wave.racks.length),
    String(wave.counts.done),
    String(wave.counts.failed),
    String(waitingCount(wave.counts)),
    String(wave.counts.held),
    waveState(wave),
  ]);
  lines.push(table(['WAVE', 'PICKS', 'RACKS', 'DONE', 'FAILED', 'WAITING', 'HELD', 'STATE'], rows));
  const notable = status.waves.flatMap((wave) =>
    wave.racks
      .filter((rack) => rack.progress !== 'done' || rack.detail)
      .map(
        (rack) =>
          `  ${wave.name}/${rack.name}: ${rack.progress}${rack.version ? ` (at ${rack.version})` : ''}${rack.detail ? ` — ${rack.detail}` : ''}`,
      ),
  );
  if (notable.length) lines.push(...notable);
  return lines.join('\n');
}
