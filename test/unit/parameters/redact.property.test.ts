import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, redactor, redactValue } from '../../../src/core/redact.js';

/** A secret: any text without asterisks (the mask is made of them), not empty. */
const secretArb = fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' }).filter((s) => !s.includes('*'));
const textArb = fc.string({ maxLength: 40, unit: 'grapheme' });

describe('redactor (properties)', () => {
  it('leaves no occurrence of a secret of 4 characters or more, in any of its spellings', () => {
    fc.assert(
      fc.property(
        secretArb.filter((s) => [...s].length >= 4),
        fc.array(textArb, { minLength: 1, maxLength: 4 }),
        (secret, parts) => {
          const redact = redactor([secret]);
          const text = parts.join(secret);
          expect(redact(text)).not.toContain(secret);
          expect(redact(JSON.stringify({ text }))).not.toContain(JSON.stringify(secret).slice(1, -1));
          expect(redact(encodeURIComponent(text))).not.toContain(encodeURIComponent(secret));
        },
      ),
    );
  });

  it('masks a secret of any length where it stands between spaces, quotes or after =', () => {
    fc.assert(
      // The surroundings are not part of the secret, else they would be masked with it.
      fc.property(
        secretArb.filter((s) => !/[ =K]/.test(s)),
        textArb,
        (secret, other) => {
          const redact = redactor([secret]);
          expect(redact(` ${secret} `)).toBe(` ${MASK} `);
          expect(redact(`K=${secret}`)).toBe(`K=${MASK}`);
          expect(JSON.parse(JSON.stringify(redactValue({ other, secret }, redact))).secret).toBe(MASK);
        },
      ),
    );
  });

  it('changes no text when there is nothing to hide', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect(redactor([])(text)).toBe(text);
      }),
    );
  });
});
