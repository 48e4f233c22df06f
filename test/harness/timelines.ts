/**
 * Scripted timelines: CloudFormation operations that take time, as they do on AWS.
 *
 * moto finishes every stack operation inside the API call and never fails one. Here the fault proxy holds
 * the write back from moto and plays a timeline the test chose: the write is answered at once, the stack
 * shows `*_IN_PROGRESS` for a while, resource events appear over time and page with NextToken, and the
 * operation ends either complete (the held write is then sent to moto, so moto's state is what AWS's would
 * be) or rolled back, or failing to roll back, with a failing resource and its reason (the write never
 * reaches moto). ContinueUpdateRollback and CancelUpdateStack, which moto does not implement, are answered
 * from the timeline's state.
 *
 *   const timelines = scriptTimelines(aws);
 *   const update = timelines.script({ stackName: 'prod', inProgressMs: 800, outcome: 'rollback',
 *     failure: { logicalId: 'Service', reason: 'Resource handler returned message: "…"' } });
 *   … execute a change set on `prod` …
 *   await update.finished;                    // { status: 'UPDATE_ROLLBACK_COMPLETE' }
 *   timelines.clear();                        // after each test, and before aws.reset()/stop()
 *
 * Ordering with other proxy rules: each `script()` (re)installs the timeline's rule after every rule
 * injected so far, so faults injected before it act first (a throttled ExecuteChangeSet never reaches the
 * timeline). Faults injected later act only on requests the timeline does not take. To lose the answer to
 * a write that did start, use `loseAnswers`, not a `drop` rule (which would send the write to moto).
 */
import { randomUUID } from 'node:crypto';
import type { LocalAws } from './localAws.js';
import { awsError, DROP, type Forward, type InjectedRule, type ProxiedRequest, type WireResponse } from './proxy.js';

export type ScriptedOperation = 'ExecuteChangeSet' | 'UpdateStack' | 'CreateStack' | 'DeleteStack';

/**
 * `complete`: the operation succeeds. `rollback`: a resource fails and the stack rolls back
 * (UPDATE_ROLLBACK_COMPLETE; a create ends in ROLLBACK_COMPLETE, a delete in DELETE_FAILED).
 * `rollback-failed`: the rollback fails too (UPDATE_ROLLBACK_FAILED; ROLLBACK_FAILED; DELETE_FAILED).
 */
export type TimelineOutcome = 'complete' | 'rollback' | 'rollback-failed';

export interface ScriptedFailure {
  logicalId: string;
  /** Default: the type moto has for that resource, else `AWS::CloudFormation::CustomResource`. */
  resourceType?: string;
  reason: string;
}

export interface TimelineScript {
  /** The stack whose writes are scripted (its name). Omitted: every stack, e.g. for benchmarks of waiting. */
  stackName?: string;
  /** Which writes start a timeline; default ExecuteChangeSet and UpdateStack. */
  operations?: readonly ScriptedOperation[];
  /** How long the operation shows `*_IN_PROGRESS` before it completes or starts rolling back. */
  inProgressMs: number;
  outcome: TimelineOutcome;
  /** The resource that fails, for the rollback outcomes; default the stack's first resource. */
  failure?: ScriptedFailure;
  /** The resource whose rollback fails (`rollback-failed`); default the same as `failure`. */
  rollbackFailure?: ScriptedFailure;
  /** How long a rollback (after a failure, a cancel or ContinueUpdateRollback) takes; default `inProgressMs`. */
  rollbackMs?: number;
  /** `*_COMPLETE_CLEANUP_IN_PROGRESS` before the final status, for this long; default 0 (none). */
  cleanupMs?: number;
  /** Resource events during the `*_IN_PROGRESS` phase, spread over it; default 6. */
  resourceEvents?: number;
  /** DescribeStackEvents page size for this stack; default 3, so that readers must follow NextToken. */
  eventsPageSize?: number;
  /** How many operations on the stack to script; default 1 (`Infinity` for every one). */
  times?: number;
  /**
   * How ContinueUpdateRollback ends after `rollback-failed`: `completes` (default), `fails` again, or
   * `needs-skip`: completes only when ResourcesToSkip names the resource whose rollback failed.
   */
  continueRollback?: 'completes' | 'fails' | 'needs-skip';
  /** The answers to this many scripted writes are lost (socket dropped) although the operation started. */
  loseAnswers?: number;
  /**
   * How long one minute of a change set's rollback monitoring time (RollbackConfiguration's
   * MonitoringTimeInMinutes) lasts here; default 60,000 (a real minute). See "Rollback triggers".
   */
  monitorMinuteMs?: number;
}

export interface TimelineEnd {
  /** The final status, e.g. UPDATE_COMPLETE or UPDATE_ROLLBACK_FAILED; `CLEARED` if clear()/remove() came first. */
  status: string;
  reason?: string;
}

/** One operation a script played (the write, or a ContinueUpdateRollback that followed it). */
export interface TimelineRun {
  readonly operation: ScriptedOperation | 'ContinueUpdateRollback';
  readonly stackName: string;
  readonly stackId: string;
  readonly startedAt: number;
  endedAt?: number;
  /** The status the stack shows now for this operation (final once `endedAt` is set). */
  status: string;
  /** CancelUpdateStack turned this update into a rollback. */
  cancelled?: boolean;
  /** ContinueUpdateRollback only: the ResourcesToSkip it received. */
  resourcesToSkip?: string[];
  /** Set when the harness itself failed (e.g. moto refused the held write): the run stopped there. */
  error?: string;
}

export interface ScriptedTimeline {
  readonly script: TimelineScript;
  /** Resolves when the first scripted operation starts. */
  readonly started: Promise<void>;
  /** Resolves when the first scripted operation reaches its final status (before any ContinueUpdateRollback). */
  readonly finished: Promise<TimelineEnd>;
  /**
   * Write requests of the scripted kinds that reached the timeline for the script's stack, refused ones
   * included (a second ExecuteChangeSet, a write to a stack in progress). A caller that executes each
   * change set once, whatever the network did, leaves this at 1 per operation.
   */
  readonly executeCalls: number;
  /** Operations played, in order. */
  readonly runs: readonly TimelineRun[];
  /** Every stack status shown, in order (consecutive repeats folded). */
  readonly statuses: readonly string[];
  /** ResourcesToSkip of each ContinueUpdateRollback accepted, in order. */
  readonly continueRollbacks: readonly (readonly string[])[];
  /** CancelUpdateStack calls accepted. */
  readonly cancels: number;
  /** Resolves once the stack has shown this status in this script (at once if it already has). */
  waitFor(status: string, timeoutMs?: number): Promise<void>;
  /** Stops scripting: no new operations; one in progress stops where it is and the stack shows moto's state. */
  remove(): void;
}

export interface Timelines {
  script(script: TimelineScript): ScriptedTimeline;
  /** Stops every timer, forgets every script and stack, and takes the rule out of the proxy. */
  clear(): void;
}

// --- constants ------------------------------------------------------------------------------------------------

const DEFAULT_OPERATIONS: readonly ScriptedOperation[] = ['ExecuteChangeSet', 'UpdateStack'];
const DEFAULT_PAGE_SIZE = 3;
const DEFAULT_RESOURCE_EVENTS = 6;
const API_VERSION = '2010-05-15';
const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const STACK_TYPE = 'AWS::CloudFormation::Stack';

/** Statuses from which AWS refuses UpdateStack, CreateChangeSet and ExecuteChangeSet. */
const NOT_UPDATABLE = new Set(['UPDATE_ROLLBACK_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_FAILED']);

type Kind = 'update' | 'create' | 'delete';

interface Verbs {
  inProgress: string;
  complete: string;
  cleanup?: string;
  /** The word in AWS's "The following resource(s) failed to <verb>" reasons. */
  failedTo: string;
  resource: { inProgress: string; complete: string; failed: string };
  rollback?: {
    inProgress: string;
    cleanup?: string;
    complete: string;
    failed: string;
    resource: { inProgress: string; complete: string; failed: string };
    failedTo: string;
    /** AWS appends this to a create's rollback reason. */
    suffix: string;
  };
  /** A delete that fails ends here, without a rollback. */
  failed?: string;
}

const UPDATE = { inProgress: 'UPDATE_IN_PROGRESS', complete: 'UPDATE_COMPLETE', failed: 'UPDATE_FAILED' };
const CREATE = { inProgress: 'CREATE_IN_PROGRESS', complete: 'CREATE_COMPLETE', failed: 'CREATE_FAILED' };
const DELETE = { inProgress: 'DELETE_IN_PROGRESS', complete: 'DELETE_COMPLETE', failed: 'DELETE_FAILED' };

const VERBS: Record<Kind, Verbs> = {
  update: {
    inProgress: 'UPDATE_IN_PROGRESS',
    complete: 'UPDATE_COMPLETE',
    cleanup: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    failedTo: 'update',
    resource: UPDATE,
    rollback: {
      inProgress: 'UPDATE_ROLLBACK_IN_PROGRESS',
      cleanup: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      complete: 'UPDATE_ROLLBACK_COMPLETE',
      failed: 'UPDATE_ROLLBACK_FAILED',
      resource: UPDATE,
      failedTo: 'update',
      suffix: '',
    },
  },
  create: {
    inProgress: 'CREATE_IN_PROGRESS',
    complete: 'CREATE_COMPLETE',
    failedTo: 'create',
    resource: CREATE,
    rollback: {
      inProgress: 'ROLLBACK_IN_PROGRESS',
      complete: 'ROLLBACK_COMPLETE',
      failed: 'ROLLBACK_FAILED',
      resource: DELETE,
      failedTo: 'delete',
      suffix: 'Rollback requested by user.',
    },
  },
  delete: {
    inProgress: 'DELETE_IN_PROGRESS',
    complete: 'DELETE_COMPLETE',
    failedTo: 'delete',
    resource: DELETE,
    failed: 'DELETE_FAILED',
  },
};

const KIND_OF: Record<ScriptedOperation, Kind> = {
  ExecuteChangeSet: 'update',
  UpdateStack: 'update',
  CreateStack: 'create',
  DeleteStack: 'delete',
};

// --- internal state -----------------------------------------------------------------------------------------

interface Resource {
  logicalId: string;
  physicalId: string;
  type: string;
}

interface StoredEvent {
  id: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** Breaks ties between events of the same millisecond: higher is newer. */
  order: number;
  xml: string;
}

interface Handle {
  readonly script: TimelineScript;
  readonly operations: readonly ScriptedOperation[];
  readonly pageSize: number;
  remaining: number;
  answersToLose: number;
  executeCalls: number;
  cancels: number;
  removed: boolean;
  readonly runs: TimelineRun[];
  readonly statuses: string[];
  readonly continueRollbacks: string[][];
  readonly waiters: Array<{ status: string; resolve: () => void }>;
  readonly markStarted: () => void;
  readonly markFinished: (end: TimelineEnd) => void;
}

interface Run {
  readonly handle: Handle;
  readonly record: TimelineRun;
  readonly kind: Kind;
  /** The write itself, sent to moto when the operation completes; also how the run reaches moto. */
  readonly forward: Forward;
  readonly changeSetArn?: string;
  readonly window: { from: number; to?: number };
  controller: AbortController;
  /** `main` until the held write is being applied; only `main` can be cancelled. */
  phase: 'main' | 'applying' | 'rollback';
  /** Resources whose change completed in this run, which a rollback reverts. */
  readonly completed: Resource[];
  /** Resources in progress now, which a cancel fails. */
  readonly pending: Map<string, Resource>;
}

interface StackState {
  readonly arn: string;
  readonly name: string;
  /** What DescribeStacks shows instead of moto's status; none: moto's. */
  override?: { status: string; reason?: string };
  /** The script that last acted on the stack. */
  handle?: Handle;
  run?: Run;
  resources: Resource[];
  /** The resource whose rollback failed, which ContinueUpdateRollback retries or skips. */
  stuck?: Resource & { reason: string };
  readonly events: StoredEvent[];
  /** While a scripted operation runs, moto's own events (from the held write) are not the stack's. */
  readonly windows: Array<{ from: number; to?: number }>;
  lastEventAt: number;
}

class Halted extends Error {
  constructor() {
    super('timeline halted');
  }
}

// --- the timelines ------------------------------------------------------------------------------------------

/**
 * `motoEndpoint`, when given, lets timelines watch the rollback triggers of the change sets they play (the
 * rollback-triggers correction answers GET /_harness/rollback-triggers); without it, or without that
 * correction, triggers are ignored, as moto ignores them.
 */
export function scriptTimelines(aws: Pick<LocalAws, 'proxy'> & Partial<Pick<LocalAws, 'motoEndpoint'>>): Timelines {
  let handles: Handle[] = [];
  let stacks = new Map<string, StackState>();
  let stackNames = new Map<string, StackState>();
  let changeSetStatus = new Map<string, string>();
  let changeSetStacks = new Set<string>();
  let rule: InjectedRule | undefined;
  let eventOrder = 0;

  // --- which requests the timeline takes ---

  function scripted(name: string, operation?: string): Handle | undefined {
    return handles.find(
      (h) =>
        !h.removed &&
        h.remaining > 0 &&
        (h.script.stackName === undefined || h.script.stackName === name) &&
        (operation === undefined || h.operations.includes(operation as ScriptedOperation)),
    );
  }

  function knows(nameOrArn: string, operation?: string): boolean {
    const name = stackNameOf(nameOrArn);
    if (stacks.has(nameOrArn) || stackNames.has(name)) return true;
    if (handles.some((h) => !h.removed && h.script.stackName === name)) return true;
    return operation !== undefined && scripted(name, operation) !== undefined;
  }

  /** Without a StackName, a change set is named by its ARN: one created or executed on a stack the timeline knows. */
  function knowsChangeSet(arn: string): boolean {
    return changeSetStacks.has(arn) || changeSetStatus.has(arn);
  }

  function concerns(request: ProxiedRequest): boolean {
    const stackName = request.form.get('StackName') ?? '';
    switch (request.action) {
      case 'ContinueUpdateRollback':
      case 'CancelUpdateStack':
        return true;
      case 'DescribeStacks':
        return stackName === '' ? stacks.size > 0 : knows(stackName);
      case 'ListStacks':
        return stacks.size > 0;
      case 'ListChangeSets':
        return changeSetStatus.size > 0;
      case 'ExecuteChangeSet':
      case 'DescribeChangeSet':
        return stackName === ''
          ? knowsChangeSet(request.form.get('ChangeSetName') ?? '')
          : knows(stackName, request.action);
      case 'CreateChangeSet':
        // Remembered so that an ExecuteChangeSet naming only the change set's ARN is recognised.
        return stackName !== '' && knows(stackName, 'ExecuteChangeSet');
      case 'DescribeStackEvents':
      case 'UpdateStack':
      case 'CreateStack':
      case 'DeleteStack':
        return stackName !== '' && knows(stackName, request.action);
      default:
        return false;
    }
  }

  async function take(request: ProxiedRequest, _body: Buffer, forward: Forward): Promise<WireResponse | typeof DROP> {
    switch (request.action) {
      case 'DescribeStacks':
        return describeStacks(forward);
      case 'ListStacks':
        return listStacks(request, forward);
      case 'DescribeStackEvents':
        return describeStackEvents(request, forward);
      case 'DescribeChangeSet':
        return describeChangeSet(forward);
      case 'ListChangeSets':
        return listChangeSets(forward);
      case 'CreateChangeSet':
        return createChangeSet(request, forward);
      case 'ExecuteChangeSet':
        return executeChangeSet(request, forward);
      case 'UpdateStack':
        return updateStack(request, forward);
      case 'CreateStack':
        return createStack(request, forward);
      case 'DeleteStack':
        return deleteStack(request, forward);
      case 'ContinueUpdateRollback':
        return continueUpdateRollback(request, forward);
      case 'CancelUpdateStack':
        return cancelUpdateStack(request, forward);
      default:
        return forward();
    }
  }

  // --- reads: moto's answer, with the timeline's status and events ---

  async function describeStacks(forward: Forward): Promise<WireResponse> {
    const answer = await forward();
    if (!succeeded(answer)) return answer;
    const text = mapMembers(answer.body.toString('utf8'), 'Stacks', (member) => {
      const state = stacks.get(tagValue(member, 'StackId') ?? '');
      return state?.override ? withStatus(member, state.override) : member;
    });
    return { ...answer, body: Buffer.from(text) };
  }

  /** Summaries with the timeline's statuses, and StackStatusFilter applied to those (not to moto's). */
  async function listStacks(request: ProxiedRequest, forward: Forward): Promise<WireResponse> {
    const form = new URLSearchParams(request.form);
    const wanted = new Set(listParameter(form, 'StackStatusFilter'));
    for (const key of [...form.keys()]) if (key.startsWith('StackStatusFilter.')) form.delete(key);
    const answer = await forward({ body: form.toString() });
    if (!succeeded(answer)) return answer;
    const text = answer.body.toString('utf8');
    const members = topMembers(text, 'StackSummaries')
      .map((member) => {
        const state = stacks.get(tagValue(member, 'StackId') ?? '');
        return state?.override ? withStatus(member, state.override) : member;
      })
      .filter((member) => wanted.size === 0 || wanted.has(tagValue(member, 'StackStatus') ?? ''));
    const open = text.indexOf('<StackSummaries>');
    const close = text.indexOf('</StackSummaries>', open);
    if (open < 0 || close < 0) return answer;
    const body = `${text.slice(0, open)}<StackSummaries>${members.map((m) => `<member>${m}</member>`).join('')}${text.slice(close)}`;
    return { ...answer, body: Buffer.from(body) };
  }

  async function describeStackEvents(request: ProxiedRequest, forward: Forward): Promise<WireResponse> {
    const form = new URLSearchParams(request.form);
    const token = form.get('NextToken');
    form.delete('NextToken');
    const answer = await forward({ body: form.toString() });
    if (!succeeded(answer)) return answer;
    const members = topMembers(answer.body.toString('utf8'), 'StackEvents');
    const first = members[0];
    const arn = first === undefined ? undefined : tagValue(first, 'StackId');
    if (arn === undefined) return answer;
    const state = stacks.get(arn) ?? stateOf(arn, tagValue(first ?? '', 'StackName') ?? stackNameOf(arn));
    const events = mergedEvents(state, members);
    const page = paginate(events, token, pageSizeOf(state));
    const next = page.next === undefined ? '' : `<NextToken>${page.next}</NextToken>`;
    return ok(
      'DescribeStackEvents',
      `<StackEvents>${page.items.map((e) => `<member>${e.xml}</member>`).join('')}</StackEvents>${next}`,
    );
  }

  async function describeChangeSet(forward: Forward): Promise<WireResponse> {
    const answer = await forward();
    if (!succeeded(answer)) return answer;
    const text = answer.body.toString('utf8');
    const status = changeSetStatus.get(tagValue(text, 'ChangeSetId') ?? '');
    if (status === undefined) return answer;
    return { ...answer, body: Buffer.from(withExecutionStatus(text, status)) };
  }

  /** The same ExecutionStatus as DescribeChangeSet shows, for each change set of the list. */
  async function listChangeSets(forward: Forward): Promise<WireResponse> {
    const answer = await forward();
    if (!succeeded(answer)) return answer;
    const text = mapMembers(answer.body.toString('utf8'), 'Summaries', (member) => {
      const status = changeSetStatus.get(tagValue(member, 'ChangeSetId') ?? '');
      return status === undefined ? member : withExecutionStatus(member, status);
    });
    return { ...answer, body: Buffer.from(text) };
  }

  // --- writes ---

  async function createChangeSet(request: ProxiedRequest, forward: Forward): Promise<WireResponse> {
    const stack = await describeStack(forward, request.form.get('StackName') ?? '');
    if (stack !== undefined) {
      const refusal = updateRefusal(stateOf(stack.arn, stack.name));
      if (refusal) return refusal;
    }
    const answer = await forward();
    const id = succeeded(answer) ? tagValue(answer.body.toString('utf8'), 'Id') : undefined;
    if (id !== undefined) changeSetStacks.add(id);
    return answer;
  }

  async function executeChangeSet(request: ProxiedRequest, forward: Forward): Promise<WireResponse | typeof DROP> {
    const described = await moto(forward, 'DescribeChangeSet', {
      StackName: request.form.get('StackName') ?? undefined,
      ChangeSetName: request.form.get('ChangeSetName') ?? undefined,
    });
    // A change set moto does not know: its own answer, whatever that is.
    if (!succeeded(described)) return forward();
    const text = described.body.toString('utf8');
    const changeSetArn = tagValue(text, 'ChangeSetId') ?? '';
    changeSetStacks.add(changeSetArn);
    const state = stateOf(tagValue(text, 'StackId') ?? '', tagValue(text, 'StackName') ?? '');
    count(state, 'ExecuteChangeSet');

    const execution = changeSetStatus.get(changeSetArn) ?? tagValue(text, 'ExecutionStatus') ?? 'UNAVAILABLE';
    if (execution !== 'AVAILABLE') {
      return awsError(
        'query',
        400,
        'InvalidChangeSetStatus',
        `ChangeSet [${changeSetArn}] cannot be executed in its current execution status of [${execution}]`,
      );
    }
    const refusal = updateRefusal(state);
    if (refusal) return refusal;
    const script = scripted(state.name, 'ExecuteChangeSet');
    if (script === undefined) {
      settle(state);
      return forward();
    }
    const run = begin(state, script, 'ExecuteChangeSet', forward, changeSetArn);
    // As on AWS, once the execute is accepted (begun first: a second execute meanwhile is refused); moto
    // would do it only when the held write is applied.
    await deleteOtherChangeSets(forward, state, changeSetArn);
    return answerOf(run, ok('ExecuteChangeSet', ''));
  }

  /** "When you execute a change set, CloudFormation deletes all other change sets associated with the stack." */
  async function deleteOtherChangeSets(forward: Forward, state: StackState, executed: string): Promise<void> {
    const listed = await moto(forward, 'ListChangeSets', { StackName: state.arn });
    if (!succeeded(listed)) return;
    for (const member of topMembers(listed.body.toString('utf8'), 'Summaries')) {
      const id = tagValue(member, 'ChangeSetId');
      if (id === undefined || id === executed || tagValue(member, 'StackId') !== state.arn) continue;
      await moto(forward, 'DeleteChangeSet', { StackName: state.arn, ChangeSetName: id });
      changeSetStatus.delete(id);
    }
  }

  async function updateStack(request: ProxiedRequest, forward: Forward): Promise<WireResponse | typeof DROP> {
    const stack = await describeStack(forward, request.form.get('StackName') ?? '');
    if (stack === undefined) return forward();
    const state = stateOf(stack.arn, stack.name);
    count(state, 'UpdateStack');
    const refusal = updateRefusal(state);
    if (refusal) return refusal;
    if (scripted(state.name, 'UpdateStack') === undefined) {
      settle(state);
      return forward();
    }
    // AWS validates an update before it answers; moto would only do so when the write is applied.
    const invalid = await validateUpdate(request, forward);
    if (invalid) return invalid;
    const script = scripted(state.name, 'UpdateStack');
    const raced = updateRefusal(state);
    if (raced) return raced;
    if (script === undefined) {
      settle(state);
      return forward();
    }
    const run = begin(state, script, 'UpdateStack', forward);
    return answerOf(run, ok('UpdateStack', `<StackId>${escapeXml(stack.arn)}</StackId>`));
  }

  async function createStack(request: ProxiedRequest, forward: Forward): Promise<WireResponse | typeof DROP> {
    const name = request.form.get('StackName') ?? '';
    const script = scripted(name, 'CreateStack');
    if (script === undefined) return forward();
    script.executeCalls += 1;
    // moto creates the stack now (so that reads of it work); the timeline hides that it is done.
    const from = Date.now();
    const answer = await forward();
    const arn = succeeded(answer) ? tagValue(answer.body.toString('utf8'), 'StackId') : undefined;
    if (arn === undefined) return answer;
    const run = begin(stateOf(arn, name), script, 'CreateStack', forward, undefined, from);
    return answerOf(run, answer);
  }

  async function deleteStack(request: ProxiedRequest, forward: Forward): Promise<WireResponse | typeof DROP> {
    const stack = await describeStack(forward, request.form.get('StackName') ?? '');
    if (stack === undefined) return forward();
    const state = stateOf(stack.arn, stack.name);
    count(state, 'DeleteStack');
    const status = state.override?.status;
    if (status === 'DELETE_IN_PROGRESS') return ok('DeleteStack');
    if (status?.endsWith('_IN_PROGRESS')) return validationError(`Stack cannot be deleted while in status ${status}`);
    const script = scripted(state.name, 'DeleteStack');
    if (script === undefined) {
      settle(state);
      return forward();
    }
    return answerOf(begin(state, script, 'DeleteStack', forward), ok('DeleteStack'));
  }

  async function continueUpdateRollback(request: ProxiedRequest, forward: Forward): Promise<WireResponse> {
    const name = request.form.get('StackName') ?? '';
    const stack = await describeStack(forward, name);
    if (stack === undefined) return validationError(`Stack with id ${name} does not exist`);
    const state = stacks.get(stack.arn);
    const status = state?.override?.status ?? stack.status;
    if (state?.handle === undefined || state.run !== undefined || status !== 'UPDATE_ROLLBACK_FAILED') {
      return validationError('ContinueUpdateRollback cannot be called from current stack status');
    }
    const skip = listParameter(request.form, 'ResourcesToSkip');
    state.handle.continueRollbacks.push(skip);
    continueRollback(state, state.handle, forward, skip);
    return ok('ContinueUpdateRollback', '');
  }

  async function cancelUpdateStack(request: ProxiedRequest, forward: Forward): Promise<WireResponse> {
    const name = request.form.get('StackName') ?? '';
    const stack = await describeStack(forward, name);
    if (stack === undefined) return validationError(`Stack with id ${name} does not exist`);
    const state = stacks.get(stack.arn);
    const run = state?.run;
    if (
      state === undefined ||
      run === undefined ||
      run.kind !== 'update' ||
      run.phase !== 'main' ||
      state.override?.status !== 'UPDATE_IN_PROGRESS'
    ) {
      return validationError('CancelUpdateStack cannot be called from current stack status');
    }
    run.handle.cancels += 1;
    cancel(state, run);
    return ok('CancelUpdateStack');
  }

  /** AWS refuses a write while the stack is busy or broken; moto never is. */
  function updateRefusal(state: StackState): WireResponse | undefined {
    const status = state.override?.status;
    if (status === undefined || !(status.endsWith('_IN_PROGRESS') || NOT_UPDATABLE.has(status))) return undefined;
    return validationError(`Stack:${state.arn} is in ${status} state and can not be updated.`);
  }

  /** An unscripted write: moto applies it at once, and from then on moto's status is the stack's. */
  function settle(state: StackState): void {
    state.override = undefined;
  }

  function count(state: StackState, operation: ScriptedOperation): void {
    const handle = state.run?.handle ?? scripted(state.name, operation) ?? state.handle;
    if (handle !== undefined) handle.executeCalls += 1;
  }

  function answerOf(run: Run, answer: WireResponse): WireResponse | typeof DROP {
    if (run.handle.answersToLose <= 0) return answer;
    run.handle.answersToLose -= 1;
    return DROP;
  }

  async function validateUpdate(request: ProxiedRequest, forward: Forward): Promise<WireResponse | undefined> {
    const form = new URLSearchParams(request.form);
    for (const key of [
      'StackPolicyBody',
      'StackPolicyURL',
      'StackPolicyDuringUpdateBody',
      'StackPolicyDuringUpdateURL',
      'ClientRequestToken',
      'DisableRollback',
      'RetainExceptOnCreate',
    ]) {
      form.delete(key);
    }
    form.set('Action', 'CreateChangeSet');
    form.set('ChangeSetName', `harness-timeline-check-${randomUUID().slice(0, 8)}`);
    form.set('ChangeSetType', 'UPDATE');
    const created = await forward({ body: form.toString() });
    if (!succeeded(created)) return created;
    const id = tagValue(created.body.toString('utf8'), 'Id') ?? '';
    const described = await moto(forward, 'DescribeChangeSet', { ChangeSetName: id });
    await moto(forward, 'DeleteChangeSet', { ChangeSetName: id });
    if (tagValue(described.body.toString('utf8'), 'Status') === 'FAILED')
      return validationError('No updates are to be performed.');
    return undefined;
  }

  // --- playing an operation ---

  function begin(
    state: StackState,
    handle: Handle,
    operation: ScriptedOperation,
    forward: Forward,
    changeSetArn?: string,
    from = Date.now(),
  ): Run {
    handle.remaining -= 1;
    const kind = KIND_OF[operation];
    const record: TimelineRun = {
      operation,
      stackName: state.name,
      stackId: state.arn,
      startedAt: from,
      status: VERBS[kind].inProgress,
    };
    const window = { from };
    const run: Run = {
      handle,
      record,
      kind,
      forward,
      changeSetArn,
      window,
      controller: new AbortController(),
      phase: 'main',
      completed: [],
      pending: new Map(),
    };
    state.run = run;
    state.handle = handle;
    state.windows.push(window);
    handle.runs.push(record);
    if (changeSetArn !== undefined) changeSetStatus.set(changeSetArn, 'EXECUTE_IN_PROGRESS');
    // Shown before the write is answered: a DescribeStacks right after it must see the operation.
    show(state, run, VERBS[kind].inProgress, 'User Initiated');
    stackEvent(state, VERBS[kind].inProgress, 'User Initiated');
    handle.markStarted();
    play(state, run, (signal) => playOperation(state, run, signal));
    return run;
  }

  /** Each play has its own signal: a cancelled play must stop even if it was awaiting moto when cancelled. */
  function play(state: StackState, run: Run, body: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    run.controller = controller;
    body(controller.signal).catch((error: unknown) => {
      if (error instanceof Halted || controller.signal.aborted) return;
      // The harness failed (moto refused the held write, or is gone): end the operation visibly, never hang.
      const message = error instanceof Error ? error.message : String(error);
      const verbs = VERBS[run.kind];
      run.record.error = message;
      finish(state, run, {
        status: verbs.rollback?.complete ?? verbs.failed ?? run.record.status,
        reason: `harness: ${message}`,
      });
    });
  }

  async function playOperation(state: StackState, run: Run, signal: AbortSignal): Promise<void> {
    const { script } = run.handle;
    const verbs = VERBS[run.kind];
    state.resources = await stackResources(run.forward, state.arn);
    const failure = failingResource(state, script.failure);
    const failing = script.outcome !== 'complete';
    const plan = mainPlan(
      state.resources,
      script.resourceEvents ?? DEFAULT_RESOURCE_EVENTS,
      verbs,
      failing ? failure : undefined,
    );
    const watch = await watchTriggers(state, run);
    const fired = await spread(state, run, plan, script.inProgressMs, signal, watch);
    if (fired !== undefined) return rollBack(state, run, fired, false, signal);
    if (!failing) {
      // "for the specified amount of time after all resources have been deployed": still UPDATE_IN_PROGRESS.
      if (watch !== undefined && watch.monitoringMs > 0) {
        const late = await spread(state, run, [], watch.monitoringMs, signal, watch);
        if (late !== undefined) return rollBack(state, run, late, false, signal);
      }
      return completeOperation(state, run, signal);
    }

    if (verbs.rollback === undefined) {
      // A delete that fails stops there: the stack stays, without a rollback.
      const reason = `The following resource(s) failed to ${verbs.failedTo}: [${failure.logicalId}]. `;
      stackEvent(state, verbs.failed ?? 'DELETE_FAILED', reason);
      return finish(state, run, { status: verbs.failed ?? 'DELETE_FAILED', reason });
    }
    const reason = `The following resource(s) failed to ${verbs.failedTo}: [${failure.logicalId}]. ${verbs.rollback.suffix}`;
    await rollBack(state, run, reason, script.outcome === 'rollback-failed', signal);
  }

  async function completeOperation(state: StackState, run: Run, signal: AbortSignal): Promise<void> {
    const verbs = VERBS[run.kind];
    if (run.kind !== 'create') {
      run.phase = 'applying';
      const applied = await run.forward();
      if (!succeeded(applied))
        throw new Error(
          `moto refused the held ${run.record.operation}: ${applied.body.toString('utf8').slice(0, 300)}`,
        );
    }
    const cleanupMs = run.handle.script.cleanupMs ?? 0;
    if (verbs.cleanup !== undefined && cleanupMs > 0) {
      show(state, run, verbs.cleanup);
      stackEvent(state, verbs.cleanup);
      await sleep(cleanupMs, signal);
    }
    stackEvent(state, verbs.complete);
    finish(state, run, 'moto');
  }

  async function rollBack(
    state: StackState,
    run: Run,
    reason: string,
    rollbackFails: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const rollback = VERBS[run.kind].rollback!;
    const { script } = run.handle;
    run.phase = 'rollback';
    show(state, run, rollback.inProgress, reason);
    stackEvent(state, rollback.inProgress, reason);
    const plan: PlannedEvent[] = run.completed.flatMap((r) => [
      { resource: r, status: rollback.resource.inProgress },
      { resource: r, status: rollback.resource.complete },
    ]);
    const stuck = rollbackFails ? failingResource(state, script.rollbackFailure ?? script.failure) : undefined;
    if (stuck) {
      plan.push(
        { resource: stuck, status: rollback.resource.inProgress },
        { resource: stuck, status: rollback.resource.failed, reason: stuck.reason },
      );
    }
    await spread(state, run, plan, script.rollbackMs ?? script.inProgressMs, signal);
    if (stuck) {
      state.stuck = stuck;
      const failedReason = `The following resource(s) failed to ${rollback.failedTo}: [${stuck.logicalId}]. `;
      stackEvent(state, rollback.failed, failedReason);
      return finish(state, run, { status: rollback.failed, reason: failedReason });
    }
    await endRollback(state, run, signal);
  }

  async function endRollback(state: StackState, run: Run, signal: AbortSignal): Promise<void> {
    const rollback = VERBS[run.kind].rollback!;
    const cleanupMs = run.handle.script.cleanupMs ?? 0;
    if (rollback.cleanup !== undefined && cleanupMs > 0) {
      show(state, run, rollback.cleanup);
      stackEvent(state, rollback.cleanup);
      await sleep(cleanupMs, signal);
    }
    stackEvent(state, rollback.complete);
    finish(state, run, { status: rollback.complete });
  }

  function cancel(state: StackState, run: Run): void {
    run.controller.abort();
    run.record.cancelled = true;
    for (const resource of run.pending.values()) {
      resourceEvent(state, run, {
        resource,
        status: VERBS[run.kind].resource.failed,
        reason: 'Resource update cancelled',
      });
    }
    play(state, run, (signal) => rollBack(state, run, 'Stack update cancelled', false, signal));
  }

  function continueRollback(state: StackState, handle: Handle, forward: Forward, skip: string[]): void {
    const from = Date.now();
    const record: TimelineRun = {
      operation: 'ContinueUpdateRollback',
      stackName: state.name,
      stackId: state.arn,
      startedAt: from,
      status: 'UPDATE_ROLLBACK_IN_PROGRESS',
      resourcesToSkip: skip,
    };
    const window = { from };
    const run: Run = {
      handle,
      record,
      kind: 'update',
      forward,
      window,
      controller: new AbortController(),
      phase: 'rollback',
      completed: [],
      pending: new Map(),
    };
    state.run = run;
    state.windows.push(window);
    handle.runs.push(record);
    show(state, run, 'UPDATE_ROLLBACK_IN_PROGRESS');
    stackEvent(state, 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated');
    play(state, run, (signal) => playContinue(state, run, skip, signal));
  }

  async function playContinue(state: StackState, run: Run, skip: string[], signal: AbortSignal): Promise<void> {
    const { script } = run.handle;
    const stuck = state.stuck;
    const skipped = stuck !== undefined && skip.includes(stuck.logicalId);
    const mode = script.continueRollback ?? 'completes';
    const failsAgain = stuck !== undefined && (mode === 'fails' || (mode === 'needs-skip' && !skipped));
    const plan: PlannedEvent[] = [];
    for (const logicalId of skip) {
      const resource =
        state.resources.find((r) => r.logicalId === logicalId) ?? (stuck?.logicalId === logicalId ? stuck : undefined);
      if (resource) plan.push({ resource, status: 'UPDATE_COMPLETE', reason: 'Resource skipped during rollback' });
    }
    if (stuck !== undefined && !skipped) {
      plan.push({ resource: stuck, status: 'UPDATE_IN_PROGRESS' });
      plan.push(
        failsAgain
          ? { resource: stuck, status: 'UPDATE_FAILED', reason: stuck.reason }
          : { resource: stuck, status: 'UPDATE_COMPLETE' },
      );
    }
    await spread(state, run, plan, script.rollbackMs ?? script.inProgressMs, signal);
    if (stuck !== undefined && failsAgain) {
      const reason = `The following resource(s) failed to update: [${stuck.logicalId}]. `;
      stackEvent(state, 'UPDATE_ROLLBACK_FAILED', reason);
      return finish(state, run, { status: 'UPDATE_ROLLBACK_FAILED', reason });
    }
    state.stuck = undefined;
    await endRollback(state, run, signal);
  }

  /**
   * Events at even intervals over `ms`, the last interval ending the phase. With a watch, the rollback
   * triggers are checked every 100 ms meanwhile: the reason of the first that fires ends the phase early.
   */
  async function spread(
    state: StackState,
    run: Run,
    plan: readonly PlannedEvent[],
    ms: number,
    signal: AbortSignal,
    watch?: TriggerWatch,
  ): Promise<string | undefined> {
    const gap = Math.max(0, ms) / (plan.length + 1);
    const wait = async (length: number): Promise<string | undefined> => {
      if (watch === undefined) return void (await sleep(length, signal));
      for (let left = length; ; ) {
        const fired = await watch.fired();
        if (fired !== undefined || left <= 0) return fired;
        const step = Math.min(left, 100);
        await sleep(step, signal);
        left -= step;
      }
    };
    for (const event of plan) {
      const fired = await wait(gap);
      if (fired !== undefined) return fired;
      resourceEvent(state, run, event);
    }
    return wait(gap);
  }

  /** The rollback configuration of the change set a run executes, read from moto through the side door. */
  async function watchTriggers(state: StackState, run: Run): Promise<TriggerWatch | undefined> {
    if (aws.motoEndpoint === undefined || run.changeSetArn === undefined || run.kind !== 'update') return undefined;
    const arn = /^arn:[^:]+:cloudformation:([^:]*):([^:]*):/.exec(state.arn);
    const query = new URLSearchParams({
      changeSet: run.changeSetArn,
      ...(arn ? { region: arn[1]!, account: arn[2]! } : {}),
    });
    const url = `${aws.motoEndpoint}/_harness/rollback-triggers?${query}`;
    const read = async (): Promise<TriggerState | undefined> => {
      const answer = await fetch(url);
      return answer.ok ? ((await answer.json()) as TriggerState) : undefined;
    };
    const first = await read();
    if (first?.configuration == null) return undefined;
    const minuteMs = run.handle.script.monitorMinuteMs ?? 60_000;
    const watched = (first.configuration.RollbackTriggers ?? []).length > 0;
    return {
      monitoringMs: (first.configuration.MonitoringTimeInMinutes ?? 0) * minuteMs,
      fired: async () => (watched ? ((await read())?.reason ?? undefined) : undefined),
    };
  }

  function show(state: StackState, run: Run, status: string, reason?: string): void {
    state.override = { status, reason };
    run.record.status = status;
    noteStatus(run.handle, status);
  }

  /** `moto`: the stack shows moto's own status again (the write was applied there). */
  function finish(state: StackState, run: Run, end: { status: string; reason?: string } | 'moto'): void {
    const status = end === 'moto' ? VERBS[run.kind].complete : end.status;
    state.override = end === 'moto' ? undefined : end;
    if (state.run === run) state.run = undefined;
    run.window.to = Date.now();
    run.record.status = status;
    run.record.endedAt = run.window.to;
    if (run.changeSetArn !== undefined) {
      if (end === 'moto') changeSetStatus.delete(run.changeSetArn);
      else changeSetStatus.set(run.changeSetArn, 'EXECUTE_FAILED');
    }
    noteStatus(run.handle, status);
    if (run.handle.runs[0] === run.record)
      run.handle.markFinished({ status, reason: end === 'moto' ? undefined : end.reason });
  }

  // --- events ---

  function stackEvent(state: StackState, status: string, reason?: string): void {
    const at = nextEventTime(state);
    addEvent(
      state,
      randomUUID(),
      at,
      { LogicalResourceId: state.name, PhysicalResourceId: state.arn, ResourceType: STACK_TYPE },
      status,
      reason,
    );
  }

  function resourceEvent(state: StackState, run: Run, event: PlannedEvent): void {
    const { resource, status, reason } = event;
    const at = nextEventTime(state);
    // AWS names resource events after the resource, its status and the time; stack events get a UUID.
    const id = `${resource.logicalId}-${status}-${new Date(at).toISOString()}`;
    addEvent(
      state,
      id,
      at,
      { LogicalResourceId: resource.logicalId, PhysicalResourceId: resource.physicalId, ResourceType: resource.type },
      status,
      reason,
    );
    if (status.endsWith('_IN_PROGRESS')) run.pending.set(resource.logicalId, resource);
    else run.pending.delete(resource.logicalId);
    if (
      status.endsWith('_COMPLETE') &&
      run.phase === 'main' &&
      !run.completed.some((r) => r.logicalId === resource.logicalId)
    )
      run.completed.push(resource);
  }

  function addEvent(
    state: StackState,
    id: string,
    at: number,
    resource: { LogicalResourceId: string; PhysicalResourceId: string; ResourceType: string },
    status: string,
    reason?: string,
  ): void {
    const fields: Array<[string, string | undefined]> = [
      ['StackId', state.arn],
      ['EventId', id],
      ['StackName', state.name],
      ['LogicalResourceId', resource.LogicalResourceId],
      ['PhysicalResourceId', resource.PhysicalResourceId],
      ['ResourceType', resource.ResourceType],
      ['Timestamp', new Date(at).toISOString()],
      ['ResourceStatus', status],
      ['ResourceStatusReason', reason],
    ];
    const xml = fields.map(([k, v]) => (v === undefined ? '' : `<${k}>${escapeXml(v)}</${k}>`)).join('');
    state.events.push({ id, at, order: 1_000_000 + ++eventOrder, xml });
  }

  /** Strictly increasing per stack, so that newest-first order never depends on a tie. */
  function nextEventTime(state: StackState): number {
    state.lastEventAt = Math.max(Date.now(), state.lastEventAt + 1);
    return state.lastEventAt;
  }

  function mergedEvents(state: StackState, members: readonly string[]): StoredEvent[] {
    const fromMoto: StoredEvent[] = [];
    members.forEach((xml, index) => {
      const at = Date.parse(tagValue(xml, 'Timestamp') ?? '');
      const hidden = state.windows.some((w) => at >= w.from && (w.to === undefined || at <= w.to));
      if (!hidden) fromMoto.push({ id: tagValue(xml, 'EventId') ?? '', at, order: members.length - index, xml });
    });
    return [...fromMoto, ...state.events].sort((a, b) => b.at - a.at || b.order - a.order);
  }

  // --- lookups ---

  function stateOf(arn: string, name: string): StackState {
    let state = stacks.get(arn);
    if (state === undefined) {
      state = { arn, name, resources: [], events: [], windows: [], lastEventAt: 0 };
      stacks.set(arn, state);
    }
    stackNames.set(name, state);
    return state;
  }

  function pageSizeOf(state: StackState): number {
    const handle = state.handle ?? handles.find((h) => !h.removed && h.script.stackName === state.name);
    return handle?.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  function failingResource(state: StackState, failure: ScriptedFailure | undefined): Resource & { reason: string } {
    const logicalId = failure?.logicalId ?? state.resources[0]?.logicalId ?? 'Resource';
    const known = state.resources.find((r) => r.logicalId === logicalId);
    return {
      logicalId,
      physicalId: known?.physicalId ?? '',
      type: failure?.resourceType ?? known?.type ?? 'AWS::CloudFormation::CustomResource',
      reason: failure?.reason ?? 'Scripted failure (harness timeline)',
    };
  }

  // --- the script handles ---

  function noteStatus(handle: Handle, status: string): void {
    if (handle.statuses[handle.statuses.length - 1] !== status) handle.statuses.push(status);
    for (const waiter of handle.waiters.filter((w) => w.status === status)) waiter.resolve();
    handle.waiters.splice(0, handle.waiters.length, ...handle.waiters.filter((w) => w.status !== status));
  }

  function newHandle(script: TimelineScript): {
    handle: Handle;
    started: Promise<void>;
    finished: Promise<TimelineEnd>;
  } {
    let markStarted = (): void => undefined;
    let markFinished = (_end: TimelineEnd): void => undefined;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const finished = new Promise<TimelineEnd>((resolve) => (markFinished = resolve));
    const handle: Handle = {
      script,
      operations: script.operations ?? DEFAULT_OPERATIONS,
      pageSize: script.eventsPageSize ?? DEFAULT_PAGE_SIZE,
      remaining: script.times ?? 1,
      answersToLose: script.loseAnswers ?? 0,
      executeCalls: 0,
      cancels: 0,
      removed: false,
      runs: [],
      statuses: [],
      continueRollbacks: [],
      waiters: [],
      markStarted: () => markStarted(),
      markFinished: (end) => markFinished(end),
    };
    return { handle, started, finished };
  }

  function forget(states: Iterable<StackState>): void {
    for (const state of [...states]) {
      const run = state.run;
      if (run !== undefined) {
        run.controller.abort();
        if (run.changeSetArn !== undefined) changeSetStatus.delete(run.changeSetArn);
        run.handle.markFinished({ status: 'CLEARED' });
      }
      stacks.delete(state.arn);
      if (stackNames.get(state.name) === state) stackNames.delete(state.name);
    }
  }

  function install(): void {
    rule?.remove();
    rule = aws.proxy.inject({
      name: 'timelines',
      service: 'cloudformation',
      when: concerns,
      fault: { type: 'handle', handler: take },
    });
  }

  return {
    script(script) {
      if (!(script.inProgressMs >= 0)) throw new Error('scriptTimelines: inProgressMs must be a duration in ms');
      const { handle: h, started, finished } = newHandle(script);
      handles.push(h);
      install();
      return {
        script,
        started,
        finished,
        get executeCalls() {
          return h.executeCalls;
        },
        get runs() {
          return h.runs;
        },
        get statuses() {
          return h.statuses;
        },
        get continueRollbacks() {
          return h.continueRollbacks;
        },
        get cancels() {
          return h.cancels;
        },
        waitFor(status, timeoutMs = 30_000) {
          if (h.statuses.includes(status)) return Promise.resolve();
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `timeline: the stack did not show ${status} within ${timeoutMs} ms (shown: ${h.statuses.join(' → ') || 'nothing'})`,
                  ),
                ),
              timeoutMs,
            );
            h.waiters.push({
              status,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          });
        },
        remove() {
          h.removed = true;
          forget([...stacks.values()].filter((s) => s.handle === h));
          h.markFinished({ status: 'CLEARED' });
        },
      };
    },
    clear() {
      forget(stacks.values());
      for (const h of handles) h.markFinished({ status: 'CLEARED' });
      handles = [];
      stacks = new Map();
      stackNames = new Map();
      changeSetStatus = new Map();
      changeSetStacks = new Set();
      rule?.remove();
      rule = undefined;
    },
  };
}

// --- rollback triggers ------------------------------------------------------------------------------------------

/** What GET /_harness/rollback-triggers answers (the rollback-triggers correction). */
interface TriggerState {
  configuration: { RollbackTriggers?: Array<{ Arn: string; Type: string }>; MonitoringTimeInMinutes?: number } | null;
  firing: string[];
  missing: string[];
  reason: string | null;
}

interface TriggerWatch {
  /** The monitoring time after the resources are done, in this harness's milliseconds. */
  monitoringMs: number;
  /** The reason to roll back now, if a trigger's alarm is in ALARM (or missing). */
  fired(): Promise<string | undefined>;
}

// --- plans of resource events -------------------------------------------------------------------------------

interface PlannedEvent {
  resource: Resource;
  status: string;
  reason?: string;
}

/** Resources change one after another; a failing one is the last to start and fails as the phase ends. */
function mainPlan(
  resources: readonly Resource[],
  count: number,
  verbs: Verbs,
  failure?: Resource & { reason: string },
): PlannedEvent[] {
  const others = resources.filter((r) => r.logicalId !== failure?.logicalId);
  const slots = failure ? Math.max(0, count - 2) : Math.max(0, count);
  const plan: PlannedEvent[] = [];
  for (let i = 0; i < slots && others.length > 0; i++) {
    const resource = others[Math.floor(i / 2) % others.length]!;
    plan.push({ resource, status: i % 2 === 0 ? verbs.resource.inProgress : verbs.resource.complete });
  }
  if (failure) {
    plan.push({ resource: failure, status: verbs.resource.inProgress });
    plan.push({ resource: failure, status: verbs.resource.failed, reason: failure.reason });
  }
  return plan;
}

// --- moto and the wire ----------------------------------------------------------------------------------------

/** Sends moto another CloudFormation call, signed as the request in hand (moto reads the region from it). */
function moto(forward: Forward, action: string, parameters: Record<string, string | undefined>): Promise<WireResponse> {
  const form = new URLSearchParams({ Action: action, Version: API_VERSION });
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined) form.set(key, value);
  return forward({ body: form.toString() });
}

async function describeStack(
  forward: Forward,
  nameOrArn: string,
): Promise<{ arn: string; name: string; status: string } | undefined> {
  if (nameOrArn === '') return undefined;
  const answer = await moto(forward, 'DescribeStacks', { StackName: nameOrArn });
  if (!succeeded(answer)) return undefined;
  const member = topMembers(answer.body.toString('utf8'), 'Stacks')[0];
  const arn = member === undefined ? undefined : tagValue(member, 'StackId');
  if (member === undefined || arn === undefined) return undefined;
  return {
    arn,
    name: tagValue(member, 'StackName') ?? stackNameOf(arn),
    status: tagValue(member, 'StackStatus') ?? '',
  };
}

async function stackResources(forward: Forward, arn: string): Promise<Resource[]> {
  const answer = await moto(forward, 'DescribeStackResources', { StackName: arn });
  if (!succeeded(answer)) return [];
  return topMembers(answer.body.toString('utf8'), 'StackResources').map((member) => ({
    logicalId: tagValue(member, 'LogicalResourceId') ?? '',
    physicalId: tagValue(member, 'PhysicalResourceId') ?? '',
    type: tagValue(member, 'ResourceType') ?? '',
  }));
}

function succeeded(answer: WireResponse): boolean {
  return answer.status >= 200 && answer.status < 300;
}

/** A success in the CloudFormation query protocol; `result` undefined: no Result element at all. */
function ok(action: string, result?: string): WireResponse {
  const requestId = randomUUID();
  const body = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: Buffer.from(
      `<${action}Response xmlns="${NAMESPACE}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    ),
  };
}

function validationError(message: string): WireResponse {
  return awsError('query', 400, 'ValidationError', message);
}

function paginate(
  events: readonly StoredEvent[],
  token: string | null,
  size: number,
): { items: StoredEvent[]; next?: string } {
  // The token names the last event given, not an offset: new events arrive at the front between pages.
  const after = token === null ? undefined : Buffer.from(token, 'base64url').toString('utf8');
  const index = after === undefined ? -1 : events.findIndex((e) => e.id === after);
  const start = index + 1;
  const items = events.slice(start, start + size);
  const last = items[items.length - 1];
  const next =
    start + size < events.length && last !== undefined ? Buffer.from(last.id).toString('base64url') : undefined;
  return { items, next };
}

function listParameter(form: URLSearchParams, name: string): string[] {
  const prefix = `${name}.member.`;
  return [...form.entries()]
    .filter(([key]) => key.startsWith(prefix))
    .sort(([a], [b]) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map(([, value]) => value);
}

function stackNameOf(nameOrArn: string): string {
  return /^arn:[^:]+:cloudformation:[^:]*:[^:]*:stack\/([^/]+)\//.exec(nameOrArn)?.[1] ?? nameOrArn;
}

// --- XML, just enough for moto's answers ----------------------------------------------------------------------

function tagValue(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
}

/** The `<member>` elements directly inside the first `<list>`, as their inner XML. */
function topMembers(xml: string, list: string): string[] {
  return memberRanges(xml, list).map(([start, end]) => xml.slice(start, end));
}

function mapMembers(xml: string, list: string, rewrite: (member: string) => string): string {
  let out = '';
  let cursor = 0;
  for (const [start, end] of memberRanges(xml, list)) {
    out += xml.slice(cursor, start) + rewrite(xml.slice(start, end));
    cursor = end;
  }
  return out + xml.slice(cursor);
}

/** Inner ranges of top-level members; members nest (a stack's Parameters are members too). */
function memberRanges(xml: string, list: string): Array<[number, number]> {
  const open = xml.indexOf(`<${list}>`);
  const close = xml.indexOf(`</${list}>`, open);
  if (open < 0 || close < 0) return [];
  const ranges: Array<[number, number]> = [];
  const tokens = /<member>|<\/member>/g;
  tokens.lastIndex = open;
  let depth = 0;
  let start = 0;
  for (let match = tokens.exec(xml); match !== null && match.index < close; match = tokens.exec(xml)) {
    if (match[0] === '<member>') {
      if (depth === 0) start = match.index + match[0].length;
      depth += 1;
    } else {
      depth -= 1;
      if (depth === 0) ranges.push([start, match.index]);
    }
  }
  return ranges;
}

function withStatus(member: string, override: { status: string; reason?: string }): string {
  const reason =
    override.reason === undefined ? '' : `<StackStatusReason>${escapeXml(override.reason)}</StackStatusReason>`;
  return member
    .replace(/<StackStatusReason>[\s\S]*?<\/StackStatusReason>/, '')
    .replace(/<StackStatus>[^<]*<\/StackStatus>/, `<StackStatus>${override.status}</StackStatus>${reason}`);
}

function withExecutionStatus(xml: string, status: string): string {
  return xml.replace(/<ExecutionStatus>[^<]*<\/ExecutionStatus>/, `<ExecutionStatus>${status}</ExecutionStatus>`);
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(
      /&(lt|gt|quot|apos|amp);/g,
      (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '',
    );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Halted());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Halted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
