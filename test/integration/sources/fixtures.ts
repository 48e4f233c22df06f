import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findPackageRoot, type Env, type OpenSourceOptions } from '../../../src/sources/source.js';

/** A repository laid out like rack's package: channels/ and migrations/ side by side. */
export const REPOSITORY_FILES = {
  'README.md': '# racks\n',
  'channels/catalog.yaml': 'releases:\n  1.0.0: {}\n',
  'channels/stable.yaml': 'releases: [1.0.0]\n',
  'channels/unstable.yaml': 'releases: [1.0.0, 1.1.0]\n',
  'channels/templates/rack-1.0.0.yaml': 'AWSTemplateFormatVersion: "2010-09-09"\n',
  'migrations/1.2.0.yaml': 'rename: {LogRetention: LogRetentionDays}\n',
};

export const packageRoot = findPackageRoot(import.meta.url);

export interface TestClock {
  now: () => Date;
  advance(ms: number): void;
}

export function testClock(start = new Date('2026-03-01T12:00:00Z')): TestClock {
  let current = start.getTime();
  return { now: () => new Date(current), advance: (ms) => void (current += ms) };
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `rack-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function sourceOptions(
  home: string,
  env: Env,
  clock: TestClock,
  extra: Partial<OpenSourceOptions> = {},
): OpenSourceOptions {
  return { cwd: home, home, env, packageRoot, now: clock.now, ...extra };
}

/** Every file under a directory, with its content, for grepping the cache. */
export async function filesUnder(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(file, await readFile(file, 'utf8'));
    }
  }
  return out;
}

export const text = (buffer: Buffer | undefined) => buffer?.toString('utf8');
