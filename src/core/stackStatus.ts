/**
 * The one place that reads CloudFormation stack status strings. Everything else asks this module what a
 * status means — still working, done, rolled back, stuck — and talks about outcomes as tagged values,
 * never by matching strings of its own.
 */

/** What a stack status says about the stack operation that produced it. */
export type StackPhase =
  /** An operation is running (`*_IN_PROGRESS`, cleanup included). */
  | 'in-progress'
  /** The last operation succeeded: CREATE_COMPLETE, UPDATE_COMPLETE, IMPORT_COMPLETE. */
  | 'complete'
  /** The last operation failed and was undone: UPDATE_ROLLBACK_COMPLETE, IMPORT_ROLLBACK_COMPLETE. */
  | 'rolled-back'
  /** An update failed and its rollback failed too: only ContinueUpdateRollback gets it out. */
  | 'rollback-failed'
  /** A creation failed (ROLLBACK_COMPLETE/ROLLBACK_FAILED/CREATE_FAILED): the stack can only be deleted. */
  | 'create-failed'
  /** A deletion failed (DELETE_FAILED): it can be tried again. */
  | 'delete-failed'
  /** The stack is gone (DELETE_COMPLETE, or not found). */
  | 'deleted'
  /** Anything else (REVIEW_IN_PROGRESS is in-progress; this is for statuses AWS may add). */
  | 'unknown';

export function stackPhase(status: string | undefined): StackPhase {
  if (status === undefined || status === 'NOT_FOUND' || status === 'DELETE_COMPLETE') return 'deleted';
  if (status.endsWith('_IN_PROGRESS')) return 'in-progress';
  switch (status) {
    case 'CREATE_COMPLETE':
    case 'UPDATE_COMPLETE':
    case 'IMPORT_COMPLETE':
      return 'complete';
    case 'UPDATE_ROLLBACK_COMPLETE':
    case 'IMPORT_ROLLBACK_COMPLETE':
      return 'rolled-back';
    case 'UPDATE_ROLLBACK_FAILED':
    case 'IMPORT_ROLLBACK_FAILED':
      return 'rollback-failed';
    case 'ROLLBACK_COMPLETE':
    case 'ROLLBACK_FAILED':
    case 'CREATE_FAILED':
      return 'create-failed';
    case 'DELETE_FAILED':
      return 'delete-failed';
    default:
      return 'unknown';
  }
}

export const isInProgress = (status: string): boolean => stackPhase(status) === 'in-progress';

/** Every status of an operation in progress, for ListStacks' StackStatusFilter (one poller follows many stacks). */
export const IN_PROGRESS_STATUSES = [
  'CREATE_IN_PROGRESS',
  'ROLLBACK_IN_PROGRESS',
  'DELETE_IN_PROGRESS',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_ROLLBACK_IN_PROGRESS',
] as const;

/** A stack in this status accepts an update (a change set can be executed on it). */
export function acceptsUpdates(status: string): boolean {
  const phase = stackPhase(status);
  return phase === 'complete' || phase === 'rolled-back';
}

/** How `rack status` sums a stack up: a failure that needs attention, or not. */
export function isFailedState(status: string): boolean {
  const phase = stackPhase(status);
  return (
    phase === 'rolled-back' || phase === 'rollback-failed' || phase === 'create-failed' || phase === 'delete-failed'
  );
}

/** The first resource that failed in an operation, with CloudFormation's reason. */
export interface FailedResource {
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

/**
 * How a stack write ended, as a tagged value. Only `rolled-back`, `rollback-failed` and `failed` are known
 * failures; `lost-sight` means rack stopped following while CloudFormation may still be working (the
 * operation is neither a success nor a failure until someone attaches to it), and `never-started` means no
 * write reached the stack.
 */
export type WriteOutcome =
  | { type: 'succeeded'; status: string }
  | { type: 'rolled-back'; status: string; cause: string; firstFailure?: FailedResource }
  | { type: 'rollback-failed'; status: string; cause: string; firstFailure?: FailedResource }
  | { type: 'failed'; status: string; cause: string; firstFailure?: FailedResource }
  | { type: 'lost-sight'; status?: string; cause: string }
  | { type: 'never-started'; cause: string };

/** The outcomes that are known failures. */
export type KnownFailure = Extract<WriteOutcome, { type: 'rolled-back' | 'rollback-failed' | 'failed' }>;

export const isKnownFailure = (outcome: WriteOutcome | undefined): outcome is KnownFailure =>
  outcome?.type === 'rolled-back' || outcome?.type === 'rollback-failed' || outcome?.type === 'failed';

export type OperationKind = 'create' | 'update' | 'delete';

/**
 * The outcome a final (not in-progress) status gives to an operation of this kind. A deletion that ends
 * with the stack gone succeeded; an update that ends UPDATE_COMPLETE succeeded; and so on.
 */
export function finalOutcome(
  kind: OperationKind,
  final: { status: string; statusReason?: string; firstFailure?: FailedResource },
): WriteOutcome {
  const { status } = final;
  const phase = stackPhase(status);
  const cause = final.firstFailure
    ? `${final.firstFailure.logicalId} (${final.firstFailure.resourceType}): ${final.firstFailure.reason ?? final.firstFailure.status}`
    : (final.statusReason ?? status);
  const failure = { status, cause, ...(final.firstFailure ? { firstFailure: final.firstFailure } : {}) };
  if (phase === 'in-progress') return { type: 'lost-sight', status, cause: `still ${status}` };
  if (kind === 'delete') return phase === 'deleted' ? { type: 'succeeded', status } : { type: 'failed', ...failure };
  if (phase === 'complete') return { type: 'succeeded', status };
  if (phase === 'rolled-back' || (kind === 'create' && status === 'ROLLBACK_COMPLETE')) {
    return { type: 'rolled-back', ...failure };
  }
  if (phase === 'rollback-failed') return { type: 'rollback-failed', ...failure };
  return { type: 'failed', ...failure };
}

/** The history's word for an outcome. */
export function outcomeResult(
  outcome: WriteOutcome,
): 'succeeded' | 'rolled-back' | 'rollback-failed' | 'failed' | 'interrupted' | 'cancelled' {
  switch (outcome.type) {
    case 'succeeded':
      return 'succeeded';
    case 'rolled-back':
      return 'rolled-back';
    case 'rollback-failed':
      return 'rollback-failed';
    case 'failed':
      return 'failed';
    case 'lost-sight':
      return 'interrupted';
    case 'never-started':
      return 'cancelled';
  }
}

/** The cause of an outcome in words (the failing resource and its reason, or the status). */
export function outcomeCause(outcome: WriteOutcome): string {
  return outcome.type === 'succeeded' ? outcome.status : outcome.cause;
}

/** What one hop of an operation came to, in the history's words. */
export function hopResultOf(
  outcome: WriteOutcome,
): 'succeeded' | 'rolled-back' | 'rollback-failed' | 'failed' | 'not-started' {
  switch (outcome.type) {
    case 'succeeded':
    case 'rolled-back':
    case 'rollback-failed':
      return outcome.type;
    case 'never-started':
      return 'not-started';
    default:
      return 'failed';
  }
}
