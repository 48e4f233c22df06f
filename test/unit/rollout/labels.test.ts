import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyLabelChanges,
  formatLabels,
  isLabels,
  LABEL_KEY,
  LABEL_VALUE,
  matchesSelector,
  parseLabelArgs,
  parseSelector,
} from '../../../src/core/labels.js';
import { isRackError } from '../../../src/errors.js';

const usage = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isRackError(error)) return `${error.kind}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('labels', () => {
  it('reads k=v to set and k- to remove', () => {
    expect(parseLabelArgs(['tier=canary', 'region=eu-west-1', 'old-', 'empty='])).toEqual({
      set: { tier: 'canary', region: 'eu-west-1', empty: '' },
      remove: ['old'],
    });
    expect(applyLabelChanges({ old: 'x', tier: 'prod', b: '1' }, parseLabelArgs(['tier=canary', 'old-']))).toEqual({
      b: '1',
      tier: 'canary',
    });
  });

  it('refuses what is not a label change (exit 2), naming it', () => {
    expect(usage(() => parseLabelArgs(['tier']))).toBe(
      'usage: "tier" is not a label change: expected key=value, or key- to remove it.',
    );
    expect(usage(() => parseLabelArgs(['-x=1']))).toBe('usage: "-x" is not a label key.');
    expect(usage(() => parseLabelArgs(['tier=a b']))).toBe('usage: "a b" is not a label value (for tier).');
    expect(usage(() => parseLabelArgs(['tier=a', 'tier-']))).toBe('usage: Label tier is given more than once.');
  });

  it('keeps keys sorted, whatever order they were given in', () => {
    const labels = applyLabelChanges(undefined, parseLabelArgs(['z=1', 'a=2', 'm=3']));
    expect(Object.keys(labels)).toEqual(['a', 'm', 'z']);
    expect(formatLabels(labels)).toBe('a=2,m=3,z=1');
    expect(formatLabels(labels, ', ')).toBe('a=2, m=3, z=1');
  });

  it('reads selectors k=v[,k2=v2] and matches racks having every pair', () => {
    const selector = parseSelector('tier=canary, region=eu');
    expect(selector).toEqual({ tier: 'canary', region: 'eu' });
    expect(matchesSelector({ tier: 'canary', region: 'eu', x: 'y' }, selector)).toBe(true);
    expect(matchesSelector({ tier: 'canary' }, selector)).toBe(false);
    expect(matchesSelector(undefined, { tier: 'canary' })).toBe(false);
    expect(matchesSelector({ constructor: 'x' }, { constructor: 'x' })).toBe(true);
    expect(matchesSelector({}, { constructor: 'function Object() { [native code] }' })).toBe(false);
    expect(usage(() => parseSelector(''))).toMatch(/^usage: "" is not a selector/);
    expect(usage(() => parseSelector('tier'))).toBe('usage: "tier" in the selector is not key=value.');
    expect(usage(() => parseSelector('tier=a,,b=c'))).toMatch(/is not a selector/);
    expect(usage(() => parseSelector('tier=a,tier=b'))).toBe(
      'usage: The selector asks for tier to be both "a" and "b".',
    );
  });

  it('round-trips any valid labels through their k=v form', () => {
    const key = fc.stringMatching(LABEL_KEY);
    const value = fc.stringMatching(LABEL_VALUE);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (labels) => {
        const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
        const parsed = applyLabelChanges(undefined, parseLabelArgs(args));
        expect(parsed).toEqual(Object.fromEntries(Object.entries(labels)));
        expect(isLabels(parsed)).toBe(true);
        expect(matchesSelector(parsed, parsed)).toBe(true);
      }),
    );
  });
});
