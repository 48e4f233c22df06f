/**
 * Text helpers shared by the views: fixed-width cells, durations and times relative to a given now.
 * Pure: the current time is always passed in, so frames are reproducible in tests.
 */
import { sanitize } from '../core/sanitize.js';

/**
 * Cuts to `width` characters, ending in "…" when something was cut. Cells show text from outside (reasons,
 * notes, parameter values): it is sanitized to one line first, so it cannot drive the terminal.
 */
function truncate(raw: string, width: number): string {
  if (width <= 0) return '';
  const text = sanitize(raw);
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

/** Exactly `width` characters: cut, or padded with spaces. */
export function cell(text: string, width: number): string {
  return truncate(text, width).padEnd(width);
}

/** "42s", "3m 05s", "1h 02m": how long an operation has run. */
export function elapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** "just now", "5m ago", "3h ago", "2d ago"; a time in the future reads "in 5m". */
export function ago(iso: string, now: Date): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = now.getTime() - at;
  const span = roughSpan(Math.abs(diff));
  if (span === undefined) return 'just now';
  return diff >= 0 ? `${span} ago` : `in ${span}`;
}

function roughSpan(ms: number): string | undefined {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return undefined;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** The date part of an ISO time, for promotion dates. */
export const day = (iso: string) => iso.slice(0, 10);

/** HH:MM:SS of a time, in UTC like the plain progress lines. */
export const clockTime = (at: Date) => at.toISOString().slice(11, 19);
