/**
 * One rack in detail: what it runs and where its channel would take it, then its parameters (NoEcho
 * always masked), its history and its instances, one tab at a time.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { formatLabels } from '../../core/labels.js';
import { ago, cell, elapsed } from '../format.js';
import {
  DETAILS_TABS,
  type DetailsState,
  type DetailsTab,
  type InstanceRow,
  type Loadable,
  type RackParameters,
} from '../model/dashboardState.js';
import { rowState, STATE_LABELS, type RackEntry, type Viewport } from '../model/racks.js';
import type { HistoryEntry } from '../../state/history.js';
import { DEFAULT_MONITOR_MINUTES } from '../../state/registry.js';
import { STATE_COLORS, versionText } from './rackRow.js';
import { SafeText } from './SafeText.js';

export interface RackDetailsProps {
  details: DetailsState;
  entry?: RackEntry;
  viewport: Viewport;
  now: number;
}

const TAB_NAMES: Record<DetailsTab, string> = { parameters: 'Parameters', history: 'History', instances: 'Instances' };

export function RackDetails({ details, entry, viewport, now }: RackDetailsProps) {
  const summary = summaryLines(entry, now);
  // Title, summary, tabs, headings, notice and key hints around the list.
  const listHeight = Math.max(3, viewport.rows - summary.length - 6);
  return (
    <Box flexDirection="column">
      {summary.map((line, i) => (
        <SafeText key={i} color={line.color} wrap="truncate-end">
          {line.text}
        </SafeText>
      ))}
      <Text>
        {DETAILS_TABS.map((tab) => (
          <Text key={tab} inverse={tab === details.tab} bold={tab === details.tab}>
            {` ${TAB_NAMES[tab]} `}
          </Text>
        ))}
      </Text>
      <TabBody details={details} height={listHeight} width={viewport.columns} now={now} />
    </Box>
  );
}

function summaryLines(entry: RackEntry | undefined, now: number): { text: string; color?: string }[] {
  if (!entry) return [{ text: 'This rack is no longer registered.', color: 'red' }];
  const { rack, status } = entry;
  const lines: { text: string; color?: string }[] = [
    {
      text: `Stack ${rack.stack} in ${rack.region}${rack.profile ? ` (profile ${rack.profile})` : ''} · channel ${rack.channel}${rack.window ? ` · window ${rack.window}` : ''}`,
    },
  ];
  const labels = formatLabels(rack.labels, ', ');
  if (labels || rack.alarms?.length) {
    lines.push({
      text: [
        labels ? `Labels ${labels}` : '',
        rack.alarms?.length
          ? `alarms ${rack.alarms.join(', ')} (monitored ${rack.monitorMinutes ?? DEFAULT_MONITOR_MINUTES} min)`
          : '',
      ]
        .filter(Boolean)
        .join(' · '),
    });
  }
  if (!status) {
    lines.push({
      text: entry.problem ? `Cannot read the stack: ${entry.problem}` : 'Reading the stack…',
      color: entry.problem ? 'red' : 'gray',
    });
    return lines;
  }
  const state = rowState(entry);
  const path = status.path.length > 0 ? `path ${[status.version, ...status.path].join(' → ')}` : 'no update to make';
  lines.push({
    text: `Version ${versionText(status.version, status.release)} · target ${status.target ?? '-'} · ${path}`,
  });
  lines.push({
    text: `State: ${STATE_LABELS[state]} · stack ${status.stackStatus ?? '-'}`,
    color: STATE_COLORS[state],
  });
  if (status.lock) {
    const h = status.lock.holder;
    lines.push({
      text: `Lock: ${h.operation} by ${h.user}@${h.host} since ${ago(h.since, new Date(now))}${status.lock.stale ? ` (stale: ${status.lock.stale})` : ''}`,
      color: 'cyan',
    });
  }
  for (const warning of status.warnings) lines.push({ text: `Warning: ${warning}`, color: 'yellow' });
  return lines;
}

function TabBody({
  details,
  height,
  width,
  now,
}: {
  details: DetailsState;
  height: number;
  width: number;
  now: number;
}) {
  switch (details.tab) {
    case 'parameters':
      return (
        <Loaded
          value={details.parameters}
          render={(value) => <ParametersTable value={value} cursor={details.cursor} height={height} width={width} />}
        />
      );
    case 'history':
      return (
        <Loaded
          value={details.history}
          render={(value) => (
            <HistoryList entries={value} cursor={details.cursor} height={height} width={width} now={now} />
          )}
        />
      );
    case 'instances':
      return (
        <Loaded
          value={details.instances}
          render={(value) => <InstancesTable rows={value} cursor={details.cursor} height={height} width={width} />}
        />
      );
  }
}

function Loaded<T>({ value, render }: { value: Loadable<T>; render: (value: T) => ReactNode }) {
  switch (value.kind) {
    case 'loading':
      return <Text dimColor>Loading…</Text>;
    case 'failed':
      return (
        <SafeText color="red" multiline>
          {value.message}
        </SafeText>
      );
    case 'ready':
      return <>{render(value.value)}</>;
  }
}

/** The rows of a list that fit, keeping the cursor in view. */
function windowAround<T>(items: readonly T[], cursor: number, height: number): { start: number; rows: T[] } {
  const start = Math.max(0, Math.min(cursor - Math.floor(height / 2), items.length - height));
  return { start, rows: items.slice(start, start + height) };
}

function ParametersTable({
  value,
  cursor,
  height,
  width,
}: {
  value: RackParameters;
  cursor: number;
  height: number;
  width: number;
}) {
  if (value.shown.length === 0) return <Text dimColor>The stack has no parameters.</Text>;
  const keyWidth = Math.min(28, Math.max(9, ...value.shown.map((p) => p.key.length)));
  const valueWidth = Math.min(32, Math.max(5, ...value.shown.map((p) => (p.value ?? '').length)));
  const { start, rows } = windowAround(value.shown, cursor, height - 1);
  return (
    <Box flexDirection="column">
      <Text
        bold
      >{`  ${cell('PARAMETER', keyWidth)} ${cell('VALUE', valueWidth)} ${cell('DEFAULT', 7)} CONSTRAINT`}</Text>
      {rows.map((p, i) => {
        const selected = start + i === cursor;
        const isDefault = p.isDefault === null ? '?' : p.isDefault ? 'yes' : 'no';
        const constraint = [p.noEcho ? 'NoEcho' : '', p.constraint ?? ''].filter(Boolean).join(', ');
        return (
          <Text key={p.key} inverse={selected} wrap="truncate-end">
            {cell(
              `${selected ? '› ' : '  '}${cell(p.key, keyWidth)} ${cell(p.value ?? '', valueWidth)} ${cell(isDefault, 7)} ${constraint}`,
              width - 1,
            )}
          </Text>
        );
      })}
    </Box>
  );
}

function HistoryList({
  entries,
  cursor,
  height,
  width,
  now,
}: {
  entries: HistoryEntry[];
  cursor: number;
  height: number;
  width: number;
  now: number;
}) {
  if (entries.length === 0) return <Text dimColor>No operations recorded for this rack yet.</Text>;
  // Newest first: the last operation is what one looks for.
  const newest = [...entries].reverse();
  const { start, rows } = windowAround(newest, cursor, height);
  return (
    <Box flexDirection="column">
      {rows.map((e, i) => {
        const selected = start + i === cursor;
        const span = e.from || e.to ? `${e.from ?? '?'} → ${e.to ?? '?'}` : '';
        const took = e.durationMs !== undefined ? elapsed(e.durationMs) : '';
        const text = `${selected ? '› ' : '  '}${cell(e.startedAt.slice(0, 16).replace('T', ' '), 16)} ${cell(ago(e.startedAt, new Date(now)), 8)} ${cell(e.operation, 18)} ${cell(span, 17)} ${cell(e.result, 15)} ${cell(took, 7)} ${e.user}${e.cause ? ` — ${e.cause}` : ''}`;
        return (
          <Text
            key={e.id}
            inverse={selected}
            color={e.result === 'succeeded' ? undefined : 'yellow'}
            wrap="truncate-end"
          >
            {cell(text, width - 1)}
          </Text>
        );
      })}
    </Box>
  );
}

type InstanceCells = {
  id: string;
  state: string;
  health: string;
  zone: string;
  type: string;
  note: string;
  launched: string;
};
const INSTANCE_HEADINGS: InstanceCells = {
  id: 'INSTANCE',
  state: 'STATE',
  health: 'HEALTH',
  zone: 'ZONE',
  type: 'TYPE',
  note: 'KEY · ECS',
  launched: 'LAUNCHED',
};

function InstancesTable({
  rows: all,
  cursor,
  height,
  width,
}: {
  rows: InstanceRow[];
  cursor: number;
  height: number;
  width: number;
}) {
  if (all.length === 0) return <Text dimColor>The rack has no instances.</Text>;
  const { start, rows } = windowAround(all, cursor, height - 1);
  const cells = all.map(
    (r): InstanceCells => ({
      id: r.id,
      state: r.state,
      health: r.health ?? '-',
      zone: r.zone ?? '-',
      type: r.type ?? '-',
      note: r.note ?? '',
      launched: r.launchedAt ?? '-',
    }),
  );
  const w = (key: keyof InstanceCells) => Math.max(INSTANCE_HEADINGS[key].length, ...cells.map((c) => c[key].length));
  // The key and ECS notes before the launch time: they are what a keyroll is about.
  const line = (c: InstanceCells) =>
    `${cell(c.id, w('id'))} ${cell(c.state, w('state'))} ${cell(c.health, w('health'))} ${cell(c.zone, w('zone'))} ${cell(c.type, w('type'))} ${cell(c.note, w('note'))} ${c.launched}`;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{`  ${line(INSTANCE_HEADINGS)}`}</Text>
      {rows.map((r, i) => {
        const selected = start + i === cursor;
        return (
          <Text key={r.id} inverse={selected} wrap="truncate-end">
            {cell(`${selected ? '› ' : '  '}${line(cells[start + i]!)}`, width - 1)}
          </Text>
        );
      })}
    </Box>
  );
}
