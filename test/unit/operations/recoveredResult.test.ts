import { describe, expect, it } from 'vitest';
import type { WriteOutcome } from '../../../src/core/stackStatus.js';
import type { HistoryHop } from '../../../src/state/history.js';
import { recoveredResult } from '../../../src/services/recovery.js';

const hop = (from: string, to: string, result: HistoryHop['result'] = 'succeeded'): HistoryHop => ({
  from,
  to,
  result,
});
const ok: WriteOutcome = { type: 'succeeded', status: 'UPDATE_COMPLETE' };
const rolledBack: WriteOutcome = { type: 'rolled-back', status: 'UPDATE_ROLLBACK_COMPLETE', cause: 'Service: bad' };

describe('the result a recovered entry gets', () => {
  it('an update that reached its target succeeded; one that stopped on the way was interrupted', () => {
    const update = { operation: 'update', to: '1.3.1' };
    expect(recoveredResult({ ...update, hops: [hop('1.1.0', '1.2.0'), hop('1.2.0', '1.3.1')] }, ok)).toBe('succeeded');
    expect(recoveredResult({ ...update, hops: [hop('1.1.0', '1.2.0')] }, ok)).toBe('interrupted');
    expect(recoveredResult({ ...update, hops: [] }, undefined)).toBe('interrupted');
  });

  it('a known failure stays one, from the outcome or from a hop already recorded', () => {
    expect(recoveredResult({ operation: 'update', to: '1.3.1', hops: [] }, rolledBack)).toBe('rolled-back');
    expect(
      recoveredResult({ operation: 'update', to: '1.3.1', hops: [hop('1.1.0', '1.2.0', 'rolled-back')] }, undefined),
    ).toBe('rolled-back');
    expect(
      recoveredResult(
        { operation: 'rollback', to: '1.2.0', hops: [] },
        {
          type: 'rollback-failed',
          status: 'UPDATE_ROLLBACK_FAILED',
          cause: 'stuck',
        },
      ),
    ).toBe('rollback-failed');
  });

  it('operations without a version succeed when their stack operation did', () => {
    for (const operation of ['params set', 'install', 'uninstall']) {
      expect(recoveredResult({ operation, to: undefined, hops: [] }, ok), operation).toBe('succeeded');
    }
  });

  it('a keyroll whose stack update succeeded is still interrupted: its instances wait for the next run', () => {
    expect(recoveredResult({ operation: 'keyroll', to: undefined, hops: [] }, ok)).toBe('interrupted');
  });

  it('a rolled-back stack is what a cancel and a continued rollback were for', () => {
    expect(recoveredResult({ operation: 'cancel', to: '1.3.1', hops: [] }, rolledBack)).toBe('cancelled');
    expect(recoveredResult({ operation: 'rollback --continue', to: undefined, hops: [] }, rolledBack)).toBe(
      'succeeded',
    );
  });

  it('a change set that never ran leaves the operation interrupted', () => {
    expect(recoveredResult({ operation: 'update', to: '1.3.1', hops: [] }, { type: 'never-started', cause: 'x' })).toBe(
      'interrupted',
    );
  });
});
