import { cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../../src/io/clock.js';
import { repoRoot, runRack } from '../../harness/runRack.js';

/** A clock standing still at `iso` until moved. */
export function fixedClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return { now: () => new Date(now), sleep: async () => undefined, set: (next) => void (now = new Date(next)) };
}

export interface Workspace {
  root: string;
  /** The channels directory, a copy of the one shipped with rack. */
  channels: string;
  home: string;
  rack(args: string[], options?: { clock?: Clock; env?: Record<string, string> }): ReturnType<typeof runRack>;
  read(name: string): Promise<string>;
}

/** A temporary copy of rack's channels/ and migrations/, and a RACK_HOME. */
export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'rack-channels-'));
  await cp(path.join(repoRoot, 'channels'), path.join(root, 'channels'), { recursive: true });
  await cp(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  const home = path.join(root, 'home');
  const channels = path.join(root, 'channels');
  return {
    root,
    channels,
    home,
    rack: (args, options = {}) =>
      runRack(args, { env: { RACK_HOME: home, ...options.env }, ...(options.clock ? { clock: options.clock } : {}) }),
    read: (name) => readFile(path.join(channels, name), 'utf8'),
  };
}

/** Every file under a directory with its bytes, to show that a refusal wrote nothing. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files[path.relative(dir, file)] = await readFile(file, 'base64');
    }
  }
  return files;
}

/** A rack template that is not a published one: the shipped 1.4.0 with a new description. */
export async function newTemplate(version: string): Promise<string> {
  const shipped = await readFile(path.join(repoRoot, 'channels/templates/rack-1.4.0.yaml'), 'utf8');
  return `${shipped}# rack ${version}\n`;
}

/** The comment lines of a YAML text, in order. */
export const commentsOf = (text: string) => text.split('\n').filter((line) => line.trimStart().startsWith('#'));

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
