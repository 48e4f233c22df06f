/**
 * The racks table as state: the registered racks with their statuses as they arrive, the filter, the
 * selection (kept by name, so rows arriving or leaving do not move it) and the scroll window, of which
 * only the visible rows are rendered.
 */
import type { RackStatus } from '../../services/status.js';
import type { Rack } from '../../state/registry.js';

export interface RackEntry {
  rack: Rack;
  status?: RackStatus;
  /** Why the status could not be read; the rack stays listed. */
  problem?: string;
  /** A status read is under way (the previous status, if any, is still shown). */
  loading: boolean;
}

export type RowState = RackStatus['state'] | 'loading' | 'unreachable';

export function rowState(entry: RackEntry): RowState {
  if (entry.status) return entry.status.state;
  if (entry.problem) return 'unreachable';
  return 'loading';
}

export const STATE_LABELS: Record<RowState, string> = {
  'up-to-date': 'up to date',
  'update-available': 'update available',
  yanked: 'on a yanked release',
  'in-progress': 'operation in progress',
  failed: 'failed',
  unknown: 'unknown',
  unreachable: 'unreachable',
  loading: 'loading…',
};

export interface Viewport {
  rows: number;
  columns: number;
}

/** Lines around the table: title, column headings, status line and key hints. */
const CHROME_LINES = 6;

export function tableHeight(viewport: Viewport): number {
  return Math.max(3, viewport.rows - CHROME_LINES);
}

export function matchesFilter(entry: RackEntry, filter: string): boolean {
  const wanted = filter.trim().toLowerCase();
  if (!wanted) return true;
  const { rack, status } = entry;
  const fields = [
    rack.name,
    rack.stack,
    rack.region,
    rack.channel,
    status?.version,
    status?.target,
    STATE_LABELS[rowState(entry)],
  ];
  return fields.some((field) => field?.toLowerCase().includes(wanted));
}

export interface TableWindow {
  /** The racks the filter lets through. */
  visible: RackEntry[];
  /** Index of the selected rack in `visible`; -1 when nothing is visible. */
  selected: number;
  /** The first rendered row and how many are rendered. */
  start: number;
  height: number;
}

/**
 * Which rows to render: the window of `height` rows starting at `offset`, moved just enough to show the
 * selected rack, and never past the end.
 */
export function tableWindow(
  entries: readonly RackEntry[],
  filter: string,
  selectedName: string | undefined,
  offset: number,
  viewport: Viewport,
): TableWindow {
  const visible = entries.filter((entry) => matchesFilter(entry, filter));
  const height = tableHeight(viewport);
  let selected = visible.findIndex((entry) => entry.rack.name === selectedName);
  if (selected < 0 && visible.length > 0) selected = 0;
  let start = Math.min(offset, Math.max(0, visible.length - height));
  if (selected >= 0 && selected < start) start = selected;
  if (selected >= start + height) start = selected - height + 1;
  return { visible, selected, start: Math.max(0, start), height };
}
