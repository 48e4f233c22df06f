import { sanitize } from '../core/sanitize.js';

/**
 * Plain aligned columns for human output (the seed documents' `convox instances` look). Cells may hold
 * text from outside (notes, reasons, causes): each is sanitized to one line before the widths are taken.
 */
export function table(headers: string[], rows: string[][]): string {
  const cells = rows.map((row) => row.map((cell) => sanitize(cell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
