/**
 * Kill points of a two-hop `rack update` (1.1.0 → 1.2.0, a barrier with a migration, → 1.3.1): the built binary
 * is killed (SIGKILL) before and after each write reaches AWS, and interrupted (SIGINT) at each; then the
 * documented recovery (`rack status`, the same command again) takes the rack to its target, intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeKillPoint,
  killPointsAt,
  recordWriteSteps,
  type KillPoint,
  type WriteStep,
} from '../../harness/killPoints.js';
import { freshRack, killAndRecover, startCrashKit, versionOf, type CrashKit, type Scenario } from './crashKit.js';

let kit: CrashKit;
let recorded: WriteStep[];

/** The writes of a clean run, in order (checked below against a real one). */
const steps: WriteStep[] = [
  { service: 'cloudformation', action: 'CreateChangeSet', nth: 1, seq: 0 },
  { service: 'cloudformation', action: 'ExecuteChangeSet', nth: 1, seq: 0 },
  { service: 'cloudformation', action: 'CreateChangeSet', nth: 2, seq: 0 },
  { service: 'cloudformation', action: 'ExecuteChangeSet', nth: 2, seq: 0 },
];

const scenario: Scenario = {
  setup: () => freshRack(kit, { version: '1.1.0', prefix: 'crash-up', parameters: { LogRetention: '7' } }),
  args: ['update', '--yes'],
  operation: 'update',
  expected(point: KillPoint) {
    const reachesAws = point.signal !== 'SIGKILL' || point.when === 'after-forward';
    if (point.action === 'ExecuteChangeSet' && point.nth === 2 && reachesAws) return 'succeeded';
    // Interrupted before anything was executed: the process cancelled it itself.
    if (point.signal === 'SIGINT' && point.action === 'CreateChangeSet' && point.nth === 1) return 'cancelled';
    return 'interrupted';
  },
  async reached(rack, label) {
    expect(await versionOf(kit, rack.stackName), label).toBe('1.3.1');
    // The migration of 1.2.0 (LogRetention renamed) is applied exactly once, whatever was cut.
    expect((await kit.aws.stackParameters(rack.stackName)).LogRetentionDays, label).toBe('7');
  },
};

beforeAll(async () => {
  kit = await startCrashKit();
  const clean = await scenario.setup();
  recorded = await recordWriteSteps(kit.aws, async () => {
    const run = await clean.binary(scenario.args);
    expect(run.code, run.stderr).toBe(0);
  });
});
afterAll(async () => kit?.stop());

describe('a two-hop update stopped at every step boundary', () => {
  it('makes exactly one change set and executes it, per hop, on a clean run', () => {
    expect(recorded.map((s) => `${s.action}#${s.nth}`)).toEqual(steps.map((s) => `${s.action}#${s.nth}`));
  });

  const points = [
    ...killPointsAt(steps, { signal: 'SIGKILL' }),
    ...killPointsAt(steps, { signal: 'SIGINT', when: ['before-forward'] }),
  ];
  it.each(points.map((point) => [describeKillPoint(point), point] as const))('%s', (_label, point) =>
    killAndRecover(kit, scenario, point),
  );
});
