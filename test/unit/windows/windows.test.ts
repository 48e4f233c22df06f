import { describe, expect, it } from 'vitest';
import { isRackError, type RackError } from '../../../src/errors.js';
import {
  formatWindow,
  isWithinWindow,
  localTime,
  nextWindowStart,
  parseWindow,
  untilText,
  windowStatus,
  WINDOW_FORMAT,
} from '../../../src/core/windows.js';

const at = (iso: string) => new Date(iso);
const inside = (spec: string, iso: string) => isWithinWindow(parseWindow(spec), at(iso));
const next = (spec: string, iso: string) => nextWindowStart(parseWindow(spec), at(iso))?.toISOString();

function parseError(spec: string): RackError {
  try {
    parseWindow(spec);
  } catch (error) {
    if (isRackError(error)) return error;
    throw error;
  }
  throw new Error(`"${spec}" parsed`);
}

describe('parsing a window spec', () => {
  it('reads days, hours and zone', () => {
    expect(parseWindow('Sat 02:00-06:00 Europe/Berlin')).toEqual({
      spec: 'Sat 02:00-06:00 Europe/Berlin',
      days: [6],
      start: 120,
      end: 360,
      zone: 'Europe/Berlin',
    });
  });

  it('defaults the zone to UTC', () => {
    expect(parseWindow('Sun 01:30-03:45')).toMatchObject({ days: [0], start: 90, end: 225, zone: 'UTC' });
  });

  it('reads lists, ranges, ranges that wrap around the week, and daily', () => {
    expect(parseWindow('Sat,Sun 00:00-01:00').days).toEqual([0, 6]);
    expect(parseWindow('Mon-Fri 00:00-01:00').days).toEqual([1, 2, 3, 4, 5]);
    expect(parseWindow('Fri-Mon 00:00-01:00').days).toEqual([0, 1, 5, 6]);
    expect(parseWindow('Mon-Wed,Fri 00:00-01:00').days).toEqual([1, 2, 3, 5]);
    expect(parseWindow('daily 00:00-01:00').days).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(parseWindow('Sat,Sat 00:00-01:00').days).toEqual([6]);
  });

  it('takes day names in any case, abbreviated or in full, and canonical zone names', () => {
    expect(parseWindow('saturday 02:00-06:00 europe/berlin')).toMatchObject({ days: [6], zone: 'Europe/Berlin' });
    expect(parseWindow('SAT,tues 2:00-6:00 utc')).toMatchObject({ days: [2, 6], start: 120, end: 360, zone: 'UTC' });
    expect(parseWindow('DAILY 03:00-04:00').days).toHaveLength(7);
  });

  it('reads a window that crosses midnight, and one that ends at midnight', () => {
    expect(parseWindow('Sat 22:00-02:00')).toMatchObject({ start: 1320, end: 120 });
    expect(parseWindow('Sat 22:00-24:00')).toMatchObject({ start: 1320, end: 1440 });
    expect(parseWindow('Sat 22:00-00:00')).toMatchObject({ start: 1320, end: 1440 });
    expect(parseWindow('Sat 00:00-24:00')).toMatchObject({ start: 0, end: 1440 });
  });

  it.each([
    ['', 'it needs days and hours'],
    ['Sat', 'it needs days and hours'],
    ['Sat 02:00-06:00 Europe/Berlin extra', 'it has more than days, hours and a time zone'],
    ['Sa 02:00-06:00', '"Sa" is not a day'],
    ['Caturday 02:00-06:00', '"Caturday" is not a day'],
    ['Mon-Wed-Fri 02:00-06:00', '"Mon-Wed-Fri" is not a day or a range of days'],
    ['Sat, 02:00-06:00', '"" is not a day'],
    ['Sat 02:00', '"02:00" is not HH:MM-HH:MM'],
    ['Sat 2am-6am', '"2am-6am" is not HH:MM-HH:MM'],
    ['Sat 25:00-06:00', '25:00 is not a time of day'],
    ['Sat 24:00-06:00', '24:00 is not a time of day'],
    ['Sat 02:00-24:30', '24:30 is not a time of day'],
    ['Sat 02:60-06:00', '02:60 is not a time of day'],
    ['Sat 02:00-02:00', 'it opens and closes at the same time (for a whole day, write 00:00-24:00)'],
    ['Sat 00:00-00:00', 'it opens and closes at the same time'],
    ['Sat 02:00-06:00 Mars/Olympus', '"Mars/Olympus" is not an IANA time zone'],
    ['Sat 02:00-06:00 +05:30', '"+05:30" is not an IANA time zone'],
  ])('refuses %j: %s', (spec, reason) => {
    const error = parseError(spec);
    expect(error.kind).toBe('usage');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`"${spec}" is not a maintenance window: ${reason}`);
    expect(error.next).toBe(WINDOW_FORMAT);
  });

  it('says the format and gives an example', () => {
    expect(WINDOW_FORMAT).toContain('"<days> HH:MM-HH:MM [<IANA time zone>]"');
    expect(WINDOW_FORMAT).toContain('"Sat 02:00-06:00 Europe/Berlin"');
    expect(() => parseWindow(WINDOW_FORMAT.match(/For example: "([^"]+)"/)![1]!)).not.toThrow();
  });
});

describe('formatting a window', () => {
  it.each([
    ['Sat 02:00-06:00 Europe/Berlin', 'Sat 02:00-06:00 Europe/Berlin'],
    ['mon-FRI 2:00-6:00', 'Mon-Fri 02:00-06:00 UTC'],
    ['Sun,Sat 22:00-02:00 utc', 'Sat,Sun 22:00-02:00 UTC'],
    ['Fri-Mon 22:00-00:00', 'Fri-Mon 22:00-24:00 UTC'],
    ['Mon,Wed,Fri 01:00-02:00', 'Mon,Wed,Fri 01:00-02:00 UTC'],
    ['Mon-Sun 01:00-02:00', 'daily 01:00-02:00 UTC'],
  ])('%j reads %j', (spec, text) => {
    expect(formatWindow(parseWindow(spec))).toBe(text);
    expect(formatWindow(parseWindow(text))).toBe(text);
  });
});

describe('local time in a zone', () => {
  it('gives the weekday, minutes and offset of the wall clock', () => {
    expect(localTime('UTC', at('2026-11-21T13:45:10Z'))).toMatchObject({ weekday: 6, minutes: 825, offset: 0 });
    expect(localTime('Europe/Berlin', at('2026-11-21T23:30:00Z'))).toMatchObject({
      weekday: 0,
      minutes: 30,
      offset: 3_600_000,
    });
    expect(localTime('Europe/Berlin', at('2026-07-04T23:30:00Z'))).toMatchObject({
      weekday: 0,
      minutes: 90,
      offset: 7_200_000,
    });
    expect(localTime('America/New_York', at('2026-11-22T03:00:00Z'))).toMatchObject({
      weekday: 6,
      minutes: 22 * 60,
      offset: -18_000_000,
    });
    expect(localTime('Asia/Kathmandu', at('2026-11-21T00:00:00Z'))).toMatchObject({ minutes: 5 * 60 + 45 });
  });
});

describe('inside a window', () => {
  it('opens at its start and closes at its end', () => {
    expect(inside('Sat 02:00-06:00', '2026-11-21T01:59:59Z')).toBe(false);
    expect(inside('Sat 02:00-06:00', '2026-11-21T02:00:00Z')).toBe(true);
    expect(inside('Sat 02:00-06:00', '2026-11-21T05:59:59.999Z')).toBe(true);
    expect(inside('Sat 02:00-06:00', '2026-11-21T06:00:00Z')).toBe(false);
    expect(inside('Sat 02:00-06:00', '2026-11-22T03:00:00Z')).toBe(false);
    expect(inside('Sat 02:00-06:00', '2026-11-28T03:00:00Z')).toBe(true);
  });

  it('keeps a window that crosses midnight going into the next day', () => {
    const spec = 'Sat 22:00-02:00';
    expect(inside(spec, '2026-11-20T23:00:00Z')).toBe(false); // Friday night
    expect(inside(spec, '2026-11-21T21:59:00Z')).toBe(false);
    expect(inside(spec, '2026-11-21T22:00:00Z')).toBe(true);
    expect(inside(spec, '2026-11-21T23:59:59Z')).toBe(true);
    expect(inside(spec, '2026-11-22T00:00:00Z')).toBe(true); // Sunday, from Saturday's window
    expect(inside(spec, '2026-11-22T01:59:59Z')).toBe(true);
    expect(inside(spec, '2026-11-22T02:00:00Z')).toBe(false);
    expect(inside(spec, '2026-11-22T23:00:00Z')).toBe(false); // Sunday night is not a window night
    expect(inside(spec, '2026-11-21T01:00:00Z')).toBe(false); // Saturday early: Friday had no window
  });

  it('runs to midnight and no further when it ends at 24:00', () => {
    expect(inside('Sat 22:00-24:00', '2026-11-21T23:59:00Z')).toBe(true);
    expect(inside('Sat 22:00-24:00', '2026-11-22T00:00:00Z')).toBe(false);
  });

  it('joins whole days into one stretch', () => {
    expect(inside('Sat,Sun 00:00-24:00', '2026-11-21T00:00:00Z')).toBe(true);
    expect(inside('Sat,Sun 00:00-24:00', '2026-11-22T23:59:00Z')).toBe(true);
    expect(inside('Sat,Sun 00:00-24:00', '2026-11-23T00:00:00Z')).toBe(false);
  });

  it("reads the hours on the zone's wall clock, summer and winter", () => {
    // Saturday 02:00 in Berlin is Friday 01:00 UTC in winter (CET) and Friday 00:00 UTC in summer (CEST).
    expect(inside('Sat 02:00-06:00 Europe/Berlin', '2026-11-21T01:00:00Z')).toBe(true);
    expect(inside('Sat 02:00-06:00 Europe/Berlin', '2026-11-21T00:59:00Z')).toBe(false);
    expect(inside('Sat 02:00-06:00 Europe/Berlin', '2026-11-21T05:00:00Z')).toBe(false);
    expect(inside('Sat 02:00-06:00 Europe/Berlin', '2026-07-04T00:00:00Z')).toBe(true);
    expect(inside('Sat 02:00-06:00 Europe/Berlin', '2026-07-04T04:00:00Z')).toBe(false);
    // Saturday evening in New York is already Sunday in UTC.
    expect(inside('Sat 20:00-23:00 America/New_York', '2026-11-22T02:00:00Z')).toBe(true);
  });

  it('skips the part of a window the clocks skip (Berlin, 29 March 2026, 02:00 → 03:00)', () => {
    expect(inside('Sun 02:00-02:30 Europe/Berlin', '2026-03-29T00:59:59Z')).toBe(false); // 01:59:59 CET
    expect(inside('Sun 02:00-02:30 Europe/Berlin', '2026-03-29T01:00:00Z')).toBe(false); // 03:00 CEST
    expect(inside('Sun 02:30-04:00 Europe/Berlin', '2026-03-29T00:59:59Z')).toBe(false);
    expect(inside('Sun 02:30-04:00 Europe/Berlin', '2026-03-29T01:00:00Z')).toBe(true);
    expect(inside('Sun 02:30-04:00 Europe/Berlin', '2026-03-29T01:59:59Z')).toBe(true);
    expect(inside('Sun 02:30-04:00 Europe/Berlin', '2026-03-29T02:00:00Z')).toBe(false);
  });

  it('repeats the part of a window the clocks repeat (Berlin, 25 October 2026, 03:00 → 02:00)', () => {
    const spec = 'Sun 02:00-02:30 Europe/Berlin';
    expect(inside(spec, '2026-10-25T00:00:00Z')).toBe(true); // 02:00 CEST
    expect(inside(spec, '2026-10-25T00:30:00Z')).toBe(false); // 02:30 CEST
    expect(inside(spec, '2026-10-25T01:00:00Z')).toBe(true); // 02:00 CET
    expect(inside(spec, '2026-10-25T01:29:00Z')).toBe(true);
    expect(inside(spec, '2026-10-25T01:30:00Z')).toBe(false);
  });
});

describe('the next time a window opens', () => {
  it('is the next start on one of its days', () => {
    expect(next('Sat 02:00-06:00', '2026-11-18T10:00:00Z')).toBe('2026-11-21T02:00:00.000Z');
    expect(next('Sat 02:00-06:00', '2026-11-21T01:59:59Z')).toBe('2026-11-21T02:00:00.000Z');
    expect(next('Sat 02:00-06:00', '2026-11-21T06:00:00Z')).toBe('2026-11-28T02:00:00.000Z');
    expect(next('Mon-Fri 22:00-02:00', '2026-11-21T10:00:00Z')).toBe('2026-11-23T22:00:00.000Z');
    expect(next('daily 03:00-04:00', '2026-11-21T03:30:00Z')).toBe('2026-11-22T03:00:00.000Z');
  });

  it('is strictly after now, so the one after the window open now', () => {
    expect(next('Sat 02:00-06:00', '2026-11-21T02:00:00Z')).toBe('2026-11-28T02:00:00.000Z');
  });

  it("is on the zone's wall clock", () => {
    expect(next('Sat 02:00-06:00 Europe/Berlin', '2026-11-18T10:00:00Z')).toBe('2026-11-21T01:00:00.000Z');
    expect(next('Sat 02:00-06:00 Europe/Berlin', '2026-07-01T10:00:00Z')).toBe('2026-07-04T00:00:00.000Z');
    expect(next('Sat 02:00-06:00 Asia/Kathmandu', '2026-11-18T10:00:00Z')).toBe('2026-11-20T20:15:00.000Z');
  });

  it('is where the clocks jump into the window when they skip its start', () => {
    expect(next('Sun 02:30-04:00 Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    // From a millisecond before the jump (found on the whole second, not a second late).
    expect(next('Sun 02:00-00:01 America/New_York', '2008-03-09T06:59:59.999Z')).toBe('2008-03-09T07:00:00.000Z');
    // 02:00-02:30 does not happen that night at all: the next one is a week later.
    expect(next('Sun 02:00-02:30 Europe/Berlin', '2026-03-28T12:00:00Z')).toBe('2026-04-05T00:00:00.000Z');
  });

  it("is each time the clocks repeat the window's start", () => {
    expect(next('Sun 02:00-02:30 Europe/Berlin', '2026-10-24T12:00:00Z')).toBe('2026-10-25T00:00:00.000Z');
    expect(next('Sun 02:00-02:30 Europe/Berlin', '2026-10-25T00:45:00Z')).toBe('2026-10-25T01:00:00.000Z');
    // 01:00-02:30: open 01:00-02:30 CEST, closed for half an hour, open again when 03:00 CEST becomes 02:00 CET.
    expect(next('Sun 01:00-02:30 Europe/Berlin', '2026-10-25T00:40:00Z')).toBe('2026-10-25T01:00:00.000Z');
  });

  it('does not count a day that continues a window already open', () => {
    expect(next('Sat,Sun 00:00-24:00', '2026-11-18T00:00:00Z')).toBe('2026-11-21T00:00:00.000Z');
    expect(next('Sat,Sun 00:00-24:00', '2026-11-21T12:00:00Z')).toBe('2026-11-28T00:00:00.000Z');
  });

  it('is undefined for a window that is always open', () => {
    expect(next('daily 00:00-24:00', '2026-11-21T12:00:00Z')).toBeUndefined();
    expect(next('daily 00:00-24:00 Europe/Berlin', '2026-03-28T12:00:00Z')).toBeUndefined();
  });
});

describe('the window status for a message', () => {
  it('says when the next window opens, on its own clock, and how long until then', () => {
    const status = windowStatus(parseWindow('Sat 02:00-06:00 Europe/Berlin'), at('2026-11-17T21:00:00Z'));
    expect(status).toEqual({
      open: false,
      next: at('2026-11-21T01:00:00Z'),
      text: 'outside its window: next window opens Sat 02:00 Europe/Berlin, in 3d 4h',
    });
  });

  it('says the window is open', () => {
    expect(windowStatus(parseWindow('Sat 02:00-06:00 Europe/Berlin'), at('2026-11-21T01:00:00Z'))).toEqual({
      open: true,
      text: 'window open (Sat 02:00-06:00 Europe/Berlin)',
    });
  });

  it.each([
    [0, '1m'],
    [1, '1m'],
    [60_000, '1m'],
    [60_001, '2m'],
    [59 * 60_000, '59m'],
    [3_600_000, '1h'],
    [4 * 3_600_000 + 12 * 60_000, '4h 12m'],
    [24 * 3_600_000, '1d'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, '3d 4h'],
  ])('%d ms reads %j', (ms, text) => {
    expect(untilText(ms)).toBe(text);
  });
});
