/**
 * `rack channel verify` against the corpus of broken channel directories (test/fixtures/channels): each case
 * is the `valid` directory with one thing broken, and gets its own precise problem, with file and line, and
 * exit 3. Every problem of a source is listed at once.
 */
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from '../../harness/githubServer.js';
import { repoRoot, runRack, tempHome } from '../../harness/runRack.js';
import { closedPort } from './fixtures.js';

const CORPUS = path.join(repoRoot, 'test/fixtures/channels');
const home = tempHome('rack-verify-');
const env = { RACK_HOME: home };

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(path.join(CORPUS, file)))
    .digest('hex');

async function verify(channels: string[] = [], extraEnv: Record<string, string> = {}) {
  const result = await runRack(['channel', 'verify', ...channels], { env: { ...env, ...extraEnv } });
  const problems = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('  - '))
    .map((line) => line.slice(4));
  return { ...result, problems };
}

const verifyCase = (name: string) => verify(['--channels', path.join(CORPUS, name, 'channels')]);

/** What verify says of a source without a release manifest. */
const UNSIGNED = 'unsigned: no release-manifest.json (`rack channel sign` signs it)\n';

/** Each case of the corpus and the exact problems verify reports for it. */
const CASES: Record<string, () => Promise<string[]>> = {
  'bad-yaml': async () => ['channels/catalog.yaml:14: Nested mappings are not allowed in compact mappings'],
  'unknown-fields': async () => ['channels/catalog.yaml:15: releases[1].barier: unknown field'],
  'digest-mismatch': async () => [
    `channels/catalog.yaml:20: releases[2].sha256: does not match templates/rack-1.2.0.yaml, whose sha256 is ${await sha256('digest-mismatch/channels/templates/rack-1.2.0.yaml')}`,
  ],
  'release-not-in-catalog': async () => [
    'channels/stable.yaml:13: releases[2].version: 1.3.0 is not a release of the catalog',
  ],
  'yanked-barrier-without-fix': async () => [
    'channels/catalog.yaml:19: releases[1].yanked: the barrier 1.1.0 is yanked with no fixed release (fixedIn), so racks below it cannot update past it',
  ],
  'duplicate-versions': async () => [
    'channels/catalog.yaml:16: releases[2].version: 1.1.0 is listed twice (also releases[1].version)',
  ],
  'barrier-fix-beyond-next-barrier': async () => [
    'channels/catalog.yaml:11: releases[0].yanked: the barrier 1.0.0 is fixed in 1.2.0, beyond the next barrier 1.1.0, so racks would skip one of the two stops',
  ],
  'missing-template': async () => [
    'channels/catalog.yaml:19: releases[2].template: cannot be read: templates/rack-1.2.0.yaml is not in the channels directory',
  ],
  'not-a-rack-template': async () => [
    'channels/catalog.yaml:19: releases[2].template: templates/rack-1.2.0.yaml is not a rack template: it lacks the EncryptionKey output',
  ],
  'unknown-feeder': async () => ['channels/stable.yaml:6: feeder.channel: there is no channel named beta'],
  'premature-promotion': async () => [
    'channels/stable.yaml:12: releases[1].entered: 1.1.0 entered stable 2d 3h 30m before its 7d in unstable was over, and is not marked forced: true',
  ],
  'invalid-migration': async () => ['migrations/1.1.0.yaml:6: changes[0].renmae: unknown field'],
  'invalid-risk': async () => [
    'channels/catalog.yaml:28: releases[2].risks[0].match.parameter.matches: not a regular expression: Invalid regular expression: /^(?:t3\\.(small)$/u: Unterminated group',
    'channels/catalog.yaml:32: releases[2].risks[1].match.services: unknown field',
  ],
  'invalid-rollout': async () => [
    'channels/stable.yaml:13: rollout.waves[1]: the last wave must be percent: 100, so that every rack of the channel is in a wave',
  ],
  'migration-for-unknown-release': async () => [
    'migrations/1.5.0.yaml:3: version: 1.5.0 is not a release of the catalog',
  ],
  'migration-template-mismatch': async () => [
    'migrations/1.1.0.yaml:7: changes[0].rename.to: LogRetentionDay is not a parameter of the 1.1.0 template',
  ],
  'secret-in-migration': async () => [
    'migrations/1.2.0.yaml:7: changes[0].add.value: a literal value for the NoEcho parameter ApiToken publishes the secret; use generate (a secret drawn for each rack), or leave ApiToken out so that each rack gives it with --param',
  ],
  'duplicate-migration': async () => [
    'migrations/1.1.0.yml:3: version: migrations/1.1.0.yaml is also the migration for 1.1.0',
  ],
  'migration-without-digest': async () => [
    `migrations/1.1.0.yaml: the catalog gives no sha256 for it, so nothing shows it is the migration that was published; add \`migration: { sha256: ${await sha256('migration-without-digest/migrations/1.1.0.yaml')} }\` to release 1.1.0 in the catalog (or sign the channels)`,
  ],
  'migration-digest-mismatch': async () => [
    `migrations/1.1.0.yaml: sha256 is ${await sha256('migration-digest-mismatch/migrations/1.1.0.yaml')}, the catalog says ${await sha256('valid/migrations/1.1.0.yaml')} (changed after it was published)`,
  ],
  'newer-schema': async () => ['channels/catalog.yaml is written in format schema 2; this rack reads schema 1.'],
  'missing-catalog': async () => [
    'channels/catalog.yaml: missing (a channels directory holds the release catalog beside its channel files)',
  ],
  'many-problems': async () => [
    'channels/stable.yaml:13: releases[1].promoted: unknown field',
    `channels/catalog.yaml:6: releases[0].sha256: does not match templates/rack-1.0.0.yaml, whose sha256 is ${await sha256('many-problems/channels/templates/rack-1.0.0.yaml')}`,
    'migrations/1.1.0.yaml:7: changes[0].rename.to: LogRetentionDay is not a parameter of the 1.1.0 template',
  ],
};

describe('the corpus of broken channel directories', () => {
  it('has a test for every case in test/fixtures/channels', async () => {
    const cases = (await readdir(CORPUS, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(cases.filter((name) => name !== 'valid').sort()).toEqual(Object.keys(CASES).sort());
  });

  it('starts from a valid directory', async () => {
    const result = await verifyCase('valid');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`channels OK: 3 releases, 2 channels, 1 migration\n${UNSIGNED}`);
  });

  for (const [name, expected] of Object.entries(CASES)) {
    it(`${name}: its own problem, exit 3`, async () => {
      const result = await verifyCase(name);
      expect(result.code, result.stderr).toBe(3);
      expect(result.problems).toEqual(await expected());
      const count = result.problems.length;
      expect(result.stderr).toContain(`has ${count} problem${count === 1 ? '' : 's'}.`);
    });
  }

  it('gives the same problems in --json', async () => {
    const result = await runRack(
      ['channel', 'verify', '--json', '--channels', path.join(CORPUS, 'many-problems/channels')],
      { env },
    );
    expect(result.code).toBe(3);
    const { error } = result.json();
    expect(error).toMatchObject({
      kind: 'refused',
      exitCode: 3,
      details: { reason: 'invalid-source', releases: 3, channels: 2, migrations: 1 },
    });
    expect(error.problems).toEqual(await CASES['many-problems']!());
  });
});

describe('verify on other sources', () => {
  it('passes the channels shipped with rack', async () => {
    const result = await verify();
    expect(result.code, result.stderr).toBe(0);
    // The key that would sign the shipped channels cannot ship with them: they stay unsigned, and their
    // migrations are protected by the digests in the catalog.
    expect(result.stdout).toMatch(/^channels OK: \d+ releases, \d+ channels, \d+ migrations\n/);
    expect(result.stdout.split('\n')[1]).toBe(UNSIGNED.trim());
    const json = await runRack(['channel', 'verify', '--json'], { env });
    expect(json.json()).toMatchObject({
      ok: true,
      releases: 7,
      channels: 2,
      migrations: 2,
      templates: 7,
      signature: { status: 'unsigned' },
    });
  });

  it('reads the directory named by RACK_CHANNELS', async () => {
    const result = await verify([], { RACK_CHANNELS: path.join(CORPUS, 'unknown-fields/channels') });
    expect(result.code).toBe(3);
    expect(result.problems).toEqual(await CASES['unknown-fields']!());
  });

  it('reports a template URL that cannot be fetched as a problem of its release', async () => {
    const dir = path.join(tempHome('rack-verify-url-'), 'source');
    await cp(path.join(CORPUS, 'valid'), dir, { recursive: true });
    const port = await closedPort();
    const catalog = path.join(dir, 'channels/catalog.yaml');
    const text = await readFile(catalog, 'utf8');
    await writeFile(
      catalog,
      text.replace('template: templates/rack-1.2.0.yaml', `template: https://127.0.0.1:${port}/rack-1.2.0.yaml`),
    );
    const result = await verify(['--channels', path.join(dir, 'channels')]);
    expect(result.code).toBe(3);
    expect(result.problems).toEqual([
      `channels/catalog.yaml:19: releases[2].template: cannot be read: https://127.0.0.1:${port}/rack-1.2.0.yaml could not be fetched: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });
});

describe('verify on a GitHub source', () => {
  let server: GitHubServer;
  beforeAll(async () => {
    server = await startGitHubServer();
  });
  afterAll(() => server.close());

  const github = async (name: string) => {
    server.putRepository('acme', 'racks', await filesOf(path.join(CORPUS, name)));
    return verify(['--channels', 'github:acme/racks/channels@main'], { RACK_GITHUB_API_URL: server.url });
  };

  it('passes a valid repository and finds the same problems as in a directory', async () => {
    const valid = await github('valid');
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toBe(`channels OK: 3 releases, 2 channels, 1 migration\n${UNSIGNED}`);
    const broken = await github('many-problems');
    expect(broken.code).toBe(3);
    expect(broken.problems).toEqual(await CASES['many-problems']!());
  });
});

async function filesOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file).split(path.sep).join('/')] = await readFile(file, 'utf8');
  }
  return files;
}
