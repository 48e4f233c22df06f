/**
 * Kill points of a three-rack `rack sync` (one rack at a time): killed (SIGKILL) before each write reaches AWS
 * and after each execute, interrupted (SIGINT) at each; then the documented recovery — the same sync again —
 * takes every rack to its target, with no lock, change set or in-progress entry left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRackStack } from '../../harness/rackStacks.js';
import {
  describeKillPoint,
  killPointsAt,
  recordWriteSteps,
  runRackToKillPoint,
  type KillPoint,
  type WriteStep,
} from '../../harness/killPoints.js';
import { tempHome } from '../../harness/runRack.js';
import {
  availableChangeSets,
  expectStopped,
  history,
  PASSWORD,
  registerRack,
  startCrashKit,
  versionOf,
  type CrashKit,
  type CrashRack,
} from './crashKit.js';

let kit: CrashKit;
let fleets = 0;
const ARGS = ['sync', '--all', '--max-parallel', '1', '--yes'];

beforeAll(async () => {
  kit = await startCrashKit();
});
afterAll(async () => kit?.stop());

/** Three stable racks at 1.2.0 in one home (their target is 1.3.1: one hop each). */
async function fleet(): Promise<CrashRack[]> {
  const home = tempHome('rack-crash-sync-');
  const names = ['a', 'b', 'c'].map((n) => `crash-sync-${++fleets}-${n}`);
  await Promise.all(
    names.map((stackName) => createRackStack(kit.aws, { stackName, version: '1.2.0', password: PASSWORD })),
  );
  const racks: CrashRack[] = [];
  for (const [index, stackName] of names.entries()) {
    racks.push(await registerRack(kit, stackName, ['a', 'b', 'c'][index]!, 300, home));
  }
  return racks;
}

const step = (action: string, nth: number): WriteStep => ({ service: 'cloudformation', action, nth, seq: 0 });
const STEPS = [1, 2, 3].flatMap((n) => [step('CreateChangeSet', n), step('ExecuteChangeSet', n)]);
const points = [
  ...killPointsAt(STEPS, { signal: 'SIGKILL', when: ['before-forward'] }),
  ...killPointsAt(
    STEPS.filter((s) => s.action === 'ExecuteChangeSet'),
    { signal: 'SIGKILL', when: ['after-forward'] },
  ),
  ...killPointsAt(STEPS, { signal: 'SIGINT', when: ['before-forward'] }),
].map((point) => [describeKillPoint(point), point] as const);

describe('a three-rack sync stopped at every step boundary', () => {
  it('updates the racks one after the other on a clean run', async () => {
    const racks = await fleet();
    const steps = await recordWriteSteps(kit.aws, async () => {
      const run = await racks[0]!.binary(ARGS);
      expect(run.code, run.stderr).toBe(0);
    });
    expect(steps.map((s) => `${s.action}#${s.nth}`)).toEqual(STEPS.map((s) => `${s.action}#${s.nth}`));
  });

  it.each(points)('%s', async (label, point: KillPoint) => {
    const racks = await fleet();
    const run = await runRackToKillPoint(kit.aws, point, ARGS, racks[0]!.env, { timeoutMs: 90_000 });
    expectStopped(run);
    const again = await racks[0]!.binary(ARGS);
    expect(again.code, `${label}\n${again.stderr}`).toBe(0);
    for (const rack of racks) {
      const where = `${label}: rack ${rack.name}`;
      expect(await versionOf(kit, rack.stackName), where).toBe('1.3.1');
      expect((await kit.aws.stackParameters(rack.stackName)).Password, where).toBe(PASSWORD);
      expect(await availableChangeSets(kit, rack.stackName), where).toEqual([]);
      const lock = await rack.rack(['unlock', '--rack', rack.name, '--json']);
      expect(lock.json().holder, where).toBeUndefined();
      const entries = (await history({ ...rack, rack: (args) => rack.rack([...args, '--rack', rack.name]) })).filter(
        (e) => e.operation === 'update',
      );
      expect(
        entries.filter((e) => e.result === 'in-progress'),
        where,
      ).toEqual([]);
      // One entry per run that wrote to it: the stopped sync's (if it had reached it) and the second's (if needed).
      expect(entries.length, where).toBeGreaterThanOrEqual(1);
      expect(entries.length, where).toBeLessThanOrEqual(2);
      expect(entries.at(-1)!.result, where).toBe('succeeded');
      for (const entry of entries) expect(['succeeded', 'interrupted', 'cancelled'], where).toContain(entry.result);
    }
  });
});
