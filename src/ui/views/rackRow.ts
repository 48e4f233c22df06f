/**
 * The racks table's cells as text, and the column widths: sized to the longest cell among the racks the
 * filter lets through (not only the visible rows, so columns stay put while scrolling), with the last
 * column taking what is left of the terminal.
 */
import { ago } from '../format.js';
import { rowState, STATE_LABELS, type RackEntry, type RowState } from '../model/racks.js';

export interface RackCells {
  name: string;
  channel: string;
  version: string;
  target: string;
  state: string;
  last: string;
}

export const HEADINGS: RackCells = {
  name: 'NAME',
  channel: 'CHANNEL',
  version: 'VERSION',
  target: 'TARGET',
  state: 'STATE',
  last: 'LAST OPERATION',
};

export function versionText(version: string | undefined, release: 'known' | 'unknown' | undefined): string {
  if (!version) return '-';
  return release === 'unknown' ? `${version} (unknown release)` : version;
}

export function rackCells(entry: RackEntry, now: Date): RackCells {
  const { rack, status } = entry;
  const state = rowState(entry);
  return {
    name: rack.name,
    channel: rack.channel,
    version: status ? versionText(status.version, status.release) : '',
    target: status?.target ?? (status ? '-' : ''),
    state: STATE_LABELS[state] + (entry.loading && status ? ' ↻' : ''),
    last: lastOperationText(entry, now),
  };
}

function lastOperationText(entry: RackEntry, now: Date): string {
  const { status } = entry;
  if (!status) return entry.problem ?? '';
  if (status.lock && !status.lock.stale) {
    const holder = status.lock.holder;
    return `${holder.operation} running (${holder.user}@${holder.host}), since ${ago(holder.since, now)}`;
  }
  const last = status.lastOperation;
  if (!last) return '-';
  // Compact: the from→to of each operation is in the rack's history.
  return `${last.operation}${last.to ? `→${last.to}` : ''} ${last.result} ${ago(last.startedAt, now)}`;
}

export type Widths = Record<keyof RackCells, number>;

/** Two for the selection marker, one space between columns. */
const MARKER = 2;
const GAPS = 5;
const CAPS: Omit<Widths, 'last'> = { name: 24, channel: 12, version: 28, target: 12, state: 24 };

export function columnWidths(cells: readonly RackCells[], columns: number): Widths {
  const width = (key: keyof typeof CAPS) =>
    Math.min(CAPS[key], Math.max(HEADINGS[key].length, ...cells.map((c) => c[key].length)));
  const fixed = {
    name: width('name'),
    channel: width('channel'),
    version: width('version'),
    target: width('target'),
    state: width('state'),
  };
  const used = MARKER + GAPS + fixed.name + fixed.channel + fixed.version + fixed.target + fixed.state;
  return { ...fixed, last: Math.max(8, columns - used - 1) };
}

export const STATE_COLORS: Record<RowState, string | undefined> = {
  'up-to-date': 'green',
  'update-available': 'yellow',
  yanked: 'magenta',
  'in-progress': 'cyan',
  failed: 'red',
  unknown: 'gray',
  unreachable: 'red',
  loading: 'gray',
};
