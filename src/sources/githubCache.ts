/**
 * GitHub responses kept on disk under RACK_HOME, one directory per repository, each with its ETag and
 * when it was fetched and last confirmed, so that a later request can be conditional (a 304 costs
 * nothing against the rate limit) and an unreachable GitHub can be answered from the last copy.
 * Only response bodies are stored: never a request header, so never the token.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEFAULT_API_URL } from './githubClient.js';

export interface CachedResponse<T> {
  etag?: string;
  /** When GitHub last sent this body (ISO 8601). */
  fetchedAt: string;
  /** When GitHub last confirmed it (a 200 or a 304). */
  checkedAt: string;
  data: T;
}

export interface ResponseCache {
  readonly dir: string;
  read<T>(key: string): Promise<CachedResponse<T> | undefined>;
  write<T>(key: string, entry: CachedResponse<T>): Promise<void>;
}

/**
 * <home>/cache/github/<host>/<owner>/<repo>: the host keeps GitHub Enterprise servers apart from
 * github.com; owner and repository are lower case because GitHub's are case-insensitive.
 */
export function repositoryCacheDir(home: string, baseUrl: string, owner: string, repo: string): string {
  const host = baseUrl === DEFAULT_API_URL ? 'github.com' : new URL(baseUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
  return path.join(home, 'cache', 'github', host, owner.toLowerCase(), repo.toLowerCase());
}

export function responseCache(dir: string): ResponseCache {
  const file = (key: string) => path.join(dir, ...key.split('/'));
  return {
    dir,
    async read<T>(key: string) {
      try {
        const entry = JSON.parse(await fs.readFile(file(key), 'utf8')) as CachedResponse<T>;
        return typeof entry === 'object' && entry !== null && typeof entry.checkedAt === 'string' ? entry : undefined;
      } catch {
        // Missing or unreadable (a crash mid-write is impossible; a hand edit is not): fetch again.
        return undefined;
      }
    },
    async write(key, entry) {
      const target = file(key);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await fs.writeFile(temp, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      await fs.rename(temp, target);
    },
  };
}
