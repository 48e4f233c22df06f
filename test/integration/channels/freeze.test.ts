/**
 * Freeze protection: when GitHub cannot be asked, a cached copy of a GitHub channels source serves writes
 * only while something bounds how stale it is: its signed manifest, unexpired, or else an age below
 * RACK_CHANNELS_MAX_AGE (24h by default). Reads keep working from any copy, with warnings.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context.js';
import { loadChannels } from '../../../src/services/releases.js';
import { startGitHubServer, type GitHubServer } from '../../harness/githubServer.js';
import { repoRoot, runRack, tempHome } from '../../harness/runRack.js';
import { fixedClock } from './fixtures.js';

const SPEC = 'github:acme/racks/channels@main';
const T0 = '2026-12-01T12:00:00Z';
const HOUR = 3_600_000;
const at = (ms: number) => fixedClock(new Date(Date.parse(T0) + ms).toISOString());

let server: GitHubServer;
let home: string;

beforeEach(async () => {
  server = await startGitHubServer();
  home = tempHome('rack-freeze-');
});
afterEach(() => server.close());

/** The files of a directory as the repository holds them: channels/… and migrations/…. */
function repositoryFiles(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const dir of ['channels', 'migrations']) {
    for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      files[path.relative(root, file).split(path.sep).join('/')] = readFileSync(file, 'utf8');
    }
  }
  return files;
}

function shippedCopy(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rack-freeze-src-'));
  cpSync(path.join(repoRoot, 'channels'), path.join(root, 'channels'), { recursive: true });
  cpSync(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  return root;
}

const baseEnv = (extra: Record<string, string> = {}) => ({
  RACK_HOME: home,
  RACK_GITHUB_API_URL: server.url,
  AWS_REGION: 'us-east-1',
  ...extra,
});

const rack = (args: string[], clock: ReturnType<typeof fixedClock>, env: Record<string, string> = {}) =>
  runRack([...args, '--channels', SPEC], { env: baseEnv(env), clock });

/** loadChannels as a write sees it, through a real context. */
function loadForWrite(clock: ReturnType<typeof fixedClock>, env: Record<string, string> = {}) {
  let stderr = '';
  const ctx = createContext(
    {
      argv: [],
      env: baseEnv(env),
      cwd: home,
      stdin: new PassThrough(),
      stdout: { write: () => true },
      stderr: { write: (s: string) => ((stderr += s), true) },
    },
    { json: false, yes: true, debug: false, channels: SPEC },
    { clock },
  );
  return { loaded: loadChannels(ctx, { forWrite: true }), stderr: () => stderr };
}

const install = ['install', 'frozen', '--stack', 'frozen-rack', '--param', 'Password=freeze-Secret-1', '--yes'];

async function cacheThenGoOffline(files: Record<string, string>) {
  server.putRepository('acme', 'racks', files);
  const first = await rack(['releases'], at(0));
  expect(first.code, first.stderr).toBe(0);
  await server.down();
}

describe('an unsigned GitHub source GitHub cannot be asked about', () => {
  it('serves writes from its cache for 24 hours, then refuses them saying how old it is and why', async () => {
    await cacheThenGoOffline(repositoryFiles(shippedCopy()));

    const fresh = loadForWrite(at(23 * HOUR));
    await expect(fresh.loaded).resolves.toMatchObject({ catalog: expect.anything() });
    expect(fresh.stderr()).toMatch(/could not be reached .*; using the copy of .* cached 23 hours ago/);

    const stale = await rack(install, at(25 * HOUR));
    expect(stale.code, stale.stderr).toBe(3);
    expect(stale.stderr).toMatch(
      new RegExp(
        `  - ${SPEC} at \\S+: the cached copy was last confirmed 25 hours ago, longer than RACK_CHANNELS_MAX_AGE \\(24h\\) allows for a write, so a yank or barrier published since could be missed; it could not be refreshed: GitHub at \\S+ could not be reached \\(.*ECONNREFUSED.*\\)$`,
        'm',
      ),
    );
    expect(stale.stderr).toContain('Nothing was written to any stack.');

    // Reading is still allowed, with the same words as a warning.
    const releases = await rack(['releases'], at(25 * HOUR));
    expect(releases.code, releases.stderr).toBe(0);
    expect(releases.stderr).toContain('the cached copy was last confirmed 25 hours ago');
  });

  it('takes another maximum age from RACK_CHANNELS_MAX_AGE, and refuses one that is not a duration', async () => {
    await cacheThenGoOffline(repositoryFiles(shippedCopy()));
    await expect(loadForWrite(at(25 * HOUR), { RACK_CHANNELS_MAX_AGE: '2d' }).loaded).resolves.toBeDefined();
    await expect(loadForWrite(at(2 * HOUR), { RACK_CHANNELS_MAX_AGE: '1h' }).loaded).rejects.toMatchObject({
      kind: 'refused',
      problems: [expect.stringContaining('longer than RACK_CHANNELS_MAX_AGE (1h) allows for a write')],
    });
    const bad = await rack(install, at(25 * HOUR), { RACK_CHANNELS_MAX_AGE: 'a day' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('RACK_CHANNELS_MAX_AGE is "a day", which is not a duration.');
  });
});

describe('a signed GitHub source GitHub cannot be asked about', () => {
  it('serves writes from its cache until its manifest expires, however old the copy', async () => {
    const keys = mkdtempSync(path.join(os.tmpdir(), 'rack-freeze-keys-'));
    const key = path.join(keys, 'maintainer');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'maintainer', '-f', key]);
    const signers = path.join(keys, 'allowed_signers');
    writeFileSync(signers, `maintainer ${readFileSync(`${key}.pub`, 'utf8')}`);
    const root = shippedCopy();
    const signed = await runRack(
      ['channel', 'sign', '--key', key, '--expires', '30d', '--channels', path.join(root, 'channels')],
      { env: { RACK_HOME: home }, clock: at(0) },
    );
    expect(signed.code, signed.stderr).toBe(0);
    await cacheThenGoOffline(repositoryFiles(root));
    const env = { RACK_CHANNEL_SIGNERS: signers };

    await expect(loadForWrite(at(10 * 24 * HOUR), env).loaded).resolves.toMatchObject({
      trust: { status: 'verified', signer: 'maintainer' },
    });
    const expired = await rack(install, at(31 * 24 * HOUR), env);
    expect(expired.code, expired.stderr).toBe(3);
    expect(expired.stderr).toMatch(
      / {2}- channels\/release-manifest.json: expired at 2026-12-31T12:00:00Z \(version 1\)/,
    );
  });
});
