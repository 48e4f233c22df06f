/**
 * Kill points of `rack install`, `rack rollback --to` and `rack params set`: the built binary killed (SIGKILL)
 * before and after each write reaches AWS, and interrupted (SIGINT) at each; then the documented recovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeKillPoint,
  killPointsAt,
  recordWriteSteps,
  type KillPoint,
  type WriteStep,
} from '../../harness/killPoints.js';
import {
  freshRack,
  killAndRecover,
  PASSWORD,
  stackStatus,
  startCrashKit,
  unregisteredRack,
  versionOf,
  type CrashKit,
  type Scenario,
} from './crashKit.js';

let kit: CrashKit;
beforeAll(async () => {
  kit = await startCrashKit();
});
afterAll(async () => kit?.stop());

const step = (action: string, nth = 1): WriteStep => ({ service: 'cloudformation', action, nth, seq: 0 });
const points = (steps: WriteStep[]) =>
  [
    ...killPointsAt(steps, { signal: 'SIGKILL' }),
    ...killPointsAt(steps, { signal: 'SIGINT', when: ['before-forward'] }),
  ].map((point) => [describeKillPoint(point), point] as const);

/** One change set made and executed: its outcome as recovery completes the stopped run's entry. */
function oneWrite(point: KillPoint): string {
  const reachesAws = point.signal !== 'SIGKILL' || point.when === 'after-forward';
  if (point.action === 'ExecuteChangeSet' && reachesAws) return 'succeeded';
  if (point.signal === 'SIGINT') return 'cancelled';
  return 'interrupted';
}

async function cleanSteps(scenario: Scenario): Promise<string[]> {
  const rack = await scenario.setup();
  const steps = await recordWriteSteps(kit.aws, async () => {
    const run = await rack.binary(scenario.args);
    expect(run.code, run.stderr).toBe(0);
  });
  return steps.map((s) => `${s.action}#${s.nth}`);
}

let installs = 0;
let installStack = '';
const install: Scenario = {
  async setup() {
    installStack = `crash-install-${++installs}`;
    return unregisteredRack(kit, installStack, 'prod');
  },
  get args() {
    return [
      'install',
      'prod',
      '--stack',
      installStack,
      '--version',
      '1.3.1',
      '--param',
      `Password=${PASSWORD}`,
      '--yes',
    ];
  },
  operation: 'install',
  // The creation goes on without the process: recovery follows it and registers the rack.
  expected: (point) => (point.signal === 'SIGKILL' && point.when === 'before-forward' ? 'interrupted' : 'succeeded'),
  statusFirst: false,
  async reached(rack, label) {
    expect(await stackStatus(kit, rack.stackName), label).toBe('CREATE_COMPLETE');
    expect(await versionOf(kit, rack.stackName), label).toBe('1.3.1');
    const shown = await rack.rack(['racks', 'show', 'prod', '--json']);
    expect(shown.json().rack, label).toMatchObject({ name: 'prod', stack: rack.stackName });
    expect(shown.json().rack.stackId, label).toMatch(/^arn:aws:cloudformation:/);
  },
};

const rollback: Scenario = {
  setup: () => freshRack(kit, { version: '1.3.1', prefix: 'crash-rb' }),
  args: ['rollback', '--to', '1.2.0', '--yes'],
  operation: 'rollback',
  expected: oneWrite,
  async reached(rack, label) {
    expect(await versionOf(kit, rack.stackName), label).toBe('1.2.0');
  },
};

const params: Scenario = {
  setup: () => freshRack(kit, { version: '1.3.1', prefix: 'crash-ps' }),
  args: ['params', 'set', 'InstanceCount=2', '--yes'],
  operation: 'params set',
  expected: oneWrite,
  async reached(rack, label) {
    const stored = await kit.aws.stackParameters(rack.stackName);
    expect(stored.InstanceCount, label).toBe('2');
    expect(stored.Version, label).toBe('1.3.1');
  },
};

describe('rack install stopped at every step boundary', () => {
  it('creates the stack with one CreateStack on a clean run', async () => {
    expect(await cleanSteps(install)).toEqual(['CreateStack#1']);
  });
  it.each(points([step('CreateStack')]))('%s', (_label, point) => killAndRecover(kit, install, point));
});

describe('rack rollback --to stopped at every step boundary', () => {
  it('makes one change set and executes it on a clean run', async () => {
    expect(await cleanSteps(rollback)).toEqual(['CreateChangeSet#1', 'ExecuteChangeSet#1']);
  });
  it.each(points([step('CreateChangeSet'), step('ExecuteChangeSet')]))('%s', (_label, point) =>
    killAndRecover(kit, rollback, point),
  );
});

describe('rack params set stopped at every step boundary', () => {
  it('makes one change set and executes it on a clean run', async () => {
    expect(await cleanSteps(params)).toEqual(['CreateChangeSet#1', 'ExecuteChangeSet#1']);
  });
  it.each(points([step('CreateChangeSet'), step('ExecuteChangeSet')]))('%s', (_label, point) =>
    killAndRecover(kit, params, point),
  );
});
