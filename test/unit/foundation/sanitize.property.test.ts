import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonText, sanitize } from '../../../src/core/sanitize.js';

/** Text a hostile catalog could hold: printable text mixed with controls, escapes and their pieces. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(
        '\u001b',
        '[',
        ']',
        '\\',
        ';',
        '\u0007',
        '\u009b',
        '\u009c',
        '\u009d',
        '\r',
        '\n',
        '\t',
        '\u202e',
      ),
      fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)) }),
    ),
  )
  .map((parts) => parts.join(''));

const printable = fc
  .string({ unit: 'grapheme' })
  .map((text) => text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ''));

describe('sanitize (properties)', () => {
  it('leaves no control character a terminal acts on', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(sanitize(text)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(sanitize(text, { multiline: true })).not.toMatch(
          /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
        );
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (text, multiline) => {
        const once = sanitize(text, { multiline });
        expect(sanitize(once, { multiline })).toBe(once);
      }),
    );
  });

  it('changes no text without controls', () => {
    fc.assert(
      fc.property(printable, (text) => {
        expect(sanitize(text)).toBe(text);
      }),
    );
  });

  it('removes a whole escape sequence and keeps the text around it', () => {
    const sequence = fc.oneof(
      fc.stringMatching(/^\u001b\[[0-?]{0,6}[ -/]{0,2}[@-~]$/),
      fc.stringMatching(/^\u001b\][ -~]{0,20}(\u0007|\u001b\\)$/),
      fc.stringMatching(/^\u001b[ -/]{1,2}[0-~]$/),
      fc.constantFrom('\u001bc', '\u001b7', '\u001b8', '\u001b=', '\u001b>', '\u001bM', '\u001bD', '\u001b\\'),
    );
    fc.assert(
      fc.property(printable, sequence, printable, (before, sequenceText, after) => {
        // A printable text starting with a final byte would complete a cut-short sequence; these are whole.
        expect(sanitize(`${before}${sequenceText}${after}`)).toBe(`${before}${after}`);
      }),
    );
  });

  it('keeps what JSON carries: jsonText parses back to the original value', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(JSON.parse(jsonText({ text }))).toEqual({ text });
      }),
    );
  });
});
