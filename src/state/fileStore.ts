/**
 * The state store on this machine. Writes are atomic (temp file, fsync, rename) so a crash never
 * leaves half a file, and compare-and-swap runs under a short exclusive lock file so that concurrent
 * processes serialise their writes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from '../core/digest.js';
import { busy } from '../errors.js';
import { processIsAlive } from './processes.js';
import type { StateStore, StoredObject } from './store.js';

const LOCK_WAIT_MS = 10_000;
/** A lock file older than this was left by a crashed process (a write takes milliseconds). */
const LOCK_STALE_MS = 30_000;

/**
 * A write lock left by a process that died mid-write: its pid on this machine is gone, or it is older than
 * a write ever takes.
 */
async function abandoned(lockFile: string): Promise<boolean> {
  const [stat, text] = await Promise.all([
    fs.stat(lockFile).catch(() => undefined),
    fs.readFile(lockFile, 'utf8').catch(() => ''),
  ]);
  if (!stat) return false;
  if (Date.now() - stat.mtimeMs > LOCK_STALE_MS) return true;
  const [pid, host] = text.trim().split(' ');
  if (!pid || host !== os.hostname() || Date.now() - stat.mtimeMs < 100) return false;
  return Number.isSafeInteger(Number(pid)) && !processIsAlive(Number(pid));
}

const digest = (text: string) => sha256(text);

export function createFileStore(root: string): StateStore {
  const file = (key: string) => path.join(root, ...key.split('/'));

  async function withWriteLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockFile = `${file(key)}.lock`;
    await fs.mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await fs.open(lockFile, 'wx', 0o600);
        await handle.writeFile(`${process.pid} ${os.hostname()}\n`).finally(() => handle.close());
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (await abandoned(lockFile)) await fs.rm(lockFile, { force: true });
        if (Date.now() > deadline) {
          throw busy(
            `Timed out after ${LOCK_WAIT_MS / 1000} s waiting for ${lockFile}, held by another rack process.`,
            {
              untouched: 'Nothing was written.',
              next: `Try again; if no rack process is running, delete ${lockFile}.`,
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
      }
    }
    try {
      return await fn();
    } finally {
      await fs.rm(lockFile, { force: true });
    }
  }

  async function read(key: string): Promise<StoredObject | undefined> {
    try {
      const text = await fs.readFile(file(key), 'utf8');
      return { text, version: digest(text) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async function writeAtomically(target: string, text: string): Promise<void> {
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  }

  return {
    location: root,
    describe: file,
    get: read,
    put: (key, text, expect) =>
      withWriteLock(key, async () => {
        const current = await read(key);
        if ((current?.version ?? null) !== expect) return false;
        await writeAtomically(file(key), text);
        return true;
      }),
    delete: (key, expect) =>
      withWriteLock(key, async () => {
        const current = await read(key);
        if (!current || current.version !== expect) return false;
        await fs.rm(file(key), { force: true });
        return true;
      }),
    list: async (prefix) => {
      const dir = file(prefix);
      const entries = await fs.readdir(dir).catch(() => [] as string[]);
      return entries
        .filter((name) => !name.endsWith('.lock') && !name.endsWith('.tmp'))
        .map((name) => `${prefix}/${name}`)
        .sort();
    },
  };
}
