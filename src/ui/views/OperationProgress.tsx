/**
 * A live operation: per rack its hops with progress, stack status, health and instances; the resource
 * events as they stream; the time elapsed; and the outcome. The dashboard and the commands' live views
 * both render this.
 */
import { Box, Text } from 'ink';
import { cell, clockTime, elapsed } from '../format.js';
import type { HopProgress, OperationState, RackProgress } from '../model/operation.js';
import { SafeText } from './SafeText.js';

export interface OperationProgressProps {
  state: OperationState;
  /** Lines available; resource events get what the racks leave. */
  height: number;
  width: number;
  /** "1.9.9 (unknown release)" for a version the catalog lacks. */
  describe?: (version: string) => string;
}

const HOP_MARKS: Record<HopProgress['status'], { mark: string; color?: string }> = {
  pending: { mark: '·', color: 'gray' },
  running: { mark: '▶', color: 'cyan' },
  done: { mark: '✓', color: 'green' },
  failed: { mark: '✗', color: 'red' },
};

export function OperationProgress({ state, height, width, describe = (v) => v }: OperationProgressProps) {
  const several = state.racks.length > 1;
  const rackLines = several
    ? fleetLines(state.racks, Math.max(3, Math.floor(height / 2)), describe)
    : state.racks.flatMap((rack) => progressLines(rack, false, describe));
  const fixed =
    2 +
    rackLines.length +
    state.warnings.slice(-3).length +
    (state.steps.length > 0 ? 1 : 0) +
    (state.outcome ? 1 + state.outcome.text.split('\n').length : 0);
  const room = Math.max(0, height - fixed - 1);
  const resources = room > 0 ? state.resources.slice(-room) : [];
  const spent = elapsed(state.now - state.startedAt);
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between" width={width - 1}>
        <SafeText bold wrap="truncate-end">
          {state.title}
        </SafeText>
        <Text dimColor>{state.outcome ? `took ${spent}` : `elapsed ${spent}`}</Text>
      </Box>
      {rackLines.map((line, i) => (
        <SafeText key={i} color={line.color} wrap="truncate-end">
          {line.text}
        </SafeText>
      ))}
      {state.steps.length > 0 ? (
        <SafeText dimColor wrap="truncate-end">
          {state.steps.at(-1) ?? ''}
        </SafeText>
      ) : null}
      {state.warnings.slice(-3).map((warning, i) => (
        <SafeText key={`w${i}`} color="yellow" wrap="truncate-end">
          {`Warning: ${warning}`}
        </SafeText>
      ))}
      <Text bold>
        {state.resources.length > 0 ? `Resource events (${state.resources.length})` : 'Resource events: none yet'}
      </Text>
      {resources.map((r, i) => (
        <SafeText
          key={`r${state.resources.length - resources.length + i}`}
          color={/FAILED$/.test(r.status) ? 'red' : /COMPLETE$/.test(r.status) ? 'green' : undefined}
          wrap="truncate-end"
        >
          {`  ${clockTime(r.at)} ${several ? `${cell(r.rack, 12)} ` : ''}${cell(r.logicalId, 26)} ${cell(r.resourceType, 32)} ${r.status}${r.reason ? `: ${r.reason}` : ''}`}
        </SafeText>
      ))}
      {state.outcome ? (
        <>
          <Text> </Text>
          <SafeText bold color={state.outcome.ok ? 'green' : 'red'} wrap="wrap" multiline>
            {`${state.outcome.ok ? '✓' : '✗'} ${state.outcome.text}`}
          </SafeText>
        </>
      ) : null}
    </Box>
  );
}

/**
 * Many racks at once (sync): a count of those done, then one line per rack still running and per rack
 * that failed, within `limit` lines; the racks that finished well are only counted.
 */
function fleetLines(
  racks: RackProgress[],
  limit: number,
  describe: (v: string) => string,
): { text: string; color?: string }[] {
  const done = racks.filter((r) => r.done);
  const count = (outcome: 'ok' | 'failed' | 'skipped') => done.filter((r) => r.done!.outcome === outcome).length;
  const failed = count('failed');
  const lines: { text: string; color?: string }[] = [
    {
      text: `${done.length} of ${racks.length} racks done: ${count('ok')} updated, ${failed} failed, ${count('skipped')} skipped`,
      color: failed > 0 ? 'red' : undefined,
    },
  ];
  const running = racks.filter((r) => !r.done);
  const shown = [...done.filter((r) => r.done!.outcome === 'failed'), ...running];
  for (const rack of shown.slice(0, limit - 1)) {
    const [first] = progressLines(rack, true, describe);
    const health = rack.health && !rack.done ? ` · ${rack.health.text}` : '';
    lines.push({ text: `${first!.text}${health}${rack.done ? ` · ${rack.done.text}` : ''}`, color: first!.color });
  }
  if (shown.length > limit - 1) lines.push({ text: `… and ${shown.length - (limit - 1)} more`, color: 'gray' });
  return lines;
}

function progressLines(
  rack: RackProgress,
  several: boolean,
  describe: (v: string) => string,
): { text: string; color?: string }[] {
  const lines: { text: string; color?: string }[] = [];
  const prefix = several ? `${rack.rack}: ` : '';
  const hops = rack.hops.map((hop) => {
    const { mark } = HOP_MARKS[hop.status];
    const span =
      hop.from || hop.to ? ` ${hop.from ? describe(hop.from) : '…'} → ${hop.to ? describe(hop.to) : '…'}` : '';
    return `${mark} hop ${hop.index}/${rack.hops.length}${span}${hop.ms !== undefined ? ` (${elapsed(hop.ms)})` : ''}`;
  });
  const running = rack.hops.find((h) => h.status === 'failed') ?? rack.hops.find((h) => h.status === 'running');
  lines.push({
    text: `${prefix}${hops.length > 0 ? hops.join('   ') : 'starting'}${rack.stackStatus ? `   stack ${rack.stackStatus}` : ''}`,
    color: rack.done
      ? rack.done.outcome === 'failed'
        ? 'red'
        : rack.done.outcome === 'ok'
          ? 'green'
          : 'gray'
      : running
        ? HOP_MARKS[running.status].color
        : undefined,
  });
  if (rack.stackReason && /FAILED|ROLLBACK/.test(rack.stackStatus ?? ''))
    lines.push({ text: `  reason: ${rack.stackReason}`, color: 'red' });
  if (rack.health)
    lines.push({
      text: `  ${rack.health.text}`,
      color: rack.health.ok ? 'green' : rack.health.ok === false ? 'yellow' : undefined,
    });
  for (const instance of rack.instances) lines.push({ text: `  ${instance.id}: ${instance.text}` });
  if (rack.done) lines.push({ text: `  ${rack.done.text}`, color: rack.done.outcome === 'failed' ? 'red' : undefined });
  return lines;
}
