/**
 * The highest release manifest version this state store has seen for each channels source, so that a
 * source served again at an older, validly signed manifest (a rollback attack) is refused. Kept in the
 * state store, so that a team sharing one in S3 shares the memory too.
 */
import { sha256 } from '../core/digest.js';
import { updateObject, type StateStore } from './store.js';

interface SeenRecord {
  /** The source, as its id (e.g. github:github.com/acme/racks/channels@main). */
  source: string;
  version: number;
  /** When that version was first seen. */
  at: string;
}

/** channels/seen/<readable part>-<digest>.json: readable in a listing, and unique whatever the id holds. */
function seenKey(sourceId: string): string {
  const readable = sourceId
    .toLowerCase()
    .replace(/[^a-z0-9.@-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(-60);
  const digest = sha256(sourceId).slice(0, 12);
  return `channels/seen/${readable}-${digest}.json`;
}

function parse(text: string | undefined): SeenRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as SeenRecord;
    return Number.isInteger(record?.version) ? record : undefined;
  } catch {
    return undefined;
  }
}

export async function readSeenVersion(store: StateStore, sourceId: string): Promise<number | undefined> {
  return parse((await store.get(seenKey(sourceId)))?.text)?.version;
}

/** Raises the version seen for the source to `version` (compare-and-swap); never lowers it. */
export async function recordSeenVersion(store: StateStore, sourceId: string, version: number, at: Date): Promise<void> {
  await updateObject(store, seenKey(sourceId), (current) => {
    const seen = parse(current?.text);
    if (seen && seen.version >= version) return undefined;
    const record: SeenRecord = { source: sourceId, version, at: at.toISOString() };
    return { text: `${JSON.stringify(record, null, 2)}\n`, result: undefined };
  });
}
