/**
 * The GitHub token travels only over https (loopback excepted, for the stand-in server): an http
 * RACK_GITHUB_API_URL with a token is refused before any request, and a redirect to another origin does
 * not take the token along.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSource, type Env } from '../../../src/sources/source.js';
import { startGitHubServer, type GitHubServer } from '../../harness/githubServer.js';
import { runRack } from '../../harness/runRack.js';
import { REPOSITORY_FILES, sourceOptions, tempDir, testClock } from './fixtures.js';

const SPEC = 'github:acme/racks/channels@main';
const TOKEN = 'test-token-never-over-http-0002';

let server: GitHubServer;
let home: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  server = await startGitHubServer({ tokens: [TOKEN] });
});
afterAll(() => server.close());
beforeEach(async () => {
  server.putRepository('acme', 'racks', REPOSITORY_FILES);
  server.clearRequests();
  home = await tempDir('github-token');
});
afterEach(() => home.remove());

const open = (env: Env) => openSource(SPEC, sourceOptions(home.dir, env, testClock()));
/**
 * The stand-in server by an address that is not loopback by name: 0.0.0.0 reaches this machine's listeners,
 * as a plain-http GitHub Enterprise host on the network would be reached.
 */
const overHttp = () => server.url.replace('127.0.0.1', '0.0.0.0');

describe('the GitHub token', () => {
  it.each(['GITHUB_TOKEN', 'GH_TOKEN'])(
    'in %s is never sent to an http:// API: refused before any request',
    async (variable) => {
      const error = await open({ RACK_GITHUB_API_URL: overHttp(), [variable]: TOKEN }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'refused',
        exitCode: 3,
        message: `rack sends the GitHub token only over https, and RACK_GITHUB_API_URL is ${overHttp()}.`,
        next: expect.stringContaining(`unset ${variable}`),
      });
      expect(server.requests).toEqual([]);
    },
  );

  it('is refused for a command, which shows neither the token nor anything read', async () => {
    const result = await runRack(['channels', '--channels', SPEC], {
      env: { RACK_HOME: home.dir, RACK_GITHUB_API_URL: `${overHttp()}/`, GITHUB_TOKEN: TOKEN },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('rack sends the GitHub token only over https');
    expect(result.stderr).toContain('Nothing was sent to 0.0.0.0:');
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    expect(server.requests).toEqual([]);
  });

  it('is not needed for an http:// API: without a token the same address is read anonymously', async () => {
    const source = await open({ RACK_GITHUB_API_URL: overHttp() });
    expect(await source.listChannelFiles()).toEqual(['catalog.yaml', 'stable.yaml', 'unstable.yaml']);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('goes over http to loopback only (the tests’ stand-in)', async () => {
    for (const url of [server.url, server.url.replace('127.0.0.1', 'localhost')]) {
      server.clearRequests();
      await open({ RACK_GITHUB_API_URL: url, GITHUB_TOKEN: TOKEN });
      expect(server.requests.length).toBeGreaterThan(0);
      expect(server.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    }
  });

  it('is dropped when a redirect leads to another origin', async () => {
    const seen: (string | undefined)[] = [];
    const redirector = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(307, { location: `${server.url}${request.url}` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirector.address() as AddressInfo;
      await open({ RACK_GITHUB_API_URL: `http://127.0.0.1:${port}`, GITHUB_TOKEN: TOKEN });
      // The redirects were followed (the source opened), each without the token.
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((authorization) => authorization === `token ${TOKEN}`)).toBe(true);
      expect(server.requests.length).toBe(seen.length);
      expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
    } finally {
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('is kept from an address that is not an http(s) API', async () => {
    for (const url of ['ftp://ghe.example.com/api/v3', 'not a url', 'https://user:pw@ghe.example.com/api/v3']) {
      const error = await open({ RACK_GITHUB_API_URL: url, GITHUB_TOKEN: TOKEN }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'usage',
        message: expect.stringContaining('is not the address of a GitHub API'),
      });
    }
  });
});
