/**
 * The racks table. Only the rows in the window are rendered, so 200 racks cost what a screenful does.
 */
import { Box, Text } from 'ink';
import { cell } from '../format.js';
import { rowState, tableWindow, type RackEntry, type Viewport } from '../model/racks.js';
import { columnWidths, HEADINGS, rackCells, STATE_COLORS, type RackCells, type Widths } from './rackRow.js';

export interface RackTableProps {
  racks: readonly RackEntry[];
  filter: string;
  selected?: string;
  offset: number;
  viewport: Viewport;
  now: number;
}

export function RackTable({ racks, filter, selected, offset, viewport, now }: RackTableProps) {
  const window = tableWindow(racks, filter, selected, offset, viewport);
  const at = new Date(now);
  const cells = window.visible.map((entry) => rackCells(entry, at));
  const widths = columnWidths(cells, viewport.columns);
  const rows = window.visible.slice(window.start, window.start + window.height);
  return (
    <Box flexDirection="column">
      <Text bold>{line('  ', HEADINGS, widths)}</Text>
      {rows.length === 0 ? (
        <Text dimColor>
          {racks.length === 0
            ? '  No racks are registered. Add one with `rack racks add <name> --stack <stack>`.'
            : '  No rack matches the filter.'}
        </Text>
      ) : (
        rows.map((entry, i) => {
          const index = window.start + i;
          const isSelected = index === window.selected;
          const c = cells[index]!;
          return (
            <Text key={entry.rack.name} inverse={isSelected} wrap="truncate-end">
              {line(isSelected ? '› ' : '  ', { ...c, state: '', last: '' }, widths, true)}
              <Text color={STATE_COLORS[rowState(entry)]}>{cell(c.state, widths.state)}</Text>{' '}
              {cell(c.last, widths.last)}
            </Text>
          );
        })
      )}
      {window.visible.length > window.height ? (
        <Text
          dimColor
        >{`  rows ${window.start + 1}–${Math.min(window.visible.length, window.start + window.height)} of ${window.visible.length}`}</Text>
      ) : null}
    </Box>
  );
}

/** The leading columns as one string; `open` leaves the state and last columns to the caller. */
function line(marker: string, c: RackCells, w: Widths, open = false): string {
  const head = `${marker}${cell(c.name, w.name)} ${cell(c.channel, w.channel)} ${cell(c.version, w.version)} ${cell(c.target, w.target)} `;
  return open ? head : `${head}${cell(c.state, w.state)} ${c.last}`;
}
