/**
 * `rack channel publish` against temporary copies of the shipped channels: the release appended to the
 * catalog and `unstable` with every comment and line kept, a local template copied in, a new directory
 * created with its first release, and every refusal leaving the directory as it was.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/runRack.js';
import { closedPort, commentsOf, fixedClock, newTemplate, snapshot, workspace, type Workspace } from './fixtures.js';

const NOW = '2026-12-01T12:00:00Z';
let ws: Workspace;
let template: string;

beforeEach(async () => {
  ws = await workspace();
  template = path.join(ws.root, 'rack-new.yaml');
  await writeFile(template, await newTemplate('1.5.0'));
});

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const publish = (version: string, ...rest: string[]) =>
  ws.rack(['channel', 'publish', version, '--template', template, '--channels', ws.channels, ...rest], {
    clock: fixedClock(NOW),
  });

describe('rack channel publish', () => {
  it('appends the release to the catalog and unstable, copies the template in, and keeps every other line', async () => {
    const [catalog, unstable, stable] = await Promise.all(
      ['catalog.yaml', 'unstable.yaml', 'stable.yaml'].map(ws.read),
    );
    const result = await publish(
      '2.1.0',
      '--notes',
      'Drains: one instance at a time',
      '--barrier',
      '--min-cli',
      '0.1.0',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const digest = sha256(await readFile(template));
    expect(result.json()).toEqual({
      version: '2.1.0',
      channel: 'unstable',
      template: 'templates/rack-2.1.0.yaml',
      sha256: digest,
      published: NOW,
      notes: 'Drains: one instance at a time',
      barrier: true,
      minCli: '0.1.0',
      dir: ws.channels,
      created: [],
      copiedTo: 'templates/rack-2.1.0.yaml',
    });
    expect(await ws.read('catalog.yaml')).toBe(
      catalog +
        [
          '  - version: 2.1.0',
          '    template: templates/rack-2.1.0.yaml',
          `    sha256: ${digest}`,
          `    published: "${NOW}"`,
          '    notes: "Drains: one instance at a time"',
          '    barrier: true',
          '    minCli: 0.1.0',
          '',
        ].join('\n'),
    );
    expect(await ws.read('unstable.yaml')).toBe(`${unstable}  - version: 2.1.0\n    entered: "${NOW}"\n`);
    expect(await ws.read('stable.yaml')).toBe(stable);
    expect(await readFile(path.join(ws.channels, 'templates/rack-2.1.0.yaml'))).toEqual(await readFile(template));
    expect((await readdir(ws.channels)).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const verify = await ws.rack(['channel', 'verify', '--channels', ws.channels]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toBe(
      'channels OK: 8 releases, 2 channels, 2 migrations\nunsigned: no release-manifest.json (`rack channel sign` signs it)\n',
    );
  });

  it('says what it did for people', async () => {
    const result = await publish('1.5.0');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        `Published 1.5.0 into unstable (${ws.channels}).`,
        `  template  templates/rack-1.5.0.yaml (copied from ${template})`,
        `  sha256    ${sha256(await readFile(template))}`,
        '',
      ].join('\n'),
    );
  });

  it('puts an older version in version order, leaving each comment above the entry it was written for', async () => {
    const catalog = await ws.read('catalog.yaml');
    const result = await publish('1.1.1', '--notes', 'A fix for 1.1.0 racks');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Warning: 1.1.1 is older than the newest release 2.0.0');
    const after = await ws.read('catalog.yaml');
    expect(commentsOf(after)).toEqual(commentsOf(catalog));
    const lines = after.split('\n');
    const at = lines.indexOf('  - version: 1.1.1');
    expect(lines[at - 1]).toBe(
      '    notes: "Api logs go to CloudWatch Logs; new LogRetention parameter (days, default 7)."',
    );
    expect(lines.slice(at + 5, at + 8)).toEqual([
      '  # Racks below 1.2.0 must stop here: the LogRetention parameter is renamed by its migration, and the',
      '  # releases after it expect the new name.',
      '  - version: 1.2.0',
    ]);
    // Every line that was there is still there, in the same order.
    expect(after.split('\n').filter((line) => catalog.split('\n').includes(line))).toEqual(catalog.split('\n'));
    const unstable = (await ws.read('unstable.yaml')).split('\n');
    expect(unstable.indexOf('  - version: 1.1.1')).toBe(unstable.indexOf('  - version: 1.2.0') - 2);
  });

  it('creates the catalog, unstable and stable (fed from unstable after 7d) in a new directory', async () => {
    const fresh = path.join(ws.root, 'new/channels');
    const result = await ws.rack(
      ['channel', 'publish', '1.0.0', '--template', template, '--channels', fresh, '--json'],
      { clock: fixedClock(NOW) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      created: ['catalog.yaml', 'unstable.yaml', 'stable.yaml'],
      copiedTo: 'templates/rack-1.0.0.yaml',
    });
    expect((await readdir(fresh)).sort()).toEqual(['catalog.yaml', 'stable.yaml', 'templates', 'unstable.yaml']);
    expect(await readFile(path.join(fresh, 'stable.yaml'), 'utf8')).toContain(
      'feeder:\n  channel: unstable\n  soak: 7d\nreleases: []\n',
    );
    expect(await readFile(path.join(fresh, 'unstable.yaml'), 'utf8')).toContain(
      `releases:\n  - version: 1.0.0\n    entered: "${NOW}"\n`,
    );

    const verify = await ws.rack(['channel', 'verify', '--channels', fresh]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toBe(
      'channels OK: 1 release, 2 channels, 0 migrations\nunsigned: no release-manifest.json (`rack channel sign` signs it)\n',
    );
    const channels = await ws.rack(['channels', '--channels', fresh, '--json'], {
      clock: fixedClock('2026-12-03T12:00:00Z'),
    });
    expect(channels.json().channels.map((c: { name: string }) => c.name)).toEqual(['unstable', 'stable']);
    expect(channels.json().channels[1]).toMatchObject({
      feeder: { channel: 'unstable', soak: '7d' },
      releases: [],
      pending: [{ version: '1.0.0', ready: false, remainingMs: 5 * 86_400_000 }],
    });
  });

  it('creates them in an existing empty directory too', async () => {
    const empty = path.join(ws.root, 'empty');
    await mkdir(empty);
    const result = await ws.rack(['channel', 'publish', '2.0.0', '--template', template, '--channels', empty], {
      clock: fixedClock(NOW),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Created catalog.yaml, unstable.yaml and stable.yaml: a new channels directory.');
  });

  it('uses a template already in place when its bytes are the same', async () => {
    const inPlace = path.join(ws.channels, 'templates/rack-1.5.0.yaml');
    await writeFile(inPlace, await readFile(template));
    const result = await ws.rack(
      ['channel', 'publish', '1.5.0', '--template', inPlace, '--channels', ws.channels, '--json'],
      { clock: fixedClock(NOW) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ template: 'templates/rack-1.5.0.yaml' });
    expect(result.json().copiedTo).toBeUndefined();
  });

  it('writes to the directory named by RACK_CHANNELS', async () => {
    const result = await ws.rack(['channel', 'publish', '1.5.0', '--template', template], {
      clock: fixedClock(NOW),
      env: { RACK_CHANNELS: ws.channels },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await ws.read('unstable.yaml')).toContain('- version: 1.5.0');
  });
});

describe('rack channel publish refusals', () => {
  const notARackTemplate =
    'Parameters:\n  Version:\n    Type: String\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n';

  it('each get their own message and exit code, and leave the directory as it was', async () => {
    const port = await closedPort();
    const other = path.join(ws.root, 'other.yaml');
    await writeFile(other, notARackTemplate);
    await writeFile(path.join(ws.channels, 'templates/rack-1.6.0.yaml'), 'something else\n');
    const before = await snapshot(ws.channels);
    const cases: [string[], number, string][] = [
      [
        ['1.4.0', '--template', template],
        3,
        '1.4.0 is already published (2026-11-17T10:00:00Z); a published release is never replaced.',
      ],
      [
        ['1.5.0', '--template', other],
        3,
        `The template ${other} is not a rack template, so 1.5.0 cannot be published with it.\n` +
          '  - it lacks the Key parameter\n' +
          '  - it has 0 AWS::AutoScaling::AutoScalingGroup resources, not exactly one\n' +
          '  - it lacks the SettingsBucket output\n' +
          '  - it lacks the EncryptionKey output',
      ],
      [
        ['1.5.0', '--template', path.join(ws.root, 'missing.yaml')],
        2,
        `The template ${path.join(ws.root, 'missing.yaml')} does not exist.`,
      ],
      [
        ['1.5.0', '--template', 'http://127.0.0.1/rack.yaml'],
        2,
        'is neither a local file nor an https:// or s3:// URL',
      ],
      [
        ['1.5.0', '--template', `https://127.0.0.1:${port}/rack.yaml`],
        3,
        `The template cannot be read: https://127.0.0.1:${port}/rack.yaml could not be fetched: connect ECONNREFUSED`,
      ],
      [['1.6.0', '--template', template], 3, 'templates/rack-1.6.0.yaml already exists in'],
      [['v1.5.0', '--template', template], 2, 'The version is not valid'],
      [
        ['1.5.0', '--template', template, '--min-cli', 'latest'],
        2,
        'The minimum rack version (--min-cli) is not valid',
      ],
    ];
    for (const [args, code, message] of cases) {
      const result = await ws.rack(['channel', 'publish', ...args, '--channels', ws.channels], {
        clock: fixedClock(NOW),
      });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(message);
      if (code === 3) expect(result.stderr).toContain('No channel was changed.');
    }
    expect(await snapshot(ws.channels)).toEqual(before);
  });

  it('refuses a directory whose files are not valid, listing the problems', async () => {
    await writeFile(
      path.join(ws.channels, 'stable.yaml'),
      (await ws.read('stable.yaml')).replace('soak: 7d', 'soak: a week'),
    );
    const before = await snapshot(ws.channels);
    const result = await publish('1.5.0');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      'channels/stable.yaml:7: feeder.soak: expected a duration like 7d, 36h or 1d12h, got "a week"',
    );
    expect(await snapshot(ws.channels)).toEqual(before);
  });
});

describe('writes go only to a local directory named with --channels or RACK_CHANNELS', () => {
  const WRITES = [
    ['channel', 'publish', '1.5.0', '--template', 'rack.yaml'],
    ['channel', 'promote', '1.4.0', '--to', 'stable', '--force'],
    ['channel', 'yank', '1.4.0', '--reason', 'broken'],
  ];

  it('refuses the channels bundled with rack (exit 2), naming --channels', async () => {
    const before = await snapshot(path.join(repoRoot, 'channels'));
    for (const args of WRITES) {
      const result = await ws.rack(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        `\`rack channel ${args[1]}\` writes only to a local channels directory, not to the channels bundled with rack.`,
      );
      expect(result.stderr).toContain('Next: Pass --channels <dir> (or set RACK_CHANNELS)');
    }
    expect(await snapshot(path.join(repoRoot, 'channels'))).toEqual(before);
  });

  it('refuses a GitHub source (exit 2) before asking GitHub anything', async () => {
    const port = await closedPort();
    for (const args of WRITES) {
      for (const [extra, env] of [
        [['--channels', 'github:acme/racks'], {}],
        [[], { RACK_CHANNELS: 'github:acme/racks/channels@main' }],
      ] as const) {
        const result = await ws.rack([...args, ...extra], {
          env: { ...env, RACK_GITHUB_API_URL: `http://127.0.0.1:${port}` },
        });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(/not to the GitHub source github:acme\/racks\/channels(@main)?\./);
        expect(result.stderr).toContain('Clone the repository, pass --channels <clone>/<channels dir>');
      }
    }
  });

  it('promote and yank need a channels directory with a catalog; only publish creates one', async () => {
    const missing = path.join(ws.root, 'nothing/channels');
    for (const args of WRITES.slice(1)) {
      const result = await ws.rack([...args, '--channels', missing]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`The channels directory ${missing} has no catalog.yaml.`);
    }
    await expect(stat(missing)).rejects.toThrow('ENOENT');
  });

  it('refuses a directory that is a file', async () => {
    const result = await ws.rack(['channel', 'publish', '1.5.0', '--template', template, '--channels', template]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The channels source ${template} is a file, not a directory.`);
    expect((await stat(template)).isFile()).toBe(true);
  });
});

describe('two publishes at once', () => {
  it('never lose an edit: both land, or the later one is refused (exit 5) and changes nothing', async () => {
    const other = path.join(ws.root, 'rack-other.yaml');
    await writeFile(other, await newTemplate('1.6.0'));
    const [a, b] = await Promise.all([
      publish('1.5.0'),
      ws.rack(['channel', 'publish', '1.6.0', '--template', other, '--channels', ws.channels], {
        clock: fixedClock(NOW),
      }),
    ]);
    const catalog = await ws.read('catalog.yaml');
    const landed = ['1.5.0', '1.6.0'].filter((v) => catalog.includes(`version: ${v}`));
    const succeeded = [a, b].filter((r) => r.code === 0).length;
    expect(landed).toHaveLength(succeeded);
    for (const r of [a, b])
      if (r.code !== 0) {
        expect(r.code).toBe(5);
        expect(r.stderr).toContain('changed while this command ran');
      }
  });
});
