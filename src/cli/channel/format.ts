/** Small formatting shared by the channel commands' human output. */

/** "2026-09-01 10:00": times in channel files are UTC, shown to the minute. */
export function shortTime(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : time.toISOString().slice(0, 16).replace('T', ' ');
}

export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');
}

export function yankText(yanked: { reason: string; fixedIn?: string }): string {
  return `yanked: ${yanked.reason}${yanked.fixedIn ? `; fixed in ${yanked.fixedIn}` : '; no fix yet'}`;
}

/** "a", "a and b", "a, b and c". */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
