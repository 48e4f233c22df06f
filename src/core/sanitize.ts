/**
 * Text from outside — release notes, yank reasons, CloudFormation status reasons, GitHub's messages — can
 * carry terminal escape sequences: a catalog could retitle the operator's window, hide a line, rewrite what
 * was printed before, or (on some terminals) answer with keystrokes. `sanitize` makes such text inert for a
 * terminal. It is applied where text is rendered for a human (the logger, tables, the human result, the
 * live views and the dashboard), not to the data: `--json` keeps the original text, which JSON escapes
 * (`jsonText`).
 */

export interface SanitizeOptions {
  /** Keep newlines and tabs (a message, a notes paragraph); otherwise they become spaces (a table cell). */
  multiline?: boolean;
}

const ESC = 0x1b;
const BEL = 0x07;
/** The 8-bit forms of CSI and of the control strings (DCS, SOS, OSC, PM, APC), and ST. */
const C1_CSI = 0x9b;
const C1_STRINGS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
const C1_ST = 0x9c;
/** After ESC: the introducers of control strings, which run until ST (or BEL). */
const STRING_INTRODUCERS = new Set(['P', 'X', ']', '^', '_']);

/** Bidirectional embeddings, overrides and isolates: they reorder how the rest of a line reads. */
const isBidiControl = (code: number) => (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
const isControl = (code: number) => code < 0x20 || (code >= 0x7f && code <= 0x9f) || isBidiControl(code);

/**
 * The text without C0 and C1 control characters (newlines and tabs kept when `multiline`, else spaces), without
 * ANSI CSI sequences, OSC and the other control strings, other escape sequences, and bidirectional
 * overrides. Printable characters, any script or emoji, are kept as they are.
 */
export function sanitize(text: string, options: SanitizeOptions = {}): string {
  // The common case, no control character at all, costs one scan.
  if (!hasControl(text)) return text;
  const multiline = options.multiline ?? false;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === ESC) {
      i = skipEscape(text, i);
      continue;
    }
    if (code === C1_CSI) {
      i = skipCsi(text, i + 1);
      continue;
    }
    if (C1_STRINGS.has(code)) {
      i = skipString(text, i + 1);
      continue;
    }
    if (code === 0x0a || code === 0x09) {
      out += multiline ? text[i] : ' ';
    } else if (code === 0x0d) {
      // A carriage return alone moves back over the line: what follows would print over it.
      if (text.charCodeAt(i + 1) !== 0x0a) out += multiline ? '' : ' ';
    } else if (!isControl(code)) {
      out += text[i];
    }
    i += 1;
  }
  return out;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

/** Where the escape sequence starting with ESC at `start` ends. */
function skipEscape(text: string, start: number): number {
  const next = text[start + 1];
  if (next === undefined) return start + 1;
  if (next === '[') return skipCsi(text, start + 2);
  if (STRING_INTRODUCERS.has(next)) return skipString(text, start + 2);
  let i = start + 1;
  // nF sequences: intermediate bytes, then a final byte (e.g. ESC ( B, ESC # 8).
  while (i < text.length && inRange(text.charCodeAt(i), 0x20, 0x2f)) i += 1;
  // A final byte (ESC c resets the terminal, ESC 7/8 save and restore the cursor); anything else ends
  // the sequence unconsumed, as a terminal would cancel it.
  if (i < text.length && inRange(text.charCodeAt(i), 0x30, 0x7e)) return i + 1;
  return i;
}

/** CSI: parameter bytes, intermediate bytes, one final byte. A malformed one ends where it stops fitting. */
function skipCsi(text: string, from: number): number {
  let i = from;
  while (i < text.length && inRange(text.charCodeAt(i), 0x30, 0x3f)) i += 1;
  while (i < text.length && inRange(text.charCodeAt(i), 0x20, 0x2f)) i += 1;
  if (i < text.length && inRange(text.charCodeAt(i), 0x40, 0x7e)) return i + 1;
  return i;
}

/**
 * OSC, DCS, SOS, PM, APC: everything up to the string terminator (ESC \, the 8-bit ST, or BEL, which
 * xterm accepts for OSC). An unterminated string runs to the end, as a terminal would swallow it.
 */
function skipString(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === BEL || code === C1_ST) return i + 1;
    if (code === ESC && text[i + 1] === '\\') return i + 2;
  }
  return text.length;
}

const inRange = (code: number, low: number, high: number) => code >= low && code <= high;

/**
 * JSON of a value for stdout: the strings keep their original text, escaped by JSON. JSON.stringify
 * escapes C0 controls (ESC included) but writes DEL, the C1 controls and bidirectional overrides raw, so
 * those are escaped too: the document parses to the same value and a terminal shows it inert.
 */
export function jsonText(value: unknown, indent = 2): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
