/** The loopback GitHub keeps GitHub's behaviour where the source depends on it. */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from '../../harness/githubServer.js';
import { REPOSITORY_FILES, tempDir } from './fixtures.js';

let server: GitHubServer;
let commit: string;
beforeAll(async () => {
  server = await startGitHubServer();
  commit = server.putRepository('acme', 'racks', REPOSITORY_FILES)!;
});
afterAll(() => server.close());

const get = (route: string, headers: Record<string, string> = {}) => fetch(`${server.url}${route}`, { headers });
const SHA = { accept: 'application/vnd.github.sha' };

it('hashes trees as git does, so object ids are real', async () => {
  const repo = await tempDir('git');
  try {
    for (const [file, content] of Object.entries(REPOSITORY_FILES)) {
      await mkdir(path.dirname(path.join(repo.dir, file)), { recursive: true });
      await writeFile(path.join(repo.dir, file), content);
    }
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '.');
    const root = (await (await get(`/repos/acme/racks/git/trees/${commit}`)).json()) as { sha: string };
    expect(root.sha).toBe(git('write-tree'));
  } finally {
    await repo.remove();
  }
});

it('answers the commit id as text, then 304 to a matching If-None-Match, weak or strong', async () => {
  const first = await get('/repos/acme/racks/commits/main', SHA);
  expect(first.status).toBe(200);
  expect(await first.text()).toBe(commit);
  const etag = first.headers.get('etag')!;
  expect(etag).toMatch(/^W\/".+"$/);
  expect((await get('/repos/acme/racks/commits/main', { ...SHA, 'if-none-match': etag })).status).toBe(304);
  expect((await get('/repos/acme/racks/commits/main', { ...SHA, 'if-none-match': etag.slice(2) })).status).toBe(304);
  expect((await get('/repos/acme/racks/commits/main', { ...SHA, 'if-none-match': 'W/"other"' })).status).toBe(200);
  expect((await get('/repos/acme/racks/commits/main')).status).toBe(415);
});

it('answers blobs in base64 wrapped at 60 characters, like GitHub', async () => {
  server.putRepository('acme', 'big', { 'channels/catalog.yaml': 'x'.repeat(200) });
  const root = (await (await get('/repos/acme/big/git/trees/main')).json()) as { tree: { sha: string }[] };
  const channels = (await (await get(`/repos/acme/big/git/trees/${root.tree[0]!.sha}`)).json()) as {
    tree: { sha: string }[];
  };
  const blob = (await (await get(`/repos/acme/big/git/blobs/${channels.tree[0]!.sha}`)).json()) as {
    content: string;
    encoding: string;
  };
  expect(blob.encoding).toBe('base64');
  expect(blob.content.split('\n')[0]).toHaveLength(60);
  expect(Buffer.from(blob.content, 'base64').toString()).toBe('x'.repeat(200));
});

it('rate-limits with GitHub headers and body', async () => {
  server.fault({ kind: 'rate-limit', resetAt: new Date('2030-01-01T00:00:00Z') });
  const limited = await get('/repos/acme/racks/commits/main', SHA);
  expect(limited.status).toBe(403);
  expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(limited.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2030-01-01T00:00:00Z') / 1000));
  expect(((await limited.json()) as { message: string }).message).toMatch(/^API rate limit exceeded/);
  server.fault({ kind: 'secondary-rate-limit', retryAfterSeconds: 30 });
  const secondary = await get('/repos/acme/racks/commits/main', SHA);
  expect([secondary.status, secondary.headers.get('retry-after')]).toEqual([429, '30']);
  server.fault(undefined);
  expect(server.requests.at(-1)).toMatchObject({ path: '/repos/acme/racks/commits/main', status: 429 });
});

it("answers 404 with GitHub's error body for a missing repository", async () => {
  const missing = await get('/repos/acme/nothing/commits/main', SHA);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({
    message: 'Not Found',
    documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
    status: '404',
  });
});
