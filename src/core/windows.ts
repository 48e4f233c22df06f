/**
 * Maintenance windows: when `rack sync` may update a rack. A window is a local wall-clock interval on
 * some weekdays in an IANA time zone ("Sat 02:00-06:00 Europe/Berlin"); it may cross midnight
 * ("Sat 22:00-02:00" is Saturday 22:00 to Sunday 02:00). An instant is inside when the zone's wall
 * clock reads a time inside the interval, so a window keeps its local hours across DST changes: on the
 * night the clocks skip an hour, the skipped part of a window simply does not happen, and on the night
 * they repeat one, the repeated part happens twice.
 *
 * Pure: local time comes from Intl.DateTimeFormat, and "now" is always given.
 */
import { usageError } from '../errors.js';

/** 0 = Sunday … 6 = Saturday, as Date#getUTCDay. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface Window {
  /** The spec as the operator wrote it. */
  spec: string;
  /** The weekdays on which the window opens, ascending. */
  days: readonly Weekday[];
  /** Minutes after local midnight when it opens. */
  start: number;
  /** Minutes after local midnight when it closes (1..1440); at or before `start`, it closes the next day. */
  end: number;
  /** The IANA name as written, in its canonical case. */
  zone: string;
}

export const WINDOW_FORMAT =
  'Write it as "<days> HH:MM-HH:MM [<IANA time zone>]": days like Sat, Sat,Sun, Mon-Fri or daily; ' +
  'a window may cross midnight (Sat 22:00-02:00 ends on Sunday); the zone defaults to UTC. ' +
  'For example: "Sat 02:00-06:00 Europe/Berlin".';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const FULL_DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Parses a window spec, or throws a usage error (exit 2) naming the spec and the format. */
export function parseWindow(spec: string): Window {
  const bad = (reason: string) =>
    usageError(`"${spec}" is not a maintenance window: ${reason}.`, { next: WINDOW_FORMAT });
  const tokens = spec.trim().split(/\s+/).filter(Boolean);
  if (tokens.length < 2 || tokens.length > 3) {
    throw bad(tokens.length < 2 ? 'it needs days and hours' : 'it has more than days, hours and a time zone');
  }
  const [daysText, hoursText, zoneText = 'UTC'] = tokens as [string, string, string?];
  const days = parseDays(daysText, bad);
  const hours = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(hoursText);
  if (!hours) throw bad(`"${hoursText}" is not HH:MM-HH:MM`);
  const start = minutesOf(Number(hours[1]), Number(hours[2]), false);
  const end = minutesOf(Number(hours[3]), Number(hours[4]), true);
  if (start === undefined) throw bad(`${hours[1]}:${hours[2]} is not a time of day`);
  if (end === undefined) throw bad(`${hours[3]}:${hours[4]} is not a time of day`);
  if (start === end) throw bad('it opens and closes at the same time (for a whole day, write 00:00-24:00)');
  // Ending at 00:00 is ending at midnight, the same as 24:00: the window does not run into the next day.
  return { spec, days, start, end: end === 0 ? 1440 : end, zone: canonicalZone(zoneText, bad) };
}

function parseDays(text: string, bad: (reason: string) => Error): Weekday[] {
  if (text.toLowerCase() === 'daily') return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<Weekday>();
  for (const part of text.split(',')) {
    const range = part.split('-');
    if (range.length > 2) throw bad(`"${part}" is not a day or a range of days`);
    const [first, last = first] = range.map((name) => weekdayNamed(name, bad)) as [Weekday, Weekday?];
    // Ranges wrap around the week: Fri-Mon is Friday to Monday.
    for (let day = first; ; day = ((day + 1) % 7) as Weekday) {
      days.add(day);
      if (day === last) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

function weekdayNamed(name: string, bad: (reason: string) => Error): Weekday {
  const lower = name.toLowerCase();
  const index = FULL_DAY_NAMES.findIndex((full) => lower.length >= 3 && full.startsWith(lower));
  if (index < 0) throw bad(`"${name}" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or daily)`);
  return index as Weekday;
}

/** 24:00 is a time only as the end of a window. */
function minutesOf(hour: number, minute: number, isEnd: boolean): number | undefined {
  if (minute > 59) return undefined;
  if (hour === 24 && minute === 0 && isEnd) return 1440;
  return hour <= 23 ? hour * 60 + minute : undefined;
}

function canonicalZone(zone: string, bad: (reason: string) => Error): string {
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    // ICU resolves current names to old ones (Asia/Kolkata to Asia/Calcutta): keep the operator's name
    // unless only its case differs.
    return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
  } catch {
    throw bad(`"${zone}" is not an IANA time zone (such as Europe/Berlin or UTC)`);
  }
}

/** The window as a spec in canonical form, e.g. "Mon-Fri 22:00-02:00 UTC". */
export function formatWindow(window: Window): string {
  return `${formatDays(window.days)} ${clockText(window.start)}-${clockText(window.end)} ${window.zone}`;
}

function formatDays(days: readonly Weekday[]): string {
  if (days.length === 7) return 'daily';
  // Runs of consecutive days, Monday first, so that Mon-Fri and Sat,Sun read as written.
  const order = [1, 2, 3, 4, 5, 6, 0].filter((d) => days.includes(d as Weekday)) as Weekday[];
  const runs: Weekday[][] = [];
  for (const day of order) {
    const run = runs.at(-1);
    if (run && (run.at(-1)! + 1) % 7 === day) run.push(day);
    else runs.push([day]);
  }
  // A run through Sunday into Monday reads as one range (Fri-Mon), the way it wraps around the week.
  if (runs.length > 1 && runs[0]![0] === 1 && runs.at(-1)!.at(-1) === 0)
    runs.unshift([...runs.pop()!, ...runs.shift()!]);
  return runs
    .map((run) =>
      run.length > 2 ? `${DAY_NAMES[run[0]!]}-${DAY_NAMES[run.at(-1)!]}` : run.map((d) => DAY_NAMES[d]).join(','),
    )
    .join(',');
}

const clockText = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The zone's wall clock at an instant. */
export interface LocalTime {
  /** Days since 1970-01-01 of the local date. */
  date: number;
  weekday: Weekday;
  /** Minutes after local midnight. */
  minutes: number;
  /** Local wall time minus UTC, in milliseconds. */
  offset: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

export function localTime(zone: string, at: Date | number): LocalTime {
  const instant = typeof at === 'number' ? at : at.getTime();
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const date = Math.floor(wall / DAY);
  return {
    date,
    weekday: ((((date + 4) % 7) + 7) % 7) as Weekday,
    minutes: parts.hour! * 60 + parts.minute!,
    offset: wall - Math.floor(instant / 1000) * 1000,
  };
}

/** Whether the zone's wall clock at `now` reads a time inside the window. */
export function isWithinWindow(window: Window, now: Date | number): boolean {
  const local = localTime(window.zone, now);
  const on = (day: number) => window.days.includes((((day % 7) + 7) % 7) as Weekday);
  if (window.end > window.start)
    return on(local.weekday) && local.minutes >= window.start && local.minutes < window.end;
  return (on(local.weekday) && local.minutes >= window.start) || (on(local.weekday - 1) && local.minutes < window.end);
}

const opensAt = (window: Window, instant: number) =>
  isWithinWindow(window, instant) && !isWithinWindow(window, instant - 1);

/**
 * The first instant after `now` at which the window opens; undefined when it is always open. A window
 * opens where the wall clock reaches its start (twice, when the clocks repeat that hour), or where a
 * DST change makes the clock jump into it.
 */
export function nextWindowStart(window: Window, now: Date | number): Date | undefined {
  const from = typeof now === 'number' ? now : now.getTime();
  const horizon = from + 15 * DAY;
  const today = localTime(window.zone, from).date;
  const candidates: number[] = [...offsetChanges(window.zone, from - DAY, horizon)];
  for (let date = today - 1; date * DAY < horizon + DAY; date++) {
    candidates.push(...instantsAtWallTime(window.zone, date * DAY + window.start * MINUTE));
  }
  const first = candidates.filter((c) => c > from && opensAt(window, c)).sort((a, b) => a - b)[0];
  return first === undefined ? undefined : new Date(first);
}

/** Every instant at which the zone's wall clock reads `wall` (a local time as if it were UTC): none, one or two. */
function instantsAtWallTime(zone: string, wall: number): number[] {
  // Any DST change near `wall` shows in the offsets a day before and a day after it.
  const offsets = new Set([wall - DAY, wall, wall + DAY].map((x) => localTime(zone, x).offset));
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => localTime(zone, instant).offset === wall - instant);
}

/** The instants in [from, to) at which the zone's offset changes (found to the second). */
function offsetChanges(zone: string, from: number, to: number): number[] {
  const step = 6 * HOUR;
  const changes: number[] = [];
  // Offsets change on whole seconds: searching on whole seconds finds the very instant.
  from = Math.floor(from / 1000) * 1000;
  let before = localTime(zone, from).offset;
  for (let at = from + step; at < to + step; at += step) {
    const after = localTime(zone, at).offset;
    if (after === before) continue;
    let lo = at - step;
    let hi = at;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (localTime(zone, mid).offset === before) lo = mid;
      else hi = mid;
    }
    changes.push(hi);
    before = after;
  }
  return changes;
}

export interface WindowStatus {
  open: boolean;
  /** When it opens next (when it is closed). */
  next?: Date;
  /** "open now (Sat 02:00-06:00 Europe/Berlin)" or "closed: next window opens Sat 02:00 Europe/Berlin, in 3d 4h". */
  text: string;
}

export function windowStatus(window: Window, now: Date): WindowStatus {
  if (isWithinWindow(window, now)) return { open: true, text: `window open (${formatWindow(window)})` };
  const next = nextWindowStart(window, now);
  if (!next) return { open: false, text: `window closed (${formatWindow(window)})` };
  const local = localTime(window.zone, next);
  return {
    open: false,
    next,
    text: `outside its window: next window opens ${DAY_NAMES[local.weekday]} ${clockText(local.minutes)} ${window.zone}, in ${untilText(next.getTime() - now.getTime())}`,
  };
}

/** A wait in its two largest units, rounded up: "3d 4h", "4h 12m", "12m". */
export function untilText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / MINUTE));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return rest > 0 ? `${hours}h ${rest}m` : `${hours}h`;
  return `${rest}m`;
}
