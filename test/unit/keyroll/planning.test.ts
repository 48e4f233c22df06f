import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  inServiceCount,
  isKeyPairOf,
  keyPairName,
  nextReplacement,
  preflight,
  preflightDecision,
  resumeStep,
  serviceFloor,
  stillOnOtherKey,
  type FleetMember,
  type KeyrollProgress,
  type PreflightInput,
} from '../../../src/core/keyroll.js';

const member = (id: string, extra: Partial<FleetMember> = {}): FleetMember => ({
  instanceId: id,
  lifecycleState: 'InService',
  healthStatus: 'Healthy',
  keyName: 'old',
  launchedAt: new Date('2026-01-01T00:00:00Z'),
  registered: true,
  ...extra,
});

describe('which instances are replaced, in what order', () => {
  it('every instance not on the key and not leaving the group, oldest first', () => {
    const members = [
      member('i-c', { launchedAt: new Date('2026-01-03T00:00:00Z') }),
      member('i-new', { keyName: 'new' }),
      member('i-a', { launchedAt: new Date('2026-01-01T00:00:00Z') }),
      member('i-gone', { lifecycleState: 'Terminating' }),
      member('i-none', { keyName: undefined, launchedAt: new Date('2026-01-02T00:00:00Z') }),
    ];
    expect(stillOnOtherKey(members, 'new').map((m) => m.instanceId)).toEqual(['i-a', 'i-none', 'i-c']);
  });

  it('drains only registered instances; a surge gives its instance back with the last replacement', () => {
    const members = [member('i-1', { registered: false }), member('i-2')];
    expect(nextReplacement(members, 'new', false)).toMatchObject({
      victim: { instanceId: 'i-1' },
      drain: false,
      decrement: false,
    });
    expect(nextReplacement(members, 'new', true)).toMatchObject({ decrement: false });
    expect(nextReplacement([members[1]!, member('i-3', { keyName: 'new' })], 'new', true)).toMatchObject({
      victim: { instanceId: 'i-2' },
      drain: true,
      decrement: true,
    });
    expect(nextReplacement([member('i-3', { keyName: 'new' })], 'new', true)).toBeUndefined();
  });

  it('counts in service only InService and Healthy', () => {
    expect(
      inServiceCount([
        member('a'),
        member('b', { lifecycleState: 'Pending' }),
        member('c', { healthStatus: 'Unhealthy' }),
      ]),
    ).toBe(1);
  });
});

describe('the service floor', () => {
  it('is desired-1 without a surge, desired with one', () => {
    expect(serviceFloor(3, false)).toBe(2);
    expect(serviceFloor(3, true)).toBe(3);
    expect(serviceFloor(0, false)).toBe(0);
  });

  /**
   * A model of the replacement loop: before each replacement every desired instance is in service;
   * terminating one (without decrementing) leaves a pending replacement. The floor holds in every state.
   */
  it('holds through a whole keyroll of any size, with or without a surge', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.boolean(), (desired, surge) => {
        let members = Array.from({ length: desired }, (_, i) => member(`i-${i}`));
        let target = desired;
        const seen: number[] = [];
        if (surge) {
          target += 1;
          members = [
            ...members,
            member('i-surge', {
              keyName: 'new',
              lifecycleState: 'Pending',
              launchedAt: new Date('2027-01-01T00:00:00Z'),
            }),
          ];
        }
        let launched = 0;
        for (let guard = 0; guard < 50; guard++) {
          members = members.map((m) => (m.lifecycleState === 'Pending' ? { ...m, lifecycleState: 'InService' } : m));
          expect(inServiceCount(members)).toBeGreaterThanOrEqual(target);
          const step = nextReplacement(members, 'new', surge && target > desired);
          if (!step) break;
          members = members.filter((m) => m.instanceId !== step.victim.instanceId);
          if (step.decrement) target -= 1;
          else
            members.push(
              member(`i-r${launched++}`, {
                keyName: 'new',
                lifecycleState: 'Pending',
                launchedAt: new Date(Date.UTC(2027, 1, launched)),
              }),
            );
          seen.push(inServiceCount(members));
        }
        expect(stillOnOtherKey(members, 'new')).toEqual([]);
        expect(target).toBe(desired);
        expect(Math.min(...seen)).toBeGreaterThanOrEqual(serviceFloor(desired, surge));
      }),
    );
  });
});

describe('preflight', () => {
  const base: PreflightInput = {
    contractProblems: [],
    services: [{ name: 'api', desired: 2, running: 2 }],
    group: { desired: 2, max: 21 },
    surge: false,
    toReplace: 2,
  };

  it('passes a healthy rack', () => {
    expect(preflight(base)).toEqual({ problems: [], warnings: [], fragileServices: [] });
  });

  it('has nothing to warn about services when no instance is replaced', () => {
    expect(preflight({ ...base, toReplace: 0, services: [{ name: 'solo', desired: 1, running: 1 }] }).warnings).toEqual(
      [],
    );
  });

  it('flags a service with fewer than two running tasks beside a healthy one', () => {
    const result = preflight({
      ...base,
      services: [
        { name: 'api', desired: 2, running: 2 },
        { name: 'solo', desired: 1, running: 1 },
        { name: 'idle', desired: 0, running: 0 },
      ],
    });
    // A service scaled to zero sees no downtime.
    expect(result.fragileServices.map((s) => s.name)).toEqual(['solo']);
    expect(result.warnings[0]).toBe('Service solo runs 1 task: it will see downtime while the instances are replaced.');
    expect(result.problems).toEqual([]);
  });

  it('warns about a rolling or replacing update policy', () => {
    expect(preflight({ ...base, updatePolicy: 'AutoScalingRollingUpdate' }).warnings).toEqual([
      'The auto-scaling group has an AutoScalingRollingUpdate policy: CloudFormation will replace the instances itself, without draining them, when the key changes.',
    ]);
  });

  it('refuses a contract breach and a surge without room', () => {
    const result = preflight({
      ...base,
      contractProblems: ['it lacks the Key parameter'],
      surge: true,
      group: { desired: 3, max: 3 },
    });
    expect(result.problems).toEqual([
      "The stack's template does not follow the rack template contract: it lacks the Key parameter.",
      "--surge needs room for one more instance, but the group's maximum size is 3 with 3 desired.",
    ]);
  });

  it('asks on a terminal, refuses elsewhere, unless --force', () => {
    expect(preflightDecision([], { force: false, interactive: false })).toBe('proceed');
    expect(preflightDecision(['w'], { force: true, interactive: false })).toBe('proceed');
    expect(preflightDecision(['w'], { force: false, interactive: true })).toBe('ask');
    expect(preflightDecision(['w'], { force: false, interactive: false })).toBe('refuse');
  });
});

describe('key pair names', () => {
  it('are unique per stack and moment, and recognised only for their own stack', () => {
    const name = keyPairName('prod', new Date('2026-05-04T03:02:01.999Z'), 'a1b2c3');
    expect(name).toBe('rack-prod-20260504030201-a1b2c3');
    expect(isKeyPairOf('prod', name)).toBe(true);
    expect(isKeyPairOf('prod-2', name)).toBe(false);
    expect(isKeyPairOf('prod', keyPairName('prod-2', new Date(), 'ffffff'))).toBe(false);
    expect(isKeyPairOf('prod', 'my-own-key')).toBe(false);
    expect(() => keyPairName('prod', new Date(), 'xyz')).toThrow();
  });
});

describe('resuming', () => {
  const progress = (phase: KeyrollProgress['phase']): KeyrollProgress => ({
    schema: 1,
    rack: 'prod',
    stack: 'prod',
    keyName: 'rack-prod-new',
    fingerprint: 'SHA256:x',
    previousKey: '',
    phase,
    replaced: [],
    startedAt: '2026-01-01T00:00:00Z',
  });

  it('starts without progress, updates until the stack names the key, then replaces', () => {
    expect(resumeStep(undefined, 'old')).toEqual({ step: 'start' });
    expect(resumeStep(progress('importing'), 'old')).toEqual({ step: 'update' });
    expect(resumeStep(progress('pending'), '')).toEqual({ step: 'update' });
    expect(resumeStep(progress('pending'), 'rack-prod-new')).toEqual({ step: 'replace' });
    expect(resumeStep(progress('replacing'), 'rack-prod-new')).toEqual({ step: 'replace' });
  });

  it('starts over when the Key was changed outside rack after the stopped keyroll set it', () => {
    expect(resumeStep(progress('replacing'), 'someone-else')).toMatchObject({
      step: 'start',
      note: expect.stringContaining('no longer rack-prod-new'),
    });
  });
});
