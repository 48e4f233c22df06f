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
 * A function that replaces every occurrence of each secret in a text with MASK. Secrets also leak in
 * encoded form — JSON string escapes in debug dumps, URL encoding in CloudFormation's query protocol —
 * so those spellings are replaced too. Longer secrets go first so that a secret containing another is
 * masked whole. Empty and asterisk-only strings are not secrets.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const spellings = new Set<string>();
  for (const secret of secrets) {
    if (secret === '' || isAsteriskOnly(secret)) continue;
    for (const spelling of spellingsOf(secret)) spellings.add(spelling);
  }
  if (spellings.size === 0) return (text) => text;
  const alternatives = [...spellings].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).map(escapeRegExp);
  const pattern = new RegExp(alternatives.join('|'), 'g');
  return (text) => text.replace(pattern, MASK);
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
