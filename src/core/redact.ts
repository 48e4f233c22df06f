/**
 * Keeping secrets out of what rack prints. A NoEcho value is shown as MASK, whatever the API returned,
 * and --debug output goes through a redactor built from every secret the command has seen.
 */

/** How rack shows a secret. The same four asterisks CloudFormation shows for NoEcho parameters. */
export const MASK = '****';

/** True for a value made only of asterisks: what CloudFormation returns for a NoEcho value, never the secret. */
export function isAsteriskOnly(value: string): boolean {
  return /^\*+$/.test(value);
}

/** The value to show for a parameter: MASK for a NoEcho key, whatever value was read. */
export function maskParameterValue(noEcho: boolean, value: string | undefined): string {
  return noEcho ? MASK : (value ?? '');
}

/**
 * Secrets shorter than this are masked only where they stand as a whole token: a 2-character secret `ab`
 * is masked in `Password=ab`, `"ab"` or ` ab `, not inside `label`. Longer ones are masked wherever they
 * appear, inside other text too.
 */
const SHORT_SECRET = 4;

/**
 * A function that replaces every occurrence of each secret in a text with MASK. Secrets also leak in
 * encoded form — JSON string escapes in debug dumps, URL encoding in CloudFormation's query protocol —
 * so those spellings are replaced too. Longer secrets go first so that a secret containing another is
 * masked whole. Empty and asterisk-only strings are not secrets; every other one is masked, whatever
 * its length (short ones as whole tokens, see SHORT_SECRET).
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const spellings = new Map<string, boolean>();
  for (const secret of secrets) {
    if (secret === '' || isAsteriskOnly(secret)) continue;
    const short = [...secret].length < SHORT_SECRET;
    for (const spelling of spellingsOf(secret)) {
      // A spelling shared by a long and a short secret is masked anywhere.
      spellings.set(spelling, (spellings.get(spelling) ?? true) && short);
    }
  }
  if (spellings.size === 0) return (text) => text;
  const alternatives = [...spellings]
    .sort(([a], [b]) => b.length - a.length || (a < b ? -1 : 1))
    .map(([spelling, short]) => (short ? asToken(spelling) : escapeRegExp(spelling)));
  const pattern = new RegExp(alternatives.join('|'), 'gu');
  return (text) => text.replace(pattern, MASK);
}

/** Letters, digits and underscore: a token is a run of these (or a secret of other characters, whole). */
const WORD = '[\\p{L}\\p{N}\\p{M}_]';

/** The spelling where no word character touches it on a side where it begins or ends with one. */
function asToken(spelling: string): string {
  const wordAt = (char: string | undefined) => char !== undefined && new RegExp(WORD, 'u').test(char);
  const chars = [...spelling];
  return `${wordAt(chars[0]) ? `(?<!${WORD})` : ''}${escapeRegExp(spelling)}${wordAt(chars.at(-1)) ? `(?!${WORD})` : ''}`;
}

/**
 * A copy of a value to be serialized (a --json result, an error's fields, a history entry) with every
 * string in it redacted, keys included, so that a secret is masked before JSON escaping could hide it.
 * It follows JSON.stringify: `toJSON` is called first, and what JSON leaves out stays out.
 */
export function redactValue<T>(value: T, redact: (text: string) => string): T {
  return walk(value, redact, new Set()) as T;
}

function walk(value: unknown, redact: (text: string) => string, path: Set<object>): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return walk(json.call(value), redact, path);
  // A cycle cannot be serialized anyway; it is left for JSON.stringify to refuse.
  if (path.has(value)) return value;
  path.add(value);
  const copy = Array.isArray(value)
    ? value.map((item) => walk(item, redact, path))
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key), walk(item, redact, path)]));
  path.delete(value);
  return copy;
}

function spellingsOf(secret: string): string[] {
  const jsonEscaped = JSON.stringify(secret).slice(1, -1);
  let uriEncoded: string;
  try {
    uriEncoded = encodeURIComponent(secret);
  } catch {
    // A lone surrogate cannot be URL-encoded, so it cannot travel in that spelling either.
    return [secret, jsonEscaped];
  }
  // The AWS SDK's query serializer also escapes !'()* (RFC 3986), so a query-protocol body spells them so.
  const queryEncoded = uriEncoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [secret, jsonEscaped, uriEncoded, queryEncoded];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
