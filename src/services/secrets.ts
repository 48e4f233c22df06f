/** Secrets rack draws itself, for new NoEcho parameters whose migration says `generate`. */
import { randomBytes, randomInt } from 'node:crypto';
import type { GenerateSpec } from '../core/schemas.js';

/**
 * `bytes` random bytes as base64url, or that many characters drawn uniformly from `alphabet`
 * (randomInt, not a modulo of a byte, so no character is likelier than another).
 */
export function generateSecret(spec: GenerateSpec): string {
  if (!spec.alphabet) return randomBytes(spec.bytes).toString('base64url');
  const alphabet = [...spec.alphabet];
  return Array.from({ length: spec.bytes }, () => alphabet[randomInt(alphabet.length)]).join('');
}
