// A lighter string-width for yargs' help layout only (see scripts/build.mjs). The real one compiles a
// very large emoji regular expression on load, which alone cost `rack --help` about 9 ms; help text
// holds no emoji, so stripping ANSI codes and counting East Asian wide characters gives the same widths.
import stripAnsi from 'strip-ansi';
import { eastAsianWidth } from 'get-east-asian-width';

const ZERO_WIDTH = /[\u0300-\u036f\u200b-\u200f\ufe00-\ufe0f]/;

export default function stringWidth(text) {
  if (typeof text !== 'string' || text.length === 0) return 0;
  const plain = stripAnsi(text);
  if (/^[\x20-\x7e]*$/.test(plain)) return plain.length;
  let width = 0;
  for (const char of plain) {
    const code = char.codePointAt(0);
    if (code < 0x20 || (code >= 0x7f && code < 0xa0) || ZERO_WIDTH.test(char)) continue;
    width += eastAsianWidth(code);
  }
  return width;
}
