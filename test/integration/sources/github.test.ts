import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSource, type ChannelSource, type Env } from '../../../src/sources/source.js';
import { startGitHubServer, type GitHubServer } from '../../harness/githubServer.js';
import { filesUnder, REPOSITORY_FILES, sourceOptions, tempDir, testClock, text, type TestClock } from './fixtures.js';

const SPEC = 'github:acme/racks/channels@main';
const HOUR = 3_600_000;
const TOKEN = 'test-token-that-must-never-be-stored-0001';

let server: GitHubServer;
let home: { dir: string; remove: () => Promise<void> };
let clock: TestClock;

beforeAll(async () => {
  server = await startGitHubServer({ tokens: [TOKEN] });
});
afterAll(() => server.close());
beforeEach(async () => {
  server.fault(undefined);
  server.putRepository('acme', 'racks', REPOSITORY_FILES);
  server.clearRequests();
  home = await tempDir('github');
  clock = testClock();
});
afterEach(() => home.remove());

function open(spec = SPEC, env: Env = {}, extra: { timeoutMs?: number; debug?: (line: string) => void } = {}) {
  return openSource(spec, sourceOptions(home.dir, { RACK_GITHUB_API_URL: server.url, ...env }, clock, extra));
}

/** Everything a command might read, so that the cache holds the whole source afterwards. */
async function readEverything(source: ChannelSource) {
  return {
    channels: await source.listChannelFiles(),
    templates: await source.listChannelFiles('templates'),
    catalog: text(await source.readChannelFile('catalog.yaml')),
    stable: text(await source.readChannelFile('stable.yaml')),
    template: text(await source.readChannelFile('templates/rack-1.0.0.yaml')),
    migrations: await source.listMigrationFiles(),
    migration: text(await source.readMigrationFile('1.2.0.yaml')),
  };
}

const EVERYTHING = {
  channels: ['catalog.yaml', 'stable.yaml', 'unstable.yaml'],
  templates: ['rack-1.0.0.yaml'],
  catalog: REPOSITORY_FILES['channels/catalog.yaml'],
  stable: REPOSITORY_FILES['channels/stable.yaml'],
  template: REPOSITORY_FILES['channels/templates/rack-1.0.0.yaml'],
  migrations: ['1.2.0.yaml'],
  migration: REPOSITORY_FILES['migrations/1.2.0.yaml'],
};

const requestLines = () => server.requests.map((request) => `${request.status} ${request.path}`);

describe('reading a GitHub source', () => {
  it('reads channel files and the migrations beside them at the commit the ref names', async () => {
    const commit = server.commit('acme', 'racks', {});
    const source = await open();
    expect(source).toMatchObject({
      kind: 'github',
      description: `${SPEC} at ${new URL(server.url).host}`,
      revision: commit,
      warnings: [],
    });
    expect(source.writableDir).toBeUndefined();
    expect(await readEverything(source)).toEqual(EVERYTHING);
    expect(await source.readChannelFile('beta.yaml')).toBeUndefined();
    expect(await source.readChannelFile('templates')).toBeUndefined();
    expect(await source.readMigrationFile('9.9.9.yaml')).toBeUndefined();
    expect(await source.listChannelFiles('nothing')).toEqual([]);
  });

  it('makes only unconditional requests the first time, one per commit, directory and file', async () => {
    await readEverything(await open());
    expect(server.requests.every((request) => request.ifNoneMatch === undefined)).toBe(true);
    const commit = server.requests[0]!;
    expect(commit.path).toBe('/repos/acme/racks/commits/main');
    expect(commit.accept).toMatch(/application\/vnd\.github(\.v3)?\.sha/);
    // commit; root, channels/, templates/ and migrations/ trees; four files.
    expect(server.requests.filter((request) => request.path.includes('/git/trees/'))).toHaveLength(4);
    expect(server.requests.filter((request) => request.path.includes('/git/blobs/'))).toHaveLength(4);
    expect(server.requests.every((request) => request.status === 200)).toBe(true);
  });

  it('reads an unchanged repository the second time with conditional requests only, each answered 304', async () => {
    await readEverything(await open());
    server.clearRequests();
    clock.advance(HOUR);

    const again = await open();
    expect(await readEverything(again)).toEqual(EVERYTHING);
    expect(again.warnings).toEqual([]);
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) {
      expect(request.ifNoneMatch, request.path).toBeDefined();
      expect(request.status, request.path).toBe(304);
    }
  });

  it('fetches again only what a new commit changed', async () => {
    await readEverything(await open());
    const stableBefore = server.requests.find((r) => r.path.includes('/git/blobs/'))!;
    server.clearRequests();
    server.commit('acme', 'racks', { 'channels/stable.yaml': 'releases: [1.0.0, 1.1.0]\n' });

    const source = await open();
    expect(text(await source.readChannelFile('stable.yaml'))).toBe('releases: [1.0.0, 1.1.0]\n');
    expect(text(await source.readChannelFile('catalog.yaml'))).toBe(EVERYTHING.catalog);
    expect(await source.listMigrationFiles()).toEqual(['1.2.0.yaml']);
    expect(requestLines()).toEqual([
      '200 /repos/acme/racks/commits/main', // conditional, and the answer changed
      expect.stringMatching(/^200 \/repos\/acme\/racks\/git\/trees\//), // the new root
      expect.stringMatching(/^200 \/repos\/acme\/racks\/git\/trees\//), // the new channels/
      expect.stringMatching(/^200 \/repos\/acme\/racks\/git\/blobs\//), // the new stable.yaml
    ]);
    expect(server.requests[0]!.ifNoneMatch).toBeDefined();
    expect(server.requests.map((r) => r.path)).not.toContain(stableBefore.path);
  });

  it('follows the default branch without a ref, and another branch or a commit with one', async () => {
    const first = server.commit('acme', 'racks', {});
    server.setRef('acme', 'racks', 'release/1.x', first);
    const latest = server.commit('acme', 'racks', { 'channels/stable.yaml': 'newer\n' });
    expect((await open('github:acme/racks')).revision).toBe(latest);
    expect(text(await (await open('github:acme/racks')).readChannelFile('stable.yaml'))).toBe('newer\n');
    expect(server.requests.some((r) => r.path === '/repos/acme/racks/commits/HEAD')).toBe(true);
    expect((await open('github:acme/racks/channels@release/1.x')).revision).toBe(first);
    expect((await open(`github:acme/racks/channels@${first}`)).revision).toBe(first);
  });

  it('finds migrations beside a channels directory deeper in the repository', async () => {
    server.putRepository('acme', 'mono', {
      'deploy/racks/catalog.yaml': 'deep catalog\n',
      'deploy/migrations/1.2.0.yaml': 'deep migration\n',
      'migrations/1.2.0.yaml': 'not this one\n',
    });
    const source = await open('github:acme/mono/deploy/racks');
    expect(text(await source.readChannelFile('catalog.yaml'))).toBe('deep catalog\n');
    expect(text(await source.readMigrationFile('1.2.0.yaml'))).toBe('deep migration\n');
  });

  it('refuses paths outside the channels directory', async () => {
    const source = await open();
    await expect(source.readChannelFile('../migrations/1.2.0.yaml')).rejects.toMatchObject({ kind: 'refused' });
    await expect(source.readChannelFile('/channels/stable.yaml')).rejects.toMatchObject({ kind: 'refused' });
    await expect(source.readMigrationFile('../channels/catalog.yaml')).rejects.toMatchObject({ kind: 'refused' });
  });
});

describe('a GitHub source that is not there', () => {
  it('is a usage error naming the repository, suggesting a token for private ones', async () => {
    const error = await open('github:acme/nothing/channels@main').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'usage', exitCode: 2, message: expect.stringContaining('acme/nothing') });
    expect((error as { next: string }).next).toMatch(/private repository .* GITHUB_TOKEN/);
    expect(server.requests.map((r) => r.status)).toEqual([404]);
  });

  it('is a usage error even when a copy is cached: GitHub answered', async () => {
    await readEverything(await open());
    server.deleteRepository('acme', 'racks');
    await expect(open()).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining('acme/racks') });
  });

  it('reads a private repository with a token, and is not found without one', async () => {
    server.putRepository('acme', 'private-racks', REPOSITORY_FILES, { private: true });
    await expect(open('github:acme/private-racks')).rejects.toMatchObject({ kind: 'usage' });
    const source = await open('github:acme/private-racks', { GITHUB_TOKEN: TOKEN });
    expect(await readEverything(source)).toEqual(EVERYTHING);
  });

  it('is a usage error for a ref that names no commit', async () => {
    const error = await open('github:acme/racks/channels@no-such-branch').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'usage', message: expect.stringContaining('"no-such-branch"') });
    expect(server.requests.map((r) => r.status)).toEqual([422]);
  });

  it('is a usage error for a path that is not a directory at that commit', async () => {
    const error = await open('github:acme/racks/chanels@main').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'usage', message: expect.stringContaining('no directory "chanels" at main') });
    await expect(open('github:acme/racks/README.md')).rejects.toMatchObject({ kind: 'usage' });
  });

  it('is a usage error for an empty repository', async () => {
    server.putRepository('acme', 'empty', {});
    await expect(open('github:acme/empty')).rejects.toMatchObject({
      kind: 'usage',
      message: 'The repository acme/empty is empty.',
    });
    expect(server.requests.map((r) => r.status)).toEqual([409]);
  });

  it('is an auth error when GitHub refuses the token, naming its variable and never its value', async () => {
    const error = await open(SPEC, { GITHUB_TOKEN: 'ghp_revoked_token_value' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'auth', exitCode: 4, message: expect.stringContaining('GITHUB_TOKEN') });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
      'ghp_revoked_token_value',
    );
  });

  it('is a usage error for a spec that is not owner/repo', async () => {
    for (const spec of [
      'github:',
      'github:acme',
      'github:acme/',
      'github:ac me/racks',
      'github:acme/racks@',
      'github:acme/racks/../x',
    ]) {
      await expect(open(spec), spec).rejects.toMatchObject({
        kind: 'usage',
        next: expect.stringContaining('github:owner/repo'),
      });
    }
    expect(server.requests).toEqual([]);
  });
});

describe('when GitHub rate-limits', () => {
  it('uses the cached copy with a warning saying when the limit resets and how old the copy is (403)', async () => {
    await readEverything(await open());
    clock.advance(2 * HOUR);
    server.fault({ kind: 'rate-limit', resetAt: new Date(clock.now().getTime() + 12 * 60_000) });
    server.clearRequests();

    const source = await open();
    expect(await readEverything(source)).toEqual(EVERYTHING);
    expect(source.warnings).toEqual([
      `The API rate limit of GitHub at ${server.url} is used up until 14:12 UTC (in 12 minutes); using the copy of ${source.description} cached 2 hours ago.`,
    ]);
    expect(server.requests.map((r) => r.status)).toEqual([403]);
  });

  it('uses the cached copy after a secondary rate limit (429 with retry-after)', async () => {
    await readEverything(await open());
    clock.advance(5 * 60_000);
    server.fault({ kind: 'secondary-rate-limit', retryAfterSeconds: 60 });
    const source = await open();
    expect(await readEverything(source)).toEqual(EVERYTHING);
    expect(source.warnings[0]).toMatch(
      /API rate limit of GitHub at \S+ is used up until 12:06 UTC \(in 1 minute\); using the copy .* cached 5 minutes ago/,
    );
  });

  it('without a cached copy, says when the limit resets and to set GITHUB_TOKEN', async () => {
    server.fault({ kind: 'rate-limit', resetAt: new Date(clock.now().getTime() + 30 * 60_000) });
    const error = await open().catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'internal',
      exitCode: 1,
      message: expect.stringMatching(/API rate limit of GitHub at \S+ is used up until 12:30 UTC.*not cached/),
    });
    expect((error as { next: string }).next).toMatch(
      /^Set GITHUB_TOKEN \(or GH_TOKEN\).*after 12:30 UTC.*--channels <dir>/,
    );
  });

  it('with a token, says to wait instead', async () => {
    server.fault({ kind: 'secondary-rate-limit', retryAfterSeconds: 90 });
    const error = await open(SPEC, { GH_TOKEN: TOKEN }).catch((e: unknown) => e);
    expect((error as { next: string }).next).toMatch(
      /^Try again after 12:01 UTC \(in 2 minutes\), or use a local copy/,
    );
  });
});

describe('when GitHub cannot be reached', () => {
  it('uses the copy cached last, with a warning saying how old it is', async () => {
    const down = await startGitHubServer();
    down.putRepository('acme', 'racks', REPOSITORY_FILES);
    const env = { RACK_GITHUB_API_URL: down.url };
    await readEverything(await open(SPEC, env));
    clock.advance(HOUR);
    await open(SPEC, env); // a 304 an hour later confirms the copy
    clock.advance(3 * HOUR);
    await down.down();

    const source = await open(SPEC, env);
    expect(source.warnings).toHaveLength(1);
    expect(source.warnings[0]).toMatch(
      new RegExp(
        `^GitHub at ${down.url} could not be reached \\(.*ECONNREFUSED.*\\); using the copy of ${SPEC} at 127\\.0\\.0\\.1:\\d+ cached 3 hours ago\\.$`,
      ),
    );
    expect(await readEverything(source)).toEqual(EVERYTHING);
  });

  it('says a file was never cached when it is read offline for the first time', async () => {
    const down = await startGitHubServer();
    down.putRepository('acme', 'racks', REPOSITORY_FILES);
    const env = { RACK_GITHUB_API_URL: down.url };
    expect(text(await (await open(SPEC, env)).readChannelFile('stable.yaml'))).toBe(EVERYTHING.stable);
    await down.down();
    const source = await open(SPEC, env);
    expect(text(await source.readChannelFile('stable.yaml'))).toBe(EVERYTHING.stable);
    await expect(source.readMigrationFile('1.2.0.yaml')).rejects.toMatchObject({
      kind: 'internal',
      message: expect.stringMatching(
        /could not be reached.*the directory migrations of .* is not cached on this machine yet/,
      ),
    });
  });

  it('without a cached copy, says to check the network or use a local directory', async () => {
    const down = await startGitHubServer();
    await down.down();
    const error = await open(SPEC, { RACK_GITHUB_API_URL: down.url }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'internal',
      message: expect.stringMatching(
        /could not be reached \(.*ECONNREFUSED.*\), and github:acme\/racks\/channels@main at \S+ is not cached on this machine yet\.$/,
      ),
    });
    expect((error as { next: string }).next).toBe(
      'Check the network connection and RACK_GITHUB_API_URL and try again, or use a local copy of the channels with --channels <dir>.',
    );
  });

  it('gives up on a request GitHub does not answer, after the time limit', async () => {
    server.fault({ kind: 'stall' });
    const started = Date.now();
    const error = await open(SPEC, {}, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ kind: 'internal', message: expect.stringContaining('no answer within 0.2 s') });
  });

  it('uses the cached copy when GitHub answers 5xx', async () => {
    await readEverything(await open());
    server.fault({ kind: 'unavailable', status: 503 });
    const source = await open();
    expect(source.warnings[0]).toMatch(/answered 503 \(unavailable\); using the copy .* cached less than a minute ago/);
    expect(await readEverything(source)).toEqual(EVERYTHING);
  });
});

describe('GitHub Enterprise and tokens', () => {
  it('reads through the base URL of a GitHub Enterprise server, with a cache of its own', async () => {
    const enterprise = await startGitHubServer({ pathPrefix: '/api/v3' });
    try {
      enterprise.putRepository('acme', 'racks', REPOSITORY_FILES);
      const env = { RACK_GITHUB_API_URL: `${enterprise.url}/` };
      const source = await open(SPEC, env);
      expect(await readEverything(source)).toEqual(EVERYTHING);
      expect(enterprise.requests.length).toBeGreaterThan(0);
      expect(enterprise.requests.every((r) => r.rawPath.startsWith('/api/v3/repos/acme/racks/'))).toBe(true);
      const host = new URL(enterprise.url).host.replace(':', '_');
      expect(
        [...(await filesUnder(path.join(home.dir, 'cache/github'))).keys()].every((f) =>
          f.includes(`/cache/github/${host}/acme/racks/`),
        ),
      ).toBe(true);
    } finally {
      await enterprise.close();
    }
  });

  it('caches github.com under cache/github/github.com/<owner>/<repo>', async () => {
    const viaGitHub: typeof fetch = (input, init) =>
      fetch(String(input).replace('https://api.github.com', server.url), init);
    const source = await openSource(SPEC, sourceOptions(home.dir, {}, clock, { fetch: viaGitHub }));
    expect(source.description).toBe(SPEC);
    await source.readChannelFile('catalog.yaml');
    const files = [...(await filesUnder(path.join(home.dir, 'cache/github'))).keys()];
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.startsWith(path.join(home.dir, 'cache/github/github.com/acme/racks/')))).toBe(true);

    server.fault({ kind: 'rate-limit', resetAt: new Date(clock.now().getTime() + 60 * 60_000) });
    const limited = await openSource(SPEC, sourceOptions(home.dir, {}, clock, { fetch: viaGitHub }));
    expect(limited.warnings).toEqual([
      `GitHub's API rate limit is used up until 13:00 UTC (in 60 minutes); using the copy of ${SPEC} cached less than a minute ago.`,
    ]);
  });

  it('sends GITHUB_TOKEN (else GH_TOKEN) as the authorization and never writes or logs it', async () => {
    const debug: string[] = [];
    await readEverything(
      await open(SPEC, { GITHUB_TOKEN: TOKEN, GH_TOKEN: 'ghp_other' }, { debug: (line) => debug.push(line) }),
    );
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    server.clearRequests();
    await open(SPEC, { GH_TOKEN: TOKEN });
    expect(server.requests.map((r) => r.authorization)).toEqual([`token ${TOKEN}`]);

    const cached = await filesUnder(home.dir);
    expect(cached.size).toBeGreaterThan(5);
    for (const [file, content] of cached) {
      expect(content, file).not.toContain(TOKEN);
      expect(content, file).not.toContain('authorization');
    }
    expect(debug.length).toBeGreaterThan(0);
    expect(debug.join('\n')).not.toContain(TOKEN);
    expect(debug[0]).toMatch(/^github GET \/repos\/acme\/racks\/commits\/main 200 \d+ms$/);
  });

  it('sends no authorization without a token', async () => {
    await open();
    expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
  });
});
