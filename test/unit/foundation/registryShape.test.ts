import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRack } from '../../../src/state/registry.js';
import { rackSchema } from '../../../src/state/registrySchema.js';

const field = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.constant(3),
  fc.constantFrom('prod', 'stack-1', 'us-east-1', 'stable', '2026-11-21T10:00:00Z', '-bad', 'a b', 'x'.repeat(64)),
  fc.string(),
);
const labels = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.constant([]),
  fc.constant('tier=canary'),
  fc.dictionary(fc.constantFrom('tier', 'region', 'a/b', '-x', 'k', ''), fc.constantFrom('canary', '', 'a b', 'eu', 3)),
);
const alarms = fc.oneof(
  fc.constant(undefined),
  fc.constant('errors'),
  fc.array(fc.constantFrom('errors', '', 'arn:aws:cloudwatch:us-east-1:1:alarm:x', 7), { maxLength: 3 }),
);
const monitor = fc.oneof(fc.constant(undefined), fc.constantFrom(0, 5, 180, 181, -1, 2.5, '5'));
const record = fc.record(
  {
    name: field,
    stack: field,
    region: field,
    profile: field,
    channel: field,
    window: field,
    roleArn: field,
    addedAt: field,
    labels,
    alarms,
    monitorMinutes: monitor,
    extra: field,
  },
  { requiredKeys: [] },
);

describe("the registry's hand-written shape check", () => {
  it('agrees with the zod schema on every generated record', () => {
    fc.assert(
      fc.property(record, (value) => {
        const defined = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
        expect(isRack(defined)).toBe(rackSchema.safeParse(defined).success);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts a full rack and refuses unknown fields', () => {
    const rack = { name: 'prod', stack: 's', region: 'us-east-1', channel: 'stable', addedAt: '2026-11-21T10:00:00Z' };
    expect(isRack(rack)).toBe(true);
    expect(isRack({ ...rack, window: 'Sat 02:00-04:00 UTC', roleArn: 'arn:aws:iam::1:role/x', profile: 'p' })).toBe(
      true,
    );
    expect(isRack({ ...rack, labels: { tier: 'canary' }, alarms: ['errors'], monitorMinutes: 5 })).toBe(true);
    expect(isRack({ ...rack, labels: { tier: 'a b' } })).toBe(false);
    expect(isRack({ ...rack, color: 'red' })).toBe(false);
    expect(isRack({ ...rack, name: '-x' })).toBe(false);
  });
});
