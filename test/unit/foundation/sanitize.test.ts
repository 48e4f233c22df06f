import { describe, expect, it } from 'vitest';
import { jsonText, sanitize } from '../../../src/core/sanitize.js';

const ESC = '\u001b';

describe('sanitize', () => {
  it.each([
    ['a colour (CSI SGR)', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['cursor movement and erasing a line', `ok${ESC}[1A${ESC}[2K${ESC}[10;20H done`, 'ok done'],
    ['private CSI (alternate screen)', `${ESC}[?1049hx${ESC}[?1049l`, 'x'],
    ['a window title (OSC, BEL)', `${ESC}]0;pwned\u0007notes`, 'notes'],
    ['a hyperlink (OSC 8, ST)', `${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`, 'click'],
    ['a clipboard write (OSC 52)', `${ESC}]52;c;Y3VybCBldmlsIHwgc2g=\u0007text`, 'text'],
    ['a DCS string', `${ESC}Pq#0;2;0;0;0${ESC}\\after`, 'after'],
    ['an APC string', `${ESC}_payload${ESC}\\after`, 'after'],
    ['a full reset (ESC c)', `${ESC}cafter`, 'after'],
    ['a charset designation (ESC ( 0)', `${ESC}(0lqk${ESC}(B`, 'lqk'],
    ['save and restore the cursor', `${ESC}7x${ESC}8`, 'x'],
    ['an 8-bit CSI', '\u009b31mred', 'red'],
    ['an 8-bit OSC ended by 8-bit ST', '\u009d0;title\u009cafter', 'after'],
    ['a lone ESC at the end', `end${ESC}`, 'end'],
    ['an unterminated OSC (a terminal would swallow the rest)', `before${ESC}]0;title and more`, 'before'],
    ['a malformed CSI, cancelled by a control', `a${ESC}[12\u0007b`, 'ab'],
    ['backspaces and bells', 'pass\b\b\b\bfail\u0007', 'passfail'],
    ['NUL, DEL and other C0/C1 controls', 'a\u0000b\u007fc\u0085d\u0001e', 'abcde'],
    ['bidirectional overrides', 'user\u202eexe.txt\u2066x\u2069', 'userexe.txtx'],
  ])('removes %s', (_what, text, expected) => {
    expect(sanitize(text)).toBe(expected);
    expect(sanitize(text, { multiline: true })).toBe(expected);
  });

  it('keeps printable Unicode as it is', () => {
    const text = 'Grüße — 日本語 🚀 naïve café ©';
    expect(sanitize(text)).toBe(text);
  });

  it('keeps newlines and tabs in multi-line text, and turns them into spaces in a single line', () => {
    expect(sanitize('one\n\ttwo\r\nthree', { multiline: true })).toBe('one\n\ttwo\nthree');
    expect(sanitize('one\n\ttwo\r\nthree')).toBe('one  two three');
  });

  it('drops a carriage return that would print over the line', () => {
    expect(sanitize('all good\rFAILED  ', { multiline: true })).toBe('all goodFAILED  ');
    expect(sanitize('all good\rFAILED')).toBe('all good FAILED');
  });
});

describe('jsonText', () => {
  it('keeps the original text, escaped so that a terminal shows it inert', () => {
    const value = { notes: `${ESC}]0;pwned\u0007 \u009b31m \u202e x` };
    const text = jsonText(value);
    expect(text).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    expect(text).toContain('\\u001b]0;pwned\\u0007 \\u009b31m \\u202e x');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('is JSON.stringify with two-space indentation for ordinary values', () => {
    const value = { a: [1, 'two', null], b: { c: true } };
    expect(jsonText(value)).toBe(JSON.stringify(value, null, 2));
  });
});
