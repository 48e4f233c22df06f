/**
 * Properties of maintenance windows against an oracle written differently: the offset of each zone from
 * its published rule (fixed, EU since 1996, US since 2007) instead of Intl, and "inside" as a search over
 * the occurrences of the window on a continuous local-minute axis instead of weekday arithmetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatWindow, isWithinWindow, nextWindowStart, parseWindow, type Window } from '../../../src/core/windows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The nth (1-based) or, with n = -1, the last Sunday of a month, at a UTC hour. */
function sunday(year: number, month: number, n: number, utcHour: number): number {
  if (n < 0) {
    const last = new Date(Date.UTC(year, month + 1, 0));
    return Date.UTC(year, month, last.getUTCDate() - last.getUTCDay(), utcHour);
  }
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return Date.UTC(year, month, 1 + ((7 - first) % 7) + 7 * (n - 1), utcHour);
}

const yearOf = (t: number) => new Date(t).getUTCFullYear();

/** Offsets by rule, for instants from 2008 to 2037. */
const RULES: Record<string, (t: number) => number> = {
  UTC: () => 0,
  'Asia/Kolkata': () => 330 * MINUTE,
  'Asia/Kathmandu': () => 345 * MINUTE,
  'Etc/GMT+10': () => -10 * HOUR,
  'Pacific/Kiritimati': () => 14 * HOUR,
  // EU: summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
  'Europe/Berlin': (t) => (t >= sunday(yearOf(t), 2, -1, 1) && t < sunday(yearOf(t), 9, -1, 1) ? 2 : 1) * HOUR,
  // US: from 02:00 EST on the second Sunday of March to 02:00 EDT on the first Sunday of November.
  'America/New_York': (t) => (t >= sunday(yearOf(t), 2, 2, 7) && t < sunday(yearOf(t), 10, 1, 6) ? -4 : -5) * HOUR,
};
const ZONES = Object.keys(RULES);
/** More zones for the properties that need no oracle: southern summer time, a 30-minute DST. */
const MORE_ZONES = [...ZONES, 'Australia/Sydney', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'Pacific/Chatham'];

function oracleInside(window: Window, t: number): boolean {
  const local = Math.floor((t + RULES[window.zone]!(t)) / MINUTE);
  const today = Math.floor(local / 1440);
  const length = window.end > window.start ? window.end - window.start : window.end + 1440 - window.start;
  for (const day of [today, today - 1]) {
    if (!window.days.includes(((((day + 4) % 7) + 7) % 7) as Window['days'][number])) continue;
    const opens = day * 1440 + window.start;
    if (local >= opens && local < opens + length) return true;
  }
  return false;
}

/** The first whole minute after `now` at which the oracle says the window opens (within 15 days). */
function oracleNextStart(window: Window, now: number): number | undefined {
  for (let m = Math.floor(now / MINUTE) * MINUTE + MINUTE; m <= now + 15 * DAY; m += MINUTE) {
    if (oracleInside(window, m) && !oracleInside(window, m - MINUTE)) return m;
  }
  return undefined;
}

const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Specs as an operator would write them, with any days, hours (midnight crossings too) and zone. */
const specArb = (zones: string[]) =>
  fc
    .record({
      days: fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }),
      start: fc.integer({ min: 0, max: 1439 }),
      end: fc.integer({ min: 1, max: 1440 }),
      zone: fc.constantFrom(...zones),
    })
    .filter((w) => w.start !== w.end)
    .map((w) => `${w.days.map((d) => DAY_NAMES[d]).join(',')} ${clock(w.start)}-${clock(w.end)} ${w.zone}`);

/** Windows on the nights the clocks change: Sunday, opening or closing between 01:00 and 04:00, in a DST zone. */
const dstSpecArb = fc
  .record({
    days: fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }).map((days) => [...new Set([0, ...days])].sort()),
    start: fc.integer({ min: 55, max: 245 }),
    end: fc.integer({ min: 1, max: 1440 }),
    zone: fc.constantFrom('Europe/Berlin', 'America/New_York'),
  })
  .filter((w) => w.start !== w.end)
  .map((w) => `${w.days.map((d) => DAY_NAMES[d]).join(',')} ${clock(w.start)}-${clock(w.end)} ${w.zone}`);

const FROM = Date.UTC(2008, 0, 1);
const TO = Date.UTC(2037, 11, 1);
/** Any instant, or one within hours of a DST change in Berlin or New York. */
const instantArb = fc.oneof(
  fc.integer({ min: FROM, max: TO }),
  fc
    .record({
      year: fc.integer({ min: 2008, max: 2037 }),
      change: fc.constantFrom<[number, number, number]>([2, -1, 1], [9, -1, 1], [2, 2, 7], [10, 1, 6]),
      delta: fc.integer({ min: -8 * DAY, max: 30 * HOUR }),
    })
    .map(({ year, change: [month, n, hour], delta }) => sunday(year, month, n, hour) + delta),
);

describe('maintenance window properties', () => {
  it("an instant is inside exactly when the zone's wall clock is inside an occurrence of the window", () => {
    fc.assert(
      fc.property(specArb(ZONES), instantArb, (spec, t) => {
        expect(isWithinWindow(parseWindow(spec), t)).toBe(oracleInside(parseWindow(spec), t));
      }),
      { numRuns: 1000 },
    );
  });

  it('the window opens and closes on the minute of the wall clock, no earlier and no later', () => {
    fc.assert(
      fc.property(
        specArb(ZONES),
        instantArb,
        fc.boolean(),
        fc.integer({ min: -2 * MINUTE, max: 2 * MINUTE }),
        (spec, base, atStart, jitter) => {
          const window = parseWindow(spec);
          const offset = RULES[window.zone]!(base);
          const localDay = Math.floor((base + offset) / DAY);
          const t = localDay * DAY + (atStart ? window.start : window.end) * MINUTE - offset + jitter;
          expect(isWithinWindow(window, t)).toBe(oracleInside(window, t));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a window across midnight is its evening and the next morning', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 1439 }),
        fc.integer({ min: 1, max: 1439 }),
        fc.constantFrom(...MORE_ZONES),
        instantArb,
        (day, a, b, zone, t) => {
          fc.pre(b < a);
          const across = parseWindow(`${DAY_NAMES[day]} ${clock(a)}-${clock(b)} ${zone}`);
          const evening = parseWindow(`${DAY_NAMES[day]} ${clock(a)}-24:00 ${zone}`);
          const morning = parseWindow(`${DAY_NAMES[(day + 1) % 7]} 00:00-${clock(b)} ${zone}`);
          expect(isWithinWindow(across, t)).toBe(isWithinWindow(evening, t) || isWithinWindow(morning, t));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the next start is the first minute after now at which the window opens', () => {
    fc.assert(
      fc.property(fc.oneof(specArb(ZONES), dstSpecArb), instantArb, (spec, now) => {
        const window = parseWindow(spec);
        expect(nextWindowStart(window, now)?.getTime()).toBe(oracleNextStart(window, now));
      }),
      { numRuns: 200 },
    );
  });

  it('in any zone, the next start opens the window and nothing opens it before', () => {
    fc.assert(
      fc.property(
        specArb(MORE_ZONES),
        instantArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }),
        (spec, now, fractions) => {
          const window = parseWindow(spec);
          const next = nextWindowStart(window, now)?.getTime();
          if (next === undefined) {
            // Only a window that never closes has no next start.
            for (const f of fractions) expect(isWithinWindow(window, now + f * 14 * DAY)).toBe(true);
            return;
          }
          expect(next).toBeGreaterThan(now);
          expect(isWithinWindow(window, next)).toBe(true);
          expect(isWithinWindow(window, next - 1)).toBe(false);
          // Between now and then the window is at most finishing the occurrence open now: once closed, it stays closed.
          let closed = !isWithinWindow(window, now);
          for (const t of fractions
            .map((f) => now + Math.floor(f * (next - now)))
            .filter((t) => t < next)
            .sort((a, b) => a - b)) {
            if (isWithinWindow(window, t)) expect(closed).toBe(false);
            else closed = true;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('formatting and parsing again gives the same window', () => {
    fc.assert(
      fc.property(specArb(MORE_ZONES), (spec) => {
        const window = parseWindow(spec);
        const again = parseWindow(formatWindow(window));
        expect({ ...again, spec: '' }).toEqual({ ...window, spec: '' });
      }),
      { numRuns: 1000 },
    );
  });
});
