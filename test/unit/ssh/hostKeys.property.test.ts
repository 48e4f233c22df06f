import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConsoleFingerprint,
  consoleFingerprints,
  FINGERPRINTS_BEGIN,
  FINGERPRINTS_END,
  knownHostKeys,
  knownHostsLine,
} from '../../../src/core/hostKeys.js';

const noLineBreak = (s: string) => !/[\r\n]/.test(s);
const noMarker = (s: string) => !s.includes(FINGERPRINTS_BEGIN) && !s.includes(FINGERPRINTS_END);

const fingerprintArb: fc.Arbitrary<ConsoleFingerprint> = fc.record({
  bits: fc.constantFrom(256, 384, 521, 1024, 2048, 3072, 4096),
  fingerprint: fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((bytes) => `SHA256:${Buffer.from(bytes).toString('base64').replace(/=+$/, '')}`),
  type: fc.constantFrom('ED25519', 'ECDSA', 'RSA', 'DSA', 'ECDSA-SK', 'ED25519-SK'),
});

/** What precedes each line on a console: nothing, or anything ending in a space (`<14>Jan 1 … ec2: `). */
const prefixArb = fc.oneof(
  fc.constant(''),
  fc
    .string({ maxLength: 30 })
    .filter(noLineBreak)
    .map((s) => `${s} `),
);
const commentArb = fc.string({ maxLength: 40 }).filter((s) => noLineBreak(s) && s.trim() !== '');
const noiseArb = fc.array(
  fc.string({ maxLength: 60 }).filter((s) => noLineBreak(s) && noMarker(s)),
  {
    maxLength: 5,
  },
);
const eolArb = fc.constantFrom('\n', '\r\n');

function render(fp: ConsoleFingerprint, comment: string): string {
  return `${fp.bits} ${fp.fingerprint} ${comment} (${fp.type})`;
}

describe('consoleFingerprints (properties)', () => {
  it('reads back every fingerprint cloud-init printed, whatever the prefix, comments, line ends and surrounding output', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fingerprintArb, commentArb), { minLength: 1, maxLength: 5 }),
        prefixArb,
        noiseArb,
        noiseArb,
        eolArb,
        (printed, prefix, before, after, eol) => {
          const lines = [
            ...before,
            prefix + FINGERPRINTS_BEGIN,
            ...printed.map(([fp, comment]) => prefix + render(fp, comment)),
            prefix + FINGERPRINTS_END,
            ...after,
          ];
          expect(consoleFingerprints(lines.join(eol))).toEqual(printed.map(([fp]) => fp));
        },
      ),
    );
  });

  it('finds nothing in output that has no complete block', () => {
    fc.assert(
      fc.property(
        noiseArb,
        fc.array(fc.tuple(fingerprintArb, commentArb), { maxLength: 3 }),
        fc.boolean(),
        (noise, printed, opened) => {
          // Fingerprint lines alone, or after a BEGIN that never ends.
          const lines = [...noise, ...(opened ? [FINGERPRINTS_BEGIN] : []), ...printed.map(([fp, c]) => render(fp, c))];
          expect(consoleFingerprints(lines.join('\n'))).toBeUndefined();
        },
      ),
    );
  });
});

describe('known_hosts (properties)', () => {
  const hostArb = fc.stringMatching(/^i-[0-9a-f]{8,17}$/);
  const keyArb = fc.record({
    type: fc.constantFrom('ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'),
    key: fc.uint8Array({ minLength: 8, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
  });

  it('finds a pinned key under its host and under no other', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(hostArb, keyArb), { maxLength: 6 }), hostArb, (pins, asked) => {
        const text = pins.map(([host, key]) => `${knownHostsLine(host, key)}\n`).join('');
        expect(knownHostKeys(text, asked)).toEqual(pins.filter(([host]) => host === asked).map(([, key]) => key));
      }),
    );
  });
});
