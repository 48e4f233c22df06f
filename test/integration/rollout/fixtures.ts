/** Fleets of racks on a copy of the shipped channels whose stable channel rolls out in waves. */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Clock } from '../../../src/io/clock.js';
import { systemClock } from '../../../src/io/clock.js';
import type { LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { repoRoot, runRack, tempHome, type InProcessOptions } from '../../harness/runRack.js';

export const PASSWORD = 'rollout-Secret-31';

const WAVES = `rollout:
  bake: 1h
  waves:
    - name: canary
      selector: {tier: canary}
    - name: early
      percent: 25
    - name: rest
      percent: 100
`;

/** A copy of channels/ and migrations/ with `rollout` added to stable.yaml; `catalog` may edit catalog.yaml. */
export async function rolloutChannels(
  options: { rollout?: string; catalog?: (text: string) => string } = {},
): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'rack-rollout-'));
  await cp(path.join(repoRoot, 'channels'), path.join(root, 'channels'), { recursive: true });
  await cp(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  const stable = path.join(root, 'channels', 'stable.yaml');
  const text = await readFile(stable, 'utf8');
  await writeFile(stable, text.replace('releases:\n', `${options.rollout ?? WAVES}releases:\n`));
  if (options.catalog) {
    const catalog = path.join(root, 'channels', 'catalog.yaml');
    await writeFile(catalog, options.catalog(await readFile(catalog, 'utf8')));
  }
  return path.join(root, 'channels');
}

/** A clock at the real pace from `iso`, that a test moves forward (bake time) with `advance`. */
export function movableClock(iso: string): Clock & { advance(ms: number): void } {
  let shift = new Date(iso).getTime() - Date.now();
  return {
    now: () => new Date(Date.now() + shift),
    sleep: systemClock.sleep,
    advance: (ms) => void (shift += ms),
  };
}

export interface Fleet {
  env: Record<string, string>;
  /** Rack name → stack name. */
  stacks: Record<string, string>;
  rack(args: string[], options?: InProcessOptions): ReturnType<typeof runRack>;
}

let counter = 0;

/**
 * Racks on stable at `version`, registered with their labels in a fresh RACK_HOME (or the given env's state
 * store). Stacks have one instance each, to keep the local AWS light.
 */
export async function fleet(
  aws: LocalAws,
  channels: string,
  racks: Record<string, { labels?: string[]; version?: string; extra?: string[]; parameters?: Record<string, string> }>,
  env: Record<string, string> = {},
): Promise<Fleet> {
  const fullEnv = {
    ...aws.env(),
    RACK_HOME: tempHome('rack-rollout-home-'),
    RACK_CHANNELS: channels,
    RACK_HEALTH_TIMEOUT: '30',
    ...env,
  };
  const stacks: Record<string, string> = {};
  const names = Object.keys(racks);
  for (let i = 0; i < names.length; i += 5) {
    await Promise.all(
      names.slice(i, i + 5).map(async (name) => {
        stacks[name] = `ro-${++counter}-${name}`;
        await createRackStack(aws, {
          stackName: stacks[name]!,
          version: racks[name]!.version ?? '1.3.0',
          password: PASSWORD,
          parameters: { InstanceCount: '1', ...racks[name]!.parameters },
        });
      }),
    );
  }
  for (const name of names) {
    const labels = (racks[name]!.labels ?? []).flatMap((label) => ['--label', label]);
    const added = await runRack(
      ['racks', 'add', name, '--stack', stacks[name]!, '--channel', 'stable', ...labels, ...(racks[name]!.extra ?? [])],
      { env: fullEnv },
    );
    expect(added.code, added.stderr).toBe(0);
  }
  return {
    env: fullEnv,
    stacks,
    rack: (args, options = {}) => runRack(args, { ...options, env: { ...fullEnv, ...options.env } }),
  };
}

export const WRITES = /^(CreateChangeSet|ExecuteChangeSet|UpdateStack)$/;
