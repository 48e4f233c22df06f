import { describe, expect, it } from 'vitest';
import {
  exitCodeOf,
  formatError,
  errorJson,
  RackError,
  usageError,
  refused,
  authError,
  busy,
  updateFailed,
  internalError,
  isRackError,
} from '../../../src/errors.js';

describe('error kinds', () => {
  it.each([
    [usageError('x'), 2],
    [refused('x'), 3],
    [authError('x'), 4],
    [busy('x'), 5],
    [updateFailed('x'), 6],
    [internalError('x'), 1],
  ])('%s maps to exit code %i', (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('treats anything that is not a RackError as unexpected (exit 1)', () => {
    expect(exitCodeOf(new Error('boom'))).toBe(1);
    expect(exitCodeOf('string')).toBe(1);
  });

  it('classifies by kind, not by class identity (copies of the module agree)', () => {
    const lookalike = Object.assign(new Error('copy'), { name: 'RackError', kind: 'refused', exitCode: 3 });
    expect(isRackError(lookalike)).toBe(true);
    expect(exitCodeOf(lookalike)).toBe(3);
  });

  it('says what happened, what was untouched and what to do next', () => {
    const error = refused('Password would be set to a masked value.', {
      problems: ['Password: value is only asterisks'],
      untouched: 'Nothing was written to the stack.',
      next: 'Pass the real value.',
    });
    expect(formatError(error)).toBe(
      'Error: Password would be set to a masked value.\n  - Password: value is only asterisks\nNothing was written to the stack.\nNext: Pass the real value.',
    );
    expect(errorJson(error)).toMatchObject({
      error: { kind: 'refused', exitCode: 3, problems: ['Password: value is only asterisks'] },
    });
  });

  it('lets a command pass through another exit code (ssh)', () => {
    expect(new RackError('internal', 'remote failed', { exitCode: 42 }).exitCode).toBe(42);
  });
});
