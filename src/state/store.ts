/**
 * Where rack keeps its state: a directory on this machine (default) or an S3 prefix shared by a team.
 * Both offer the same compare-and-swap primitive, so the registry, history and locks are written the
 * same way on both and concurrent writers never lose each other's changes.
 */
export interface StoredObject {
  text: string;
  /** Opaque version to pass back as `expect` (a content digest or an S3 ETag). */
  version: string;
}

export interface StateStore {
  /** Shown in messages, e.g. "/home/me/.config/rack" or "s3://team-bucket/rack". */
  readonly location: string;
  /** Where a key lives, for messages about a file ("/home/me/.config/rack/racks.json"). */
  describe(key: string): string;
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Writes `text` only if the object is still at `expect` (`null`: only if it does not exist).
   * Returns false when someone else changed it first; the caller re-reads and retries.
   */
  put(key: string, text: string, expect: string | null): Promise<boolean>;
  /** Deletes only if still at `expect`; false when it changed or is gone. */
  delete(key: string, expect: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
}

/** Read-modify-write with retries on conflict. `change` returns undefined to write nothing. */
export async function updateObject<T>(
  store: StateStore,
  key: string,
  change: (
    current: StoredObject | undefined,
  ) => { text: string; result: T } | undefined | Promise<{ text: string; result: T } | undefined>,
  attempts = 50,
): Promise<T | undefined> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await store.get(key);
    const next = await change(current);
    if (next === undefined) return undefined;
    if (await store.put(key, next.text, current?.version ?? null)) return next.result;
    // Someone else wrote first: back off a little, with jitter, and try again on fresh data.
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
  }
  throw new Error(`Could not update ${store.describe(key)}: too many concurrent writers.`);
}
