import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TEMPLATE_BODY_LIMIT,
  TEMPLATE_URL_LIMIT,
  templateBytes,
  tooLargeProblem,
  transportFor,
} from '../../../src/core/templateSize.js';

describe('how a template reaches CloudFormation', () => {
  it('goes inline up to 51,200 bytes, through the artifacts bucket up to 1,000,000, and not at all above', () => {
    expect(transportFor(0)).toBe('inline');
    expect(transportFor(TEMPLATE_BODY_LIMIT)).toBe('inline');
    expect(transportFor(TEMPLATE_BODY_LIMIT + 1)).toBe('artifacts-bucket');
    expect(transportFor(TEMPLATE_URL_LIMIT)).toBe('artifacts-bucket');
    expect(transportFor(TEMPLATE_URL_LIMIT + 1)).toBe('too-large');
  });

  it('is monotonic: a larger template never takes a smaller road', () => {
    const order = { inline: 0, 'artifacts-bucket': 1, 'too-large': 2 };
    fc.assert(
      fc.property(fc.nat(2_000_000), fc.nat(2_000_000), (a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(order[transportFor(small)]).toBeLessThanOrEqual(order[transportFor(large)]);
      }),
    );
  });

  it('counts bytes, not characters', () => {
    expect(templateBytes('é')).toBe(2);
    expect(templateBytes(Buffer.from('abc'))).toBe(3);
    // 25,600 two-byte characters are 51,200 bytes: still inline; one more is not.
    expect(transportFor(templateBytes('é'.repeat(25_600)))).toBe('inline');
    expect(transportFor(templateBytes('é'.repeat(25_601)))).toBe('artifacts-bucket');
  });

  it('names the template and its size when it is too large, and says nothing otherwise', () => {
    expect(tooLargeProblem('templates/rack-3.0.0.yaml', 1_048_576)).toBe(
      'templates/rack-3.0.0.yaml is 1,048,576 bytes; CloudFormation takes at most 1,000,000 bytes of template, even through S3',
    );
    expect(tooLargeProblem('templates/rack-2.0.0.yaml', 54_319)).toBeUndefined();
  });
});
