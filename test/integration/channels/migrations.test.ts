/**
 * Migrations of an unsigned source are protected by their digests in the catalog (recorded by `rack channel
 * publish`), as templates are; two files for one version are refused; and a migration that writes a
 * literal value to a NoEcho parameter is refused by publish, verify (test/fixtures/channels) and deploy.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { fixedClock, newTemplate, snapshot, workspace, type Workspace } from './fixtures.js';

const NOW = '2026-12-01T12:00:00Z';
const PASSWORD = 'migrations-Secret-7';
const WRITES = /^(CreateStack|CreateBucket|PutObject|CreateChangeSet|ExecuteChangeSet|UpdateStack)$/;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

let aws: LocalAws;
let ws: Workspace;
let template: string;
const migration = (name: string) => path.join(ws.root, 'migrations', name);

beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => aws?.stop());
beforeEach(async () => {
  ws = await workspace();
  template = path.join(ws.root, 'rack-new.yaml');
  await writeFile(template, await newTemplate('1.5.0'));
});

const publish = (...rest: string[]) =>
  ws.rack(['channel', 'publish', '1.5.0', '--template', template, '--channels', ws.channels, ...rest], {
    clock: fixedClock(NOW),
  });

/** A write, with the workspace's channels; the refusals below come before any AWS call. */
async function refusedInstall(): Promise<string[]> {
  const mark = aws.proxy.requests.length;
  const result = await ws.rack(
    ['install', 'x', '--stack', 'x-rack', '--param', `Password=${PASSWORD}`, '--yes', '--channels', ws.channels],
    { env: aws.env() },
  );
  expect(result.code, result.stderr).toBe(3);
  expect(aws.proxy.requests.slice(mark).filter((r) => WRITES.test(r.action))).toEqual([]);
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith('  - '))
    .map((line) => line.slice(4));
}

describe('rack channel publish and the release migration', () => {
  const setInstanceType =
    'schema: 1\nversion: 1.5.0\nchanges:\n  - set: {key: InstanceType, value: t3.medium, inverse: {value: t3.small}}\n';

  it('records the digest of migrations/<version>.yaml in the catalog; verify then accepts it', async () => {
    await writeFile(migration('1.5.0.yaml'), setInstanceType);
    const result = await publish('--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      migration: { sha256: sha256(setInstanceType) },
      migrationFile: 'migrations/1.5.0.yaml',
    });
    expect(await ws.read('catalog.yaml')).toContain(
      `  - version: 1.5.0\n    template: templates/rack-1.5.0.yaml\n    sha256: ${sha256(await readFile(template))}\n    migration:\n      sha256: ${sha256(setInstanceType)}\n`,
    );
    const verify = await ws.rack(['channel', 'verify', '--channels', ws.channels]);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('refuses a migration that gives a NoEcho parameter a literal value, changing nothing', async () => {
    await writeFile(
      migration('1.5.0.yaml'),
      'schema: 1\nversion: 1.5.0\nchanges:\n  - set: {key: WebhookSecret, value: "0123456789abcdef-in-git", inverse: {value: "old-0123456789abcdef"}}\n',
    );
    const before = await snapshot(ws.channels);
    const result = await publish();
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      'migrations/1.5.0.yaml:4: changes[0].set: sets the NoEcho parameter WebhookSecret to a literal value',
    );
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('refuses two migration files for the version', async () => {
    await writeFile(migration('1.5.0.yaml'), setInstanceType);
    await writeFile(migration('1.5.0.yml'), setInstanceType);
    const before = await snapshot(ws.channels);
    const result = await publish();
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('1.5.0 has two migrations, migrations/1.5.0.yaml and migrations/1.5.0.yml');
    expect(await snapshot(ws.channels)).toEqual(before);
  });
});

describe('writes from an unsigned source', () => {
  it('refuse a migration changed after its digest was recorded, naming it; reads warn', async () => {
    const file = migration('1.4.0.yaml');
    const changed = (await readFile(file, 'utf8')).replace('bytes: 24', 'bytes: 16');
    await writeFile(file, changed);
    expect(await refusedInstall()).toEqual([
      `migrations/1.4.0.yaml: sha256 is ${sha256(changed)}, the catalog says ff02817d4cbc0c44ed0a924752d459c84948dcd1a64ffd2246f76940bd30a01d (changed after it was published)`,
    ]);
    const releases = await ws.rack(['releases', '--channels', ws.channels]);
    expect(releases.code).toBe(0);
    expect(releases.stderr).toContain('Warning: migrations/1.4.0.yaml: sha256 is');
  });

  it('refuse a migration the catalog gives no digest for, and a migration deleted', async () => {
    await writeFile(migration('1.3.1.yaml'), 'schema: 1\nversion: 1.3.1\nchanges:\n  - remove: {key: Nothing}\n');
    await rm(migration('1.4.0.yaml'));
    expect(await refusedInstall()).toEqual([
      expect.stringMatching(/^migrations\/1\.3\.1\.yaml: the catalog gives no sha256 for it/),
      "migrations/1.4.0.yaml: missing, though the catalog gives the sha256 of release 1.4.0's migration (deleted after it was published)",
    ]);
  });

  it('refuse two files for one version, which reads refuse too', async () => {
    await copyFile(migration('1.4.0.yaml'), migration('1.4.0.yml'));
    expect(await refusedInstall()).toEqual([
      'migrations/1.4.0.yml:3: version: migrations/1.4.0.yaml is also the migration for 1.4.0',
    ]);
    expect((await ws.rack(['releases', '--channels', ws.channels])).code).toBe(3);
  });
});

describe('an update across a migration that writes a literal NoEcho value', () => {
  it('is refused before any change set is made (exit 3)', async () => {
    // Published with its digest recorded, so that nothing but the secret is wrong with it.
    const text =
      'schema: 1\nversion: 1.4.0\nchanges:\n  - add:\n      key: WebhookSecret\n      value: "published-webhook-secret-0001"\n';
    await writeFile(migration('1.4.0.yaml'), text);
    const catalog = path.join(ws.channels, 'catalog.yaml');
    await writeFile(
      catalog,
      (await readFile(catalog, 'utf8')).replace(
        'ff02817d4cbc0c44ed0a924752d459c84948dcd1a64ffd2246f76940bd30a01d',
        sha256(text),
      ),
    );
    await createRackStack(aws, { stackName: 'literal-rack', version: '1.3.1', password: PASSWORD });
    const env = { ...aws.env() };
    expect((await ws.rack(['racks', 'add', 'lit', '--stack', 'literal-rack'], { env })).code).toBe(0);
    const mark = aws.proxy.requests.length;
    const result = await ws.rack(
      ['update', '--rack', 'lit', '--channel', 'unstable', '--yes', '--channels', ws.channels],
      {
        env,
      },
    );
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(
      'migrations/1.4.0.yaml: changes[0].add.value: a literal value for the NoEcho parameter WebhookSecret publishes the secret',
    );
    expect(result.stdout + result.stderr).not.toContain('published-webhook-secret-0001');
    expect(aws.proxy.requests.slice(mark).filter((r) => WRITES.test(r.action))).toEqual([]);
    expect((await aws.stackParameters('literal-rack')).Version).toBe('1.3.1');
  });
});
