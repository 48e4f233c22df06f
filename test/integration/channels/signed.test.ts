/**
 * Signed channels (docs/security.md): `rack channel sign` writes a manifest of every file and an OpenSSH
 * signature that `ssh-keygen -Y verify` accepts (and rack accepts one `ssh-keygen -Y sign` made). With
 * RACK_CHANNEL_SIGNERS set, a signed source installs and updates; a changed, added or deleted file, an
 * unknown signer, an expired manifest and a manifest older than one already seen are each refused (exit 3,
 * naming the file, nothing written to AWS); read-only commands warn instead.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/io/clock.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { repoRoot, runRack } from '../../harness/runRack.js';
import { fixedClock } from './fixtures.js';

const PASSWORD = 'signed-Secret-42';
const WRITES = /^(CreateStack|CreateBucket|PutObject|CreateChangeSet|ExecuteChangeSet|UpdateStack)$/;
let aws: LocalAws;
const keys = mkdtempSync(path.join(os.tmpdir(), 'rack-signers-'));
const maintainer = path.join(keys, 'maintainer');
const stranger = path.join(keys, 'stranger');
const allowedSigners = path.join(keys, 'allowed_signers');

beforeAll(async () => {
  aws = await startLocalAws();
  for (const [file, comment] of [
    [maintainer, 'maintainer@example.com'],
    [stranger, 'stranger@example.com'],
  ] as const) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  }
  // The format git uses: principal, options, public key.
  writeFileSync(
    allowedSigners,
    `maintainer@example.com namespaces="rack-channels" ${readFileSync(`${maintainer}.pub`, 'utf8')}`,
  );
});
afterAll(async () => {
  await aws?.stop();
  rmSync(keys, { recursive: true, force: true });
});

interface Source {
  channels: string;
  home: string;
  file(name: string): string;
  edit(name: string, change: (text: string) => string): void;
  rack(args: string[], options?: { clock?: Clock; signers?: boolean }): ReturnType<typeof runRack>;
  /** Runs a command that must be refused before any write to AWS. */
  refused(args: string[], options?: { clock?: Clock }): Promise<string[]>;
}

/** A copy of the shipped channels and migrations, with its own RACK_HOME. */
function source(): Source {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rack-signed-'));
  cpSync(path.join(repoRoot, 'channels'), path.join(root, 'channels'), { recursive: true });
  cpSync(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  const channels = path.join(root, 'channels');
  const home = path.join(root, 'home');
  const file = (name: string) => path.join(root, name);
  const rack: Source['rack'] = (args, options = {}) =>
    runRack([...args, '--channels', channels], {
      env: {
        ...aws.env(),
        RACK_HOME: home,
        RACK_HEALTH_TIMEOUT: '20',
        ...(options.signers === false ? {} : { RACK_CHANNEL_SIGNERS: allowedSigners }),
      },
      ...(options.clock ? { clock: options.clock } : {}),
    });
  return {
    channels,
    home,
    file,
    edit: (name, change) => writeFileSync(file(name), change(readFileSync(file(name), 'utf8'))),
    rack,
    async refused(args, options = {}) {
      const mark = aws.proxy.requests.length;
      const result = await rack(args, options);
      expect(result.code, result.stderr).toBe(3);
      expect(
        aws.proxy.requests
          .slice(mark)
          .filter((r) => WRITES.test(r.action))
          .map((r) => r.action),
      ).toEqual([]);
      return result.stderr
        .split('\n')
        .filter((line) => line.startsWith('  - '))
        .map((line) => line.slice(4));
    },
  };
}

const sign = async (src: Source, key = maintainer, ...rest: string[]) => {
  const result = await src.rack(['channel', 'sign', '--key', key, ...rest], { signers: false });
  expect(result.code, result.stderr).toBe(0);
  return result;
};

const install = (_src: Source, name: string) => [
  'install',
  name,
  '--stack',
  `${name}-rack`,
  '--region',
  'us-east-1',
  '--param',
  `Password=${PASSWORD}`,
  '--yes',
];

describe('rack channel sign', () => {
  it('writes a manifest of every file and a signature that ssh-keygen -Y verify accepts', async () => {
    const src = source();
    const result = await sign(src);
    expect(result.stdout).toMatch(/^Signed .*: manifest version 1, 12 files, expires /);
    const manifest = JSON.parse(readFileSync(src.file('channels/release-manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ schema: 1, version: 1 });
    expect(Object.keys(manifest.files)).toEqual([
      'channels/catalog.yaml',
      'channels/stable.yaml',
      'channels/templates/rack-1.0.0.yaml',
      'channels/templates/rack-1.1.0.yaml',
      'channels/templates/rack-1.2.0.yaml',
      'channels/templates/rack-1.3.0.yaml',
      'channels/templates/rack-1.3.1.yaml',
      'channels/templates/rack-1.4.0.yaml',
      'channels/templates/rack-2.0.0.yaml',
      'channels/unstable.yaml',
      'migrations/1.2.0.yaml',
      'migrations/1.4.0.yaml',
    ]);
    const verified = execFileSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        allowedSigners,
        '-I',
        'maintainer@example.com',
        '-n',
        'rack-channels',
        '-s',
        src.file('channels/release-manifest.json.sig'),
      ],
      { input: readFileSync(src.file('channels/release-manifest.json')), encoding: 'utf8' },
    );
    expect(verified).toMatch(/^Good "rack-channels" signature for maintainer@example.com with ED25519 key/);

    const again = await sign(src, maintainer, '--expires', '2099-01-01', '--json');
    expect(again.json()).toMatchObject({ version: 2, expires: '2099-01-01T00:00:00Z', files: 12 });
  });

  it('accepts a manifest signed by hand with ssh-keygen -Y sign', async () => {
    const src = source();
    await sign(src);
    // A maintainer raises the version and signs with ssh-keygen (or an agent, or a hardware key) instead.
    src.edit('channels/release-manifest.json', (text) => text.replace('"version": 1', '"version": 7'));
    rmSync(src.file('channels/release-manifest.json.sig'));
    execFileSync('ssh-keygen', ['-Y', 'sign', '-n', 'rack-channels', '-f', maintainer, 'release-manifest.json'], {
      cwd: src.channels,
      stdio: 'ignore',
    });
    const verify = await src.rack(['channel', 'verify', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json().signature).toMatchObject({
      status: 'verified',
      signer: 'maintainer@example.com',
      version: 7,
      key: expect.stringMatching(/^ED25519 key SHA256:/),
    });
  });

  it('refuses a directory that does not verify, and a key that is not there', async () => {
    const src = source();
    src.edit('migrations/1.4.0.yaml', (text) => text.replace('bytes: 24', 'bytes: 32'));
    const broken = await src.rack(['channel', 'sign', '--key', maintainer], { signers: false });
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain('migrations/1.4.0.yaml: sha256 is');
    const noKey = await src.rack(['channel', 'sign', '--key', path.join(keys, 'nothing')], { signers: false });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('does not exist');
  });
});

describe('with RACK_CHANNEL_SIGNERS set', () => {
  it('installs and updates from a signed source, and remembers the version seen', async () => {
    const src = source();
    await sign(src);
    const installed = await src.rack(install(src, 'prod'));
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('release 1.3.1');
    const updated = await src.rack(['update', '--rack', 'prod', '--version', '1.4.0', '--yes']);
    expect(updated.code, updated.stderr).toBe(0);
    expect((await aws.stackParameters('prod-rack')).Version).toBe('1.4.0');
    const seen = readdirJson(path.join(src.home, 'channels/seen'));
    expect(seen).toEqual([expect.objectContaining({ source: `dir:${src.channels}`, version: 1 })]);
  });

  for (const [name, file, change] of [
    [
      'the notes in the catalog',
      'channels/catalog.yaml',
      (t: string) => t.replace('the health check stays', 'all good'),
    ],
    ['channel file', 'channels/stable.yaml', (t: string) => `${t}# edited\n`],
    ['template', 'channels/templates/rack-1.3.1.yaml', (t: string) => t.replace('t3.small', 't3.large')],
    ['migration', 'migrations/1.4.0.yaml', (t: string) => t.replace('bytes: 24', 'bytes: 16')],
  ] as const) {
    it(`refuses the source once its ${name} changed after signing, naming ${file}`, async () => {
      const src = source();
      await sign(src);
      src.edit(file, change);
      const problems = await src.refused(install(src, 'tampered'));
      expect(problems).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${file}: sha256 is [0-9a-f]{64}, release-manifest.json says [0-9a-f]{64} \\(changed after it was signed\\)$`,
          ),
        ),
      ]);

      // Read-only commands say the same, as warnings.
      const releases = await src.rack(['releases']);
      expect(releases.code, releases.stderr).toBe(0);
      if (file !== 'channels/templates/rack-1.3.1.yaml')
        expect(releases.stderr).toContain(`Warning: ${file}: sha256 is`);
    });
  }

  it('refuses a file added or deleted after signing', async () => {
    const src = source();
    await sign(src);
    writeFileSync(
      src.file('channels/beta.yaml'),
      readFileSync(src.file('channels/unstable.yaml'), 'utf8').replace('name: unstable', 'name: beta'),
    );
    rmSync(src.file('migrations/1.4.0.yaml'));
    expect(await src.refused(install(src, 'changed'))).toEqual([
      'channels/beta.yaml: not in release-manifest.json (added after it was signed)',
      'migrations/1.4.0.yaml: listed in release-manifest.json but missing from the source (deleted after it was signed)',
    ]);
  });

  it('refuses an unsigned source, and one signed by a key that is not an allowed signer', async () => {
    const src = source();
    expect(await src.refused(install(src, 'unsigned'))).toEqual([
      `channels/release-manifest.json: missing: ${src.channels} is not signed, and RACK_CHANNEL_SIGNERS asks for channels signed by an allowed signer`,
    ]);
    await sign(src, stranger);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${stranger}.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(await src.refused(install(src, 'stranger'))).toEqual([
      `channels/release-manifest.json.sig: it was made with ED25519 key ${fingerprint}, which is not an allowed signer in ${allowedSigners}`,
    ]);
  });

  it('refuses an expired manifest', async () => {
    const src = source();
    await sign(src, maintainer, '--expires', '1d');
    const later = fixedClock(new Date(Date.now() + 2 * 86_400_000).toISOString());
    expect(await src.refused(install(src, 'late'), { clock: later })).toEqual([
      expect.stringMatching(/^channels\/release-manifest.json: expired at \S+ \(version 1\); the maintainers sign/),
    ]);
  });

  it('refuses a manifest older than one this state store has seen (a rollback)', async () => {
    const src = source();
    await sign(src);
    const first = ['release-manifest.json', 'release-manifest.json.sig'].map((name) =>
      readFileSync(path.join(src.channels, name)),
    );
    await sign(src);
    expect((await src.rack(install(src, 'seen'))).code).toBe(0);
    // The old manifest and its signature, both genuine, served again.
    writeFileSync(path.join(src.channels, 'release-manifest.json'), first[0]!);
    writeFileSync(path.join(src.channels, 'release-manifest.json.sig'), first[1]!);
    expect(await src.refused(install(src, 'rolled-back'))).toEqual([
      'channels/release-manifest.json: version 1 is older than version 2, which this state store has already seen for this source (an old copy served again)',
    ]);
  });

  it('without RACK_CHANNEL_SIGNERS, changes nothing but what verify says', async () => {
    const src = source();
    const unsigned = await src.rack(['channel', 'verify', '--json'], { signers: false });
    expect(unsigned.json().signature).toEqual({ status: 'unsigned' });
    await sign(src);
    src.edit('channels/stable.yaml', (t) => `${t}# edited\n`);
    const releases = await src.rack(['releases'], { signers: false });
    expect(releases.stderr).not.toContain('Warning');
    // The manifest no longer matches: racks that check it would refuse, and verify says so.
    const stale = await src.rack(['channel', 'verify'], { signers: false });
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain('channels/stable.yaml: sha256 is');
  });
});

function readdirJson(dir: string): unknown[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')));
}
