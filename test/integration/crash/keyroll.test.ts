/**
 * Kill points of `rack instances keyroll`: killed (SIGKILL) before each of its writes reaches AWS, and after
 * the writes that make and switch to the new key; interrupted (SIGINT) at each write. The keyroll's invariant is checked at the stop and at
 * the end; the documented recovery is `rack status`, then the keyroll again (it resumes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeKillPoint, killPointsAt, recordWriteSteps } from '../../harness/killPoints.js';
import { killAndRecover, startCrashKit, type CrashKit } from './crashKit.js';
import { KEYROLL_STEPS, keyrollScenario } from './keyrollKit.js';

let kit: CrashKit;
beforeAll(async () => {
  kit = await startCrashKit({ ecsTaskStartMs: 100 });
});
afterAll(async () => kit?.stop());

const KEY_PHASE = KEYROLL_STEPS.slice(0, 4);
const points = [
  ...killPointsAt(KEYROLL_STEPS, { signal: 'SIGKILL', when: ['before-forward'] }),
  ...killPointsAt(KEY_PHASE, { signal: 'SIGKILL', when: ['after-forward'] }),
  ...killPointsAt(KEYROLL_STEPS, { signal: 'SIGINT', when: ['before-forward'] }),
].map((point) => [describeKillPoint(point), point] as const);

describe('a keyroll stopped at every step boundary', () => {
  it('imports, stores, updates the stack, promotes the key and replaces both instances on a clean run', async () => {
    const scenario = keyrollScenario(kit);
    const rack = await scenario.setup();
    const steps = await recordWriteSteps(kit.aws, async () => {
      const run = await rack.binary(scenario.args);
      expect(run.code, run.stderr).toBe(0);
    });
    expect(steps.map((s) => `${s.service}:${s.action}#${s.nth}`)).toEqual(
      KEYROLL_STEPS.map((s) => `${s.service}:${s.action}#${s.nth}`),
    );
    await scenario.reached(rack, 'clean run');
  });

  it.each(points)('%s', (_label, point) => killAndRecover(kit, keyrollScenario(kit), point));
});
