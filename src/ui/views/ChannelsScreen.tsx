/**
 * Channels: each channel's releases with the dates they entered it, barriers and yanks, its target, for a
 * fed channel what could be promoted next and how long each has left to soak, and for a channel with a
 * rollout where its release stands in its waves (done, failed, waiting, bake left, a halt).
 */
import { Box, Text } from 'ink';
import { formatDuration } from '../../core/channels/soak.js';
import { waitingCount, waveState } from '../../core/rollout.js';
import type { RolloutStatus } from '../../services/rollout.js';
import { cell, day } from '../format.js';
import type { ChannelsView } from '../../services/channelView.js';
import type { Loadable } from '../model/dashboardState.js';
import { SafeText } from './SafeText.js';

export interface Line {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

function channelLines(view: ChannelsView): Line[] {
  const lines: Line[] = [{ text: `Source: ${view.source}`, dim: true }];
  for (const channel of view.channels) {
    lines.push({ text: '' });
    const fed = channel.feeder ? ` · promoted from ${channel.feeder.channel} after ${channel.feeder.soak}` : '';
    lines.push({
      text: `${channel.name} — ${channel.description}${fed} · target ${channel.target ?? 'none'}`,
      bold: true,
    });
    const rollout = view.rollouts?.find((r) => r.channel === channel.name && r.version);
    if (rollout) lines.push(...rolloutLines(rollout));
    if (channel.releases.length === 0) lines.push({ text: '  (no releases)', dim: true });
    else lines.push({ text: `  ${cell('VERSION', 12)} ${cell('PROMOTED', 10)} NOTES`, dim: true });
    for (const release of channel.releases) {
      const notes = [
        release.target ? 'target' : '',
        release.barrier ? 'barrier' : '',
        release.forced ? 'promoted with --force' : '',
        release.yanked
          ? `yanked: ${release.yanked.reason}${release.yanked.fixedIn ? ` (fixed in ${release.yanked.fixedIn})` : ''}`
          : '',
      ].filter(Boolean);
      lines.push({
        text: `  ${cell(release.version, 12)} ${cell(day(release.entered), 10)} ${notes.join(' · ')}`,
        color: release.yanked ? 'magenta' : release.target ? 'green' : undefined,
      });
    }
    for (const pending of channel.pending) {
      const when = pending.ready
        ? 'soaked: may be promoted now'
        : `${formatDuration(pending.remainingMs)} of soak left (ready ${pending.readyAt.slice(0, 16).replace('T', ' ')})`;
      lines.push({
        text: `  next: ${pending.version}, in ${channel.feeder?.channel} since ${day(pending.entered)} — ${when}`,
        color: pending.ready ? 'green' : 'yellow',
      });
    }
  }
  return lines;
}

/** A channel's rollout: its release, each wave's racks done of all, failed, waiting and bake left; a halt. */
function rolloutLines(rollout: RolloutStatus): Line[] {
  const lines: Line[] = [{ text: `  rollout of ${rollout.version}, each wave baked ${rollout.bake}:` }];
  if (rollout.halted) {
    lines.push({ text: `  HALTED by ${rollout.halted.by}: ${rollout.halted.reason}`, color: 'red', bold: true });
  }
  for (const wave of rollout.waves) {
    const { done, failed, held } = wave.counts;
    const waiting = waitingCount(wave.counts);
    const counts = [
      `${done}/${wave.racks.length} done`,
      failed ? `${failed} failed` : '',
      waiting ? `${waiting} waiting` : '',
      held ? `${held} held by a known risk` : '',
    ].filter(Boolean);
    lines.push({
      text: `    wave ${wave.name}: ${counts.join(', ')} — ${waveState(wave)}`,
      color: failed ? 'red' : wave.baked ? 'green' : wave.complete ? 'yellow' : undefined,
      dim: !wave.open && !wave.complete && !failed,
    });
  }
  return lines;
}

export function ChannelsScreen({
  channels,
  scroll,
  height,
}: {
  channels: Loadable<ChannelsView>;
  scroll: number;
  height: number;
}) {
  if (channels.kind === 'loading') return <Text dimColor>Loading channels…</Text>;
  if (channels.kind !== 'ready') {
    return (
      <SafeText color="red" multiline>
        {channels.message}
      </SafeText>
    );
  }
  const lines = channelLines(channels.value);
  const start = Math.min(scroll, Math.max(0, lines.length - height));
  return (
    <Box flexDirection="column">
      {lines.slice(start, start + height).map((line, i) => (
        <SafeText key={start + i} color={line.color} bold={line.bold} dimColor={line.dim} wrap="truncate-end" keepLine>
          {line.text}
        </SafeText>
      ))}
      {lines.length > height ? (
        <Text
          dimColor
        >{`  lines ${start + 1}–${Math.min(lines.length, start + height)} of ${lines.length} (↑ ↓ to scroll)`}</Text>
      ) : null}
    </Box>
  );
}
