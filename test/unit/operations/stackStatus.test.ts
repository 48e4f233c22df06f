import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptsUpdates,
  finalOutcome,
  isFailedState,
  isInProgress,
  outcomeCause,
  outcomeResult,
  stackPhase,
  type StackPhase,
} from '../../../src/core/stackStatus.js';

/** Every stack status CloudFormation documents (StackStatus), with what it means. */
const STATUSES: Record<string, StackPhase> = {
  CREATE_IN_PROGRESS: 'in-progress',
  CREATE_FAILED: 'create-failed',
  CREATE_COMPLETE: 'complete',
  ROLLBACK_IN_PROGRESS: 'in-progress',
  ROLLBACK_FAILED: 'create-failed',
  ROLLBACK_COMPLETE: 'create-failed',
  DELETE_IN_PROGRESS: 'in-progress',
  DELETE_FAILED: 'delete-failed',
  DELETE_COMPLETE: 'deleted',
  UPDATE_IN_PROGRESS: 'in-progress',
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'in-progress',
  UPDATE_COMPLETE: 'complete',
  UPDATE_FAILED: 'unknown',
  UPDATE_ROLLBACK_IN_PROGRESS: 'in-progress',
  UPDATE_ROLLBACK_FAILED: 'rollback-failed',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'in-progress',
  UPDATE_ROLLBACK_COMPLETE: 'rolled-back',
  REVIEW_IN_PROGRESS: 'in-progress',
  IMPORT_IN_PROGRESS: 'in-progress',
  IMPORT_COMPLETE: 'complete',
  IMPORT_ROLLBACK_IN_PROGRESS: 'in-progress',
  IMPORT_ROLLBACK_FAILED: 'rollback-failed',
  IMPORT_ROLLBACK_COMPLETE: 'rolled-back',
};

describe('stackPhase: the one reading of CloudFormation statuses', () => {
  it.each(Object.entries(STATUSES))('%s is %s', (status, phase) => {
    expect(stackPhase(status)).toBe(phase);
    expect(isInProgress(status)).toBe(phase === 'in-progress');
  });

  it('reads a stack that is not there as deleted', () => {
    expect(stackPhase(undefined)).toBe('deleted');
    expect(stackPhase('NOT_FOUND')).toBe('deleted');
  });

  it('takes updates only on a stack that completed or was rolled back', () => {
    const accepting = Object.keys(STATUSES).filter(acceptsUpdates).sort();
    expect(accepting).toEqual(
      [
        'CREATE_COMPLETE',
        'IMPORT_COMPLETE',
        'IMPORT_ROLLBACK_COMPLETE',
        'UPDATE_COMPLETE',
        'UPDATE_ROLLBACK_COMPLETE',
      ].sort(),
    );
  });

  it('calls failed what needs attention, and never a stack that completed or is working', () => {
    for (const [status, phase] of Object.entries(STATUSES)) {
      expect(isFailedState(status), status).toBe(
        ['rolled-back', 'rollback-failed', 'create-failed', 'delete-failed'].includes(phase),
      );
    }
  });

  it('reads any *_IN_PROGRESS status AWS may add as in progress', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z]{1,12}(_[A-Z]{1,12}){0,3}$/), (prefix) => {
        expect(stackPhase(`${prefix}_IN_PROGRESS`)).toBe('in-progress');
      }),
    );
  });
});

describe('finalOutcome: how an operation ended, as a tagged value', () => {
  const failure = {
    logicalId: 'Service',
    resourceType: 'AWS::ECS::Service',
    status: 'UPDATE_FAILED',
    reason: 'tasks failed',
  };

  it('an update: complete succeeded, rolled back, rollback failed, anything else failed', () => {
    expect(finalOutcome('update', { status: 'UPDATE_COMPLETE' })).toEqual({
      type: 'succeeded',
      status: 'UPDATE_COMPLETE',
    });
    expect(finalOutcome('update', { status: 'UPDATE_ROLLBACK_COMPLETE', firstFailure: failure })).toEqual({
      type: 'rolled-back',
      status: 'UPDATE_ROLLBACK_COMPLETE',
      cause: 'Service (AWS::ECS::Service): tasks failed',
      firstFailure: failure,
    });
    expect(finalOutcome('update', { status: 'UPDATE_ROLLBACK_FAILED', statusReason: 'stuck' })).toMatchObject({
      type: 'rollback-failed',
      cause: 'stuck',
    });
    expect(finalOutcome('update', { status: 'DELETE_COMPLETE' })).toMatchObject({ type: 'failed' });
  });

  it('a creation: complete succeeded; ROLLBACK_COMPLETE rolled back; ROLLBACK_FAILED failed', () => {
    expect(finalOutcome('create', { status: 'CREATE_COMPLETE' }).type).toBe('succeeded');
    expect(finalOutcome('create', { status: 'ROLLBACK_COMPLETE' }).type).toBe('rolled-back');
    expect(finalOutcome('create', { status: 'ROLLBACK_FAILED' }).type).toBe('failed');
  });

  it('a deletion succeeds only when the stack is gone', () => {
    expect(finalOutcome('delete', { status: 'DELETE_COMPLETE' }).type).toBe('succeeded');
    expect(finalOutcome('delete', { status: 'NOT_FOUND' }).type).toBe('succeeded');
    expect(finalOutcome('delete', { status: 'DELETE_FAILED', statusReason: 'bucket not empty' })).toMatchObject({
      type: 'failed',
      cause: 'bucket not empty',
    });
  });

  it('a status still in progress is lost sight of, never a success or a failure', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('create' as const, 'update' as const, 'delete' as const),
        fc.constantFrom(...Object.keys(STATUSES).filter(isInProgress)),
        (kind, status) => {
          const outcome = finalOutcome(kind, { status });
          expect(outcome.type).toBe('lost-sight');
          expect(outcomeResult(outcome)).toBe('interrupted');
        },
      ),
    );
  });

  it('records only known failures as failures', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('create' as const, 'update' as const, 'delete' as const),
        fc.constantFrom(...Object.keys(STATUSES), 'NOT_FOUND', 'SOMETHING_NEW'),
        (kind, status) => {
          const outcome = finalOutcome(kind, { status });
          const result = outcomeResult(outcome);
          if (result === 'succeeded') expect(outcome.type).toBe('succeeded');
          if (outcome.type !== 'succeeded') expect(outcomeCause(outcome).length).toBeGreaterThan(0);
          expect(['succeeded', 'rolled-back', 'rollback-failed', 'failed', 'interrupted']).toContain(result);
        },
      ),
    );
  });

  it('says never-started as cancelled', () => {
    expect(outcomeResult({ type: 'never-started', cause: 'declined' })).toBe('cancelled');
  });
});
