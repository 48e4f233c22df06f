import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPackageRoot, openSource, type ChannelSource } from '../../../src/sources/source.js';
import { packageRoot, sourceOptions, tempDir, testClock, text } from './fixtures.js';

let work: { dir: string; remove: () => Promise<void> };

beforeEach(async () => {
  work = await tempDir('sources');
  const files: Record<string, string> = {
    'racks/channels/catalog.yaml': 'catalog\n',
    'racks/channels/stable.yaml': 'stable\n',
    'racks/channels/unstable.yaml': 'unstable\n',
    'racks/channels/templates/rack-1.0.0.yaml': 'template\n',
    'racks/migrations/1.2.0.yaml': 'migration 1.2.0\n',
    'racks/migrations/1.4.0.yaml': 'migration 1.4.0\n',
    'racks/secret.txt': 'outside the channels directory\n',
  };
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(work.dir, file)), { recursive: true });
    await writeFile(path.join(work.dir, file), content);
  }
});
afterEach(() => work.remove());

const open = (spec: string | undefined, env: Record<string, string> = {}) =>
  openSource(spec, sourceOptions(path.join(work.dir, 'home'), env, testClock(), { cwd: work.dir }));

describe('a local channels directory', () => {
  it('reads and lists channel files, and the migrations beside the directory', async () => {
    const source = await open('racks/channels');
    const dir = path.join(work.dir, 'racks/channels');
    expect(source).toMatchObject({ kind: 'local', description: dir, writableDir: dir, warnings: [] });
    expect(await source.listChannelFiles()).toEqual(['catalog.yaml', 'stable.yaml', 'unstable.yaml']);
    expect(await source.listChannelFiles('templates')).toEqual(['rack-1.0.0.yaml']);
    expect(text(await source.readChannelFile('stable.yaml'))).toBe('stable\n');
    expect(text(await source.readChannelFile('templates/rack-1.0.0.yaml'))).toBe('template\n');
    expect(await source.listMigrationFiles()).toEqual(['1.2.0.yaml', '1.4.0.yaml']);
    expect(text(await source.readMigrationFile('1.4.0.yaml'))).toBe('migration 1.4.0\n');
  });

  it('answers undefined or an empty list for what is missing', async () => {
    const source = await open(path.join(work.dir, 'racks/channels'));
    expect(await source.readChannelFile('beta.yaml')).toBeUndefined();
    expect(await source.readChannelFile('templates')).toBeUndefined();
    expect(await source.readChannelFile('stable.yaml/x')).toBeUndefined();
    expect(await source.listChannelFiles('nothing-here')).toEqual([]);
    expect(await source.readMigrationFile('9.9.9.yaml')).toBeUndefined();
  });

  it('lists no migrations when there is no migrations directory beside it', async () => {
    await mkdir(path.join(work.dir, 'lonely'));
    await writeFile(path.join(work.dir, 'lonely/catalog.yaml'), 'x');
    const source = await open('lonely');
    expect(await source.listMigrationFiles()).toEqual([]);
  });

  it('lists files only, following a symlink to a file', async () => {
    await symlink(path.join(work.dir, 'racks/channels/stable.yaml'), path.join(work.dir, 'racks/channels/lts.yaml'));
    const source = await open('racks/channels');
    expect(await source.listChannelFiles()).toEqual(['catalog.yaml', 'lts.yaml', 'stable.yaml', 'unstable.yaml']);
  });

  it('is taken from RACK_CHANNELS when no spec is given, and the spec wins over it', async () => {
    await mkdir(path.join(work.dir, 'other'));
    expect((await open(undefined, { RACK_CHANNELS: 'racks/channels' })).description).toBe(
      path.join(work.dir, 'racks/channels'),
    );
    expect((await open('other', { RACK_CHANNELS: 'racks/channels' })).description).toBe(path.join(work.dir, 'other'));
  });

  it.each([
    ['../secret.txt'],
    ['templates/../../secret.txt'],
    ['/etc/passwd'],
    ['..'],
    ['templates\\..\\..\\secret.txt'],
    ['C:/Windows/win.ini'],
    [''],
  ])('refuses to read %j, outside the channels directory', async (relPath) => {
    const source = await open('racks/channels');
    await expect(source.readChannelFile(relPath)).rejects.toMatchObject({ kind: 'refused', exitCode: 3 });
  });

  it('refuses migration names that are paths', async () => {
    const source = await open('racks/channels');
    for (const name of ['../channels/stable.yaml', '../secret.txt', '/etc/passwd', 'sub/1.2.0.yaml', '..', '']) {
      await expect(source.readMigrationFile(name), name).rejects.toMatchObject({ kind: 'refused' });
    }
    await expect(source.listChannelFiles('../')).rejects.toMatchObject({ kind: 'refused' });
  });

  it('is a usage error naming the directory and what to do when it does not exist', async () => {
    const missing = path.join(work.dir, 'no-such-dir');
    const error = await open('no-such-dir').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'usage', exitCode: 2 });
    expect((error as Error).message).toContain(missing);
    expect((error as { next?: string }).next).toMatch(/--channels or RACK_CHANNELS/);
  });

  it('is a usage error when the path is a file', async () => {
    await expect(open('racks/secret.txt')).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('is a file'),
    });
  });
});

describe('the bundled channels', () => {
  it('are the channels/ and migrations/ beside the package.json named rack', async () => {
    const root = findPackageRoot(import.meta.url);
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(manifest.name).toBe('rack');
    const source: ChannelSource = await open(undefined);
    expect(source.kind).toBe('bundled');
    expect(source.writableDir).toBeUndefined();
    expect(source.description).toBe(`channels/ bundled with rack ${manifest.version}`);
    expect(await source.listChannelFiles('templates')).toContain('rack-1.0.0.yaml');
    expect(text(await source.readChannelFile('templates/rack-1.0.0.yaml'))).toBe(
      await readFile(path.join(root, 'channels/templates/rack-1.0.0.yaml'), 'utf8'),
    );
  });

  it('are found from a module in dist/chunks/ as from src/', async () => {
    expect(findPackageRoot(pathToFileURL(path.join(packageRoot, 'dist/chunks/main-abc.mjs')).href)).toBe(packageRoot);
    expect(findPackageRoot(pathToFileURL(path.join(packageRoot, 'src/sources/source.ts')).href)).toBe(packageRoot);
  });

  it('skips package.json files of other packages on the way up', async () => {
    const installed = path.join(work.dir, 'node_modules/rack');
    await mkdir(path.join(installed, 'dist/chunks'), { recursive: true });
    await writeFile(path.join(installed, 'package.json'), JSON.stringify({ name: 'rack', version: '9.9.9' }));
    await writeFile(path.join(installed, 'dist/package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(path.join(work.dir, 'package.json'), JSON.stringify({ name: 'someone-elses-app' }));
    expect(findPackageRoot(pathToFileURL(path.join(installed, 'dist/chunks/x.mjs')).href)).toBe(installed);
  });

  it('is an internal error when nothing above is rack', async () => {
    expect(() => findPackageRoot(pathToFileURL(path.join(work.dir, 'x.mjs')).href)).toThrow(
      expect.objectContaining({ kind: 'internal' }),
    );
  });

  it('is an internal error when the package lacks its channels directory', async () => {
    await writeFile(path.join(work.dir, 'package.json'), JSON.stringify({ name: 'rack', version: '0.0.1' }));
    const error = await openSource(
      undefined,
      sourceOptions(work.dir, {}, testClock(), { packageRoot: work.dir }),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'internal', next: expect.stringMatching(/Reinstall rack/) });
  });
});
