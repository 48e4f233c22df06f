/**
 * The lease of a held lock, over a state store that fails and that others change: renewal retries through
 * failures while the lease lasts, and the holder learns — `lost()` — when the lease ran out or the lock was
 * removed or taken over. A store in memory stands in for the file and S3 stores (same compare-and-swap
 * contract); the timers are fake, so the 20-second renewals run at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { acquireLock, LEASE_MS, lockKey, readLock } from '../../../src/state/locks.js';
import type { StateStore } from '../../../src/state/store.js';

function memoryStore(): StateStore & { failing: boolean; objects: Map<string, string> } {
  const objects = new Map<string, string>();
  let version = 0;
  const versions = new Map<string, string>();
  const store = {
    failing: false,
    objects,
    location: 'memory',
    describe: (key: string) => `memory:${key}`,
    async get(key: string) {
      if (store.failing) throw new Error('store unreachable');
      const text = objects.get(key);
      return text === undefined ? undefined : { text, version: versions.get(key)! };
    },
    async put(key: string, text: string, expect: string | null) {
      if (store.failing) throw new Error('store unreachable');
      if ((versions.get(key) ?? null) !== expect) return false;
      objects.set(key, text);
      versions.set(key, String(++version));
      return true;
    },
    async delete(key: string, expect: string) {
      if (store.failing) throw new Error('store unreachable');
      if (versions.get(key) !== expect) return false;
      objects.delete(key);
      versions.delete(key);
      return true;
    },
    async list() {
      return [...objects.keys()];
    },
  };
  return store;
}

const target = { rack: 'prod', stack: 'prod-stack', key: 'us-east-1/prod-stack' };
const now = () => new Date();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a held lock', () => {
  it('renews its lease every 20 seconds, for as long as it is held', async () => {
    const store = memoryStore();
    const lock = await acquireLock(store, target, 'update', { now });
    const first = (await readLock(store, target))!.holder.leaseUntil;
    await vi.advanceTimersByTimeAsync(50_000);
    const later = (await readLock(store, target))!.holder.leaseUntil;
    expect(new Date(later).getTime()).toBeGreaterThan(new Date(first).getTime());
    expect(lock.lost()).toBeUndefined();
    await lock.release();
    expect(store.objects.has(lockKey(target))).toBe(false);
  });

  it('keeps it through a store outage shorter than the lease, retrying with backoff', async () => {
    const store = memoryStore();
    const lock = await acquireLock(store, target, 'update', { now });
    await vi.advanceTimersByTimeAsync(19_000);
    store.failing = true;
    await vi.advanceTimersByTimeAsync(30_000);
    store.failing = false;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(lock.lost()).toBeUndefined();
    expect(new Date((await readLock(store, target))!.holder.leaseUntil).getTime()).toBeGreaterThan(Date.now());
    await lock.release();
  });

  it('is lost when the store fails for longer than the lease', async () => {
    const store = memoryStore();
    const lock = await acquireLock(store, target, 'update', { now });
    store.failing = true;
    await vi.advanceTimersByTimeAsync(LEASE_MS + 10_000);
    expect(lock.lost()).toMatch(/lease ran out/);
    store.failing = false;
    await lock.release();
  });

  it('is lost when someone removes it, or another process takes it over; its release leaves theirs', async () => {
    const removed = memoryStore();
    const lock = await acquireLock(removed, target, 'update', { now });
    removed.objects.clear();
    await vi.advanceTimersByTimeAsync(21_000);
    expect(lock.lost()).toMatch(/removed while this operation held it/);

    const taken = memoryStore();
    const mine = await acquireLock(taken, target, 'update', { now });
    const holder = JSON.parse(taken.objects.get(lockKey(target))!);
    await taken.put(
      lockKey(target),
      JSON.stringify({ ...holder, id: 'theirs', user: 'someone', host: 'elsewhere', pid: 42 }),
      (await taken.get(lockKey(target)))!.version,
    );
    await vi.advanceTimersByTimeAsync(21_000);
    expect(mine.lost()).toMatch(/taken over by someone@elsewhere \(pid 42/);
    await mine.release();
    expect(JSON.parse(taken.objects.get(lockKey(target))!).id).toBe('theirs');
  });

  it('is ours when a retried create finds our own write (its first answer was lost)', async () => {
    const store = memoryStore();
    const put = store.put.bind(store);
    let first = true;
    store.put = async (key, text, expect) => {
      const done = await put(key, text, expect);
      if (first && done) {
        first = false;
        // The write happened; the answer is lost and the caller tries again.
        return put(key, text, expect);
      }
      return done;
    };
    const lock = await acquireLock(store, target, 'update', { now });
    expect((await readLock(store, target))!.holder.id).toBe(lock.holder.id);
    await lock.release();
  });
});
