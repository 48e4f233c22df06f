/**
 * Fault storms during a two-hop update (1.1.0 → 1.2.0 → 1.3.1), and the signals and errors that stop a run:
 * throttling with dropped connections, credentials that expire while rack follows an update, a state store in
 * S3 that fails for half a minute, a lock lost while a hop runs, a second Ctrl-C, and an error nothing caught.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/io/clock.js';
import { systemClock } from '../../../src/io/clock.js';
import { runRack, spawnRack, tempHome } from '../../harness/runRack.js';
import {
  availableChangeSets,
  freshRack,
  history,
  PASSWORD,
  startCrashKit,
  versionOf,
  type CrashKit,
  type CrashRack,
} from './crashKit.js';

let kit: CrashKit;
let buckets = 0;
beforeAll(async () => {
  kit = await startCrashKit({ seed: 7 });
});
afterAll(async () => kit?.stop());

const rackAt110 = (inProgressMs?: number) =>
  freshRack(kit, {
    version: '1.1.0',
    prefix: 'storm',
    parameters: { LogRetention: '7' },
    ...(inProgressMs ? { inProgressMs } : {}),
  });

/**
 * How many change sets really ran on the rack's stack: the timeline's operations, and the executes a dropped
 * connection sent straight to the emulator (`drop` after-forward: done, the answer lost).
 */
const executed = (rack: CrashRack, since = 0) =>
  rack.timeline.runs.filter((r) => r.operation === 'ExecuteChangeSet').length +
  kit.aws.proxy
    .seen({ service: 'cloudformation', action: 'ExecuteChangeSet' })
    .filter((r) => r.seq > since && r.outcome === 'dropped' && r.reachedMoto).length;

describe('fault storms', () => {
  it('under 30% throttling and dropped connections, executes exactly one change set per hop and reaches the target', async () => {
    const rack = await rackAt110(300);
    const since = kit.aws.proxy.requests.length;
    const rules = [
      // Before the timeline, which answers the stack's reads and plays its updates.
      kit.aws.proxy.inject({ first: true, service: 'cloudformation', probability: 0.3, fault: { type: 'throttle' } }),
      kit.aws.proxy.inject({
        first: true,
        service: 'cloudformation',
        probability: 0.1,
        fault: { type: 'drop', when: 'before-forward' },
      }),
      kit.aws.proxy.inject({
        first: true,
        service: 'cloudformation',
        action: ['CreateChangeSet', 'ExecuteChangeSet', 'DescribeStacks', 'DescribeChangeSet'],
        probability: 0.15,
        fault: { type: 'drop', when: 'after-forward' },
      }),
    ];
    try {
      const run = await rack.binary(['update', '--yes']);
      expect(run.code, run.stderr).toBe(0);
    } finally {
      for (const rule of rules) rule.remove();
    }
    expect(rules[0]!.hits, 'throttled').toBeGreaterThan(0);
    expect(rules[1]!.hits + rules[2]!.hits, 'dropped').toBeGreaterThan(0);
    expect(executed(rack, since)).toBe(2);
    expect(await versionOf(kit, rack.stackName)).toBe('1.3.1');
    expect((await kit.aws.stackParameters(rack.stackName)).Password).toBe(PASSWORD);
    expect(await availableChangeSets(kit, rack.stackName)).toEqual([]);
    const entries = await history(rack);
    expect(entries.map((e) => `${e.operation}:${e.result}`)).toEqual(['update:succeeded']);
  });

  it('credentials that expire while it follows: exit 4, the marker kept; the next run attaches and completes the record', async () => {
    const rack = await rackAt110(12_000);
    const since = kit.aws.proxy.requests.length;
    // From the first execute on, every CloudFormation call answers ExpiredToken for 10 seconds.
    const expired = kit.aws.proxy.inject({
      first: true,
      service: 'cloudformation',
      after: (request) => request.action === 'ExecuteChangeSet',
      forMs: 10_000,
      fault: { type: 'expired-token' },
    });
    const stopped = await rack.binary(['update', '--yes']).finally(() =>
      // Whatever happens, the rule goes once its window is over (a failed test must not leak it).
      setTimeout(() => expired.remove(), 10_500),
    );
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stderr).toContain('Lost sight of the operation');
    expect(stopped.stderr).toContain(`rack status --rack ${rack.name}`);
    const [open] = await history(rack);
    expect(open).toMatchObject({ operation: 'update', result: 'in-progress' });
    expect(open!.steps.map((s) => s.step)).toContain('lost-sight');
    // The window passes; the next run follows the hop rack started to its end and goes on.
    await new Promise((resolve) => setTimeout(resolve, 10_600));
    const again = await rack.binary(['update', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Attaching to the update of prod (1.1.0 → 1.2.0)');
    expect(await versionOf(kit, rack.stackName)).toBe('1.3.1');
    const entries = await history(rack);
    expect(entries.map((e) => `${e.operation}:${e.result}`)).toEqual(['update:interrupted', 'update:succeeded']);
    expect(entries[0]!.hops).toMatchObject([{ from: '1.1.0', to: '1.2.0', result: 'succeeded' }]);
    expect(executed(rack, since)).toBe(2);
  }, 60_000);

  it('with RACK_STATE in S3 failing for 30 s mid-update, the process survives and the update completes', async () => {
    const bucket = `storm-state-${++buckets}`;
    await new S3Client({ ...kit.aws.clientConfig(), forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );
    const home = tempHome('rack-storm-');
    const rack = await freshRack(kit, {
      version: '1.1.0',
      prefix: 'storm-s3',
      parameters: { LogRetention: '7' },
      inProgressMs: 2000,
    });
    const env = { ...rack.env, RACK_HOME: home, RACK_STATE: `s3://${bucket}/rack` };
    const added = await runRack(['racks', 'add', 'prod', '--stack', rack.stackName], { env });
    expect(added.code, added.stderr).toBe(0);
    // Once the first hop executes, every request for the state bucket fails (503) for 30 seconds.
    const failing = kit.aws.proxy.inject({
      first: true,
      service: 's3',
      when: (request) => request.url.includes(`/${bucket}/`) || request.headers.host?.startsWith(`${bucket}.`) === true,
      after: (request) => request.action === 'ExecuteChangeSet',
      forMs: 30_000,
      fault: { type: 'status', status: 503 },
    });
    const run = await runRack(['update', '--yes'], { env }).finally(() => failing.remove());
    expect(failing.hits).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(0);
    expect(await versionOf(kit, rack.stackName)).toBe('1.3.1');
    const entries = (await runRack(['history', '--json'], { env })).json().entries;
    expect(entries.map((e: { operation: string; result: string }) => `${e.operation}:${e.result}`)).toEqual([
      'update:succeeded',
    ]);
    expect((await runRack(['unlock', '--json'], { env })).json().holder).toBeUndefined();
  }, 120_000);
});

describe('stopping', () => {
  it('a lock lost while a hop runs: the hop is followed to its end, no further write starts, exit 5', async () => {
    const rack = await rackAt110(300);
    // The lease is 60 s: a clock that jumps two minutes once the first hop is done makes it run out.
    let shift = 0;
    const clock: Clock = { now: () => new Date(Date.now() + shift), sleep: systemClock.sleep };
    const run = await runRack(['update', '--yes'], {
      env: rack.env,
      clock,
      events: {
        emit: (event) => {
          if (event.type === 'hop-done') shift = 120_000;
        },
      },
    });
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain('Lost the lock of prod');
    expect(run.stderr).toContain('rack started no further write');
    expect(await versionOf(kit, rack.stackName)).toBe('1.2.0');
    expect(await availableChangeSets(kit, rack.stackName)).toEqual([]);
    const [entry] = await history(rack);
    expect(entry).toMatchObject({ operation: 'update', result: 'interrupted' });
    expect(entry!.hops).toMatchObject([{ to: '1.2.0', result: 'succeeded' }]);
  });

  it('a second Ctrl-C releases the lock and deletes the change set it made, within 2 seconds, and exits 130', async () => {
    const rack = await rackAt110();
    // The change set is made, then its description hangs: the process waits there when the signals come.
    const hang = kit.aws.proxy.inject({
      first: true,
      service: 'cloudformation',
      action: 'DescribeChangeSet',
      fault: { type: 'latency', ms: 30_000 },
    });
    const mark = kit.aws.proxy.requests.length;
    const spawned = spawnRack(['update', '--yes'], rack.env);
    try {
      await waitFor(() => kit.aws.proxy.requests.slice(mark).some((r) => r.action === 'DescribeChangeSet'), 20_000);
      process.kill(spawned.pid, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = Date.now();
      process.kill(spawned.pid, 'SIGINT');
      const run = await spawned.result;
      expect(run.code, run.stderr).toBe(130);
      expect(Date.now() - second).toBeLessThan(2_500);
    } finally {
      hang.remove();
    }
    expect((await rack.rack(['unlock', '--json'])).json().holder).toBeUndefined();
    expect(await availableChangeSets(kit, rack.stackName)).toEqual([]);
    expect(await versionOf(kit, rack.stackName)).toBe('1.1.0');
  });

  it('an error nothing caught: a clear message, exit 1, and what the process held is released', async () => {
    const rack = await rackAt110(3000);
    const preload = path.join(os.tmpdir(), `rack-reject-${process.pid}.cjs`);
    // Outside rack's code: a rejection nobody handles, 1.5 s into the run (the first hop is running then).
    writeFileSync(
      preload,
      "setTimeout(() => { Promise.reject(new Error('boom at ' + 'the worst moment')); }, 1500);\n",
    );
    const run = await spawnRack(['update', '--yes'], { ...rack.env, NODE_OPTIONS: `--require ${preload}` }).result;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('Unexpected error: boom at the worst moment');
    expect(run.stderr).toContain('What rack held');
    expect((await rack.rack(['unlock', '--json'])).json().holder).toBeUndefined();
    const status = await rack.rack(['status']);
    expect(status.code, status.stderr).toBe(0);
    const again = await rack.binary(['update', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(await versionOf(kit, rack.stackName)).toBe('1.3.1');
    expect((await history(rack)).filter((e) => e.result === 'in-progress')).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
