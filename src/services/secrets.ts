/**
 * Secrets rack draws itself, for new NoEcho parameters whose migration says `generate`, and the values an
 * operator gives with --param, which are treated as secrets from the moment they are read.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Context } from '../context.js';
import { refuseOwnedKeys, type ParameterChanges } from '../core/parameterChanges.js';
import type { GenerateSpec } from '../core/schemas.js';

/**
 * Refuses the keys rack owns (Version, Key), and registers the given values that could be secrets with the
 * redactor before anything else runs: an earlier run's failure, which recovery records, may quote one. Which
 * keys are NoEcho is known only once the templates are read (the write layer registers those values then,
 * whatever their length); until then a short value (`InstanceCount=2`) is not taken for a secret, or every
 * "2" rack prints would be masked.
 */
export function takeGivenValues(ctx: Context, params: ParameterChanges = {}): void {
  refuseOwnedKeys(params);
  for (const value of Object.values(params)) if (value.length >= 8) ctx.logger.addSecret(value);
}

/**
 * `bytes` random bytes as base64url, or that many characters drawn uniformly from `alphabet`
 * (randomInt, not a modulo of a byte, so no character is likelier than another).
 */
export function generateSecret(spec: GenerateSpec): string {
  if (!spec.alphabet) return randomBytes(spec.bytes).toString('base64url');
  const alphabet = [...spec.alphabet];
  return Array.from({ length: spec.bytes }, () => alphabet[randomInt(alphabet.length)]).join('');
}
