/**
 * The parameter planner: the heart of the parameter-safety layer. From the target template's declarations,
 * the stack's current parameters and the changes asked for, it computes the complete parameter list for
 * CloudFormation, or refuses, listing every problem at once.
 *
 * For every parameter of the target template it emits exactly one of: a ParameterValue (set by the user or
 * a migration, or new to the stack without a default), UsePreviousValue (on the stack and not changed:
 * never omitted, since an omitted parameter silently reverts to its Default), or nothing (new to the stack,
 * its default applies).
 *
 * A value the API returned for a NoEcho key is never read: the stack's secret values are dropped before
 * anything else happens, so none can reach the parameters, the display or a message.
 */
import { refused, type RackError } from '../errors.js';
import { isAsteriskOnly, MASK } from './redact.js';
import { constraintViolations, uncheckablePattern, type ParameterDeclaration } from './template.js';

export interface StackParameter {
  key: string;
  /** What the API returned: for a NoEcho key `****`, or (from a misbehaving endpoint) the secret itself. */
  value?: string;
}

/** Parameter changes a migration makes when the rack crosses a release. */
export interface MigrationChanges {
  set?: Record<string, string>;
  /** Keys the target template no longer declares. */
  remove?: readonly string[];
  /** The new key takes the old key's value, unless the stack already has the new key. */
  rename?: ReadonlyArray<{ from: string; to: string }>;
}

/** A NoEcho value the plan needs but rack cannot recover, e.g. across a migration that removed it. */
export interface UnrecoverableParameter {
  key: string;
  /** Says why, in words for the user. Never a value. */
  reason: string;
}

export interface ParameterPlanInput {
  /** The target template's parameters, in declaration order (NoEcho already merged from GetTemplateSummary). */
  declarations: readonly ParameterDeclaration[];
  stack: readonly StackParameter[];
  /**
   * Every key to treat as secret: the target's NoEcho keys from the body and GetTemplateSummary, and the
   * current template's, since a key secret on the stack now stays secret whatever the new template says.
   */
  noEchoKeys: readonly string[];
  userChanges?: Readonly<Record<string, string>>;
  migrationChanges?: MigrationChanges;
  unrecoverable?: readonly UnrecoverableParameter[];
}

export type CloudFormationParameter =
  | { ParameterKey: string; ParameterValue: string }
  | { ParameterKey: string; UsePreviousValue: true };

export type ChangeKind = 'set' | 'new-default' | 'keep' | 'removed';

/** Where a parameter's value comes from; for 'removed', who removed it ('template': the target dropped it). */
export type ChangeSource = 'user' | 'migration' | 'rename' | 'stack' | 'default' | 'template';

/** One line of the plan as shown to the user. A NoEcho value is shown only as MASK or a phrase. */
export interface PlannedChange {
  key: string;
  kind: ChangeKind;
  source: ChangeSource;
  noEcho: boolean;
  /** The value now; absent when the stack does not have the key. */
  displayOld?: string;
  /** The value after the update; absent when the key is removed. */
  displayNew?: string;
}

export type ProblemKind =
  | 'unknown-key'
  | 'invalid-value'
  | 'masked-value'
  | 'unrecoverable'
  | 'missing-value'
  | 'migration-conflict';

export interface ParameterProblem {
  key: string;
  kind: ProblemKind;
  /** One line for the user; never contains a NoEcho value. */
  message: string;
}

export interface ParameterPlan {
  ok: true;
  /** In the target template's declaration order; ready for CreateChangeSet. */
  parameters: CloudFormationParameter[];
  /** Declared parameters in declaration order, then the removed ones in the stack's order. */
  changes: PlannedChange[];
  /** Checks left to CloudFormation, e.g. an AllowedPattern JavaScript cannot read. */
  warnings: string[];
}

export interface ParameterRefusal {
  ok: false;
  problems: ParameterProblem[];
}

export const UNCHANGED = '(unchanged)';
export const NEW_VALUE = '(new value)';
export const DEFAULT_VALUE = '(default)';

export function planParameters(input: ParameterPlanInput): ParameterPlan | ParameterRefusal {
  const context = contextOf(input);
  const problems = [...unknownKeyProblems(context), ...migrationProblems(context)];
  const parameters: CloudFormationParameter[] = [];
  const changes: PlannedChange[] = [];
  const warnings = new Set<string>();

  for (const declaration of input.declarations) {
    const decision = decide(declaration, context);
    if (decision.kind === 'refuse') {
      problems.push(...decision.problems);
      continue;
    }
    if (decision.checked) {
      const warning = uncheckablePattern(declaration);
      if (warning) warnings.add(warning);
    }
    const parameter = parameterOf(declaration.key, decision);
    if (parameter) parameters.push(parameter);
    changes.push(changeOf(declaration, decision, context));
  }
  changes.push(...removedChanges(context));

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, parameters, changes, warnings: [...warnings] };
}

/**
 * True when any parameter changes. A `rack params set` whose plan has none needs no update; whether the
 * template itself changes is for the caller to know.
 */
export function hasChanges(plan: ParameterPlan): boolean {
  return plan.changes.some((change) => change.kind !== 'keep');
}

/** The refusal (exit 3) for a plan's problems, each on its own line. */
export function parameterRefusal(problems: readonly ParameterProblem[]): RackError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return refused(`The parameters were refused (${count}).`, {
    problems: problems.map((problem) => problem.message),
    untouched: 'Nothing was written to the stack.',
    next: 'Correct the parameters and run the command again.',
    details: { problems: problems.map(({ key, kind }) => ({ key, kind })) },
  });
}

/** planParameters, throwing parameterRefusal when there are problems. */
export function planParametersOrRefuse(input: ParameterPlanInput): ParameterPlan {
  const plan = planParameters(input);
  if (!plan.ok) throw parameterRefusal(plan.problems);
  return plan;
}

// ---------------------------------------------------------------------------------------------------
// What the planner knows

interface PlanContext {
  declared: Map<string, ParameterDeclaration>;
  secret: (key: string) => boolean;
  /** Keys on the stack, in its order. */
  stackKeys: string[];
  /** Values of the stack's plain (not NoEcho) keys only. */
  plainValues: Map<string, string | undefined>;
  user: Map<string, string>;
  migrationSet: Map<string, string>;
  migrationRemoves: Set<string>;
  renames: ReadonlyArray<{ from: string; to: string }>;
  unrecoverable: Map<string, string>;
}

function contextOf(input: ParameterPlanInput): PlanContext {
  const secretKeys = new Set(input.noEchoKeys);
  for (const declaration of input.declarations) if (declaration.noEcho) secretKeys.add(declaration.key);
  // A value that came back masked is a secret, whatever the declarations say.
  for (const { key, value } of input.stack) if (value !== undefined && isAsteriskOnly(value)) secretKeys.add(key);

  const stackKeys: string[] = [];
  const plainValues = new Map<string, string | undefined>();
  for (const { key, value } of input.stack) {
    if (stackKeys.includes(key)) continue;
    stackKeys.push(key);
    // The only place the stack's values are read: a secret's value is dropped here, unread.
    if (!secretKeys.has(key)) plainValues.set(key, value);
  }

  const migration = input.migrationChanges ?? {};
  return {
    declared: new Map(input.declarations.map((declaration) => [declaration.key, declaration])),
    secret: (key) => secretKeys.has(key),
    stackKeys,
    plainValues,
    user: new Map(Object.entries(input.userChanges ?? {})),
    migrationSet: new Map(Object.entries(migration.set ?? {})),
    migrationRemoves: new Set(migration.remove ?? []),
    renames: migration.rename ?? [],
    unrecoverable: new Map((input.unrecoverable ?? []).map(({ key, reason }) => [key, reason])),
  };
}

const onStack = (context: PlanContext, key: string) => context.stackKeys.includes(key);

// ---------------------------------------------------------------------------------------------------
// One decision per declared parameter

type Decision =
  | { kind: 'set'; value: string; source: 'user' | 'migration' | 'rename'; checked: true }
  | { kind: 'keep'; source: 'stack' | 'user' | 'migration' | 'rename'; checked: boolean }
  | { kind: 'new-default'; checked: false }
  | { kind: 'refuse'; problems: ParameterProblem[] };

function decide(declaration: ParameterDeclaration, context: PlanContext): Decision {
  const { key } = declaration;
  const secret = context.secret(key);
  const proposal = proposalFor(key, context);

  if (proposal && 'value' in proposal) {
    const problems = valueProblems(declaration, proposal.value, secret, proposal.source);
    if (problems.length > 0) return { kind: 'refuse', problems };
    // A plain value set to what it already is changes nothing; a secret cannot be compared, so it is sent.
    const unchanged = !secret && onStack(context, key) && context.plainValues.get(key) === proposal.value;
    return unchanged
      ? { kind: 'keep', source: proposal.source, checked: true }
      : { kind: 'set', value: proposal.value, source: proposal.source, checked: true };
  }

  const unrecoverable = context.unrecoverable.get(key) ?? proposal?.unrecoverable;
  if (unrecoverable !== undefined) {
    return refuse(
      key,
      'unrecoverable',
      `${key}: its value cannot be recovered (${unrecoverable}). Pass ${key}=<value>.`,
    );
  }

  if (onStack(context, key)) {
    const current = context.plainValues.get(key);
    if (secret || current === undefined) return { kind: 'keep', source: 'stack', checked: false };
    const problems = constraintViolations(declaration, current, {
      subject: `the current value ${quote(current)}`,
      secret: false,
    }).map((violation) =>
      problem(
        key,
        'invalid-value',
        `${key}: ${violation}; the target template does not allow it. Pass ${key}=<value>.`,
      ),
    );
    return problems.length > 0 ? { kind: 'refuse', problems } : { kind: 'keep', source: 'stack', checked: true };
  }

  if (declaration.default !== undefined) return { kind: 'new-default', checked: false };
  return refuse(
    key,
    'missing-value',
    `${key}: it is new in the target template and has no default. Pass ${key}=<value>.`,
  );
}

type Proposal = { value: string; source: 'user' | 'migration' | 'rename' } | { unrecoverable: string };

/** The value asked for a key: the user's first, then a migration's, then a renamed key's. */
function proposalFor(key: string, context: PlanContext): Proposal | undefined {
  const fromUser = context.user.get(key);
  if (fromUser !== undefined) return { value: fromUser, source: 'user' };
  const fromMigration = context.migrationSet.get(key);
  if (fromMigration !== undefined) return { value: fromMigration, source: 'migration' };
  // Once the stack has the new key, the rename already happened: keep what is there. And a value the
  // caller knows to be lost is not stood in for by a renamed one.
  if (onStack(context, key) || context.unrecoverable.has(key)) return undefined;
  const rename = context.renames.find(({ to, from }) => to === key && onStack(context, from));
  if (!rename) return undefined;
  if (context.secret(rename.from)) {
    return {
      unrecoverable: `a migration renames ${rename.from} to ${key}, and ${rename.from} is NoEcho, so its value cannot be read back`,
    };
  }
  const value = context.plainValues.get(rename.from);
  if (value === undefined)
    return { unrecoverable: `a migration renames ${rename.from} to ${key}, and the stack did not return its value` };
  return { value, source: 'rename' };
}

function valueProblems(
  declaration: ParameterDeclaration,
  value: string,
  secret: boolean,
  source: 'user' | 'migration' | 'rename',
): ParameterProblem[] {
  const { key } = declaration;
  const who =
    source === 'user' ? key : `${key} (${source === 'migration' ? 'set by a migration' : 'renamed by a migration'})`;
  if (secret && isAsteriskOnly(value)) {
    return [
      problem(
        key,
        'masked-value',
        `${who}: the value is only asterisks, which is how CloudFormation masks a secret, not the secret itself. ` +
          `Pass the real value, or leave ${key} out to keep its current value.`,
      ),
    ];
  }
  const subject = secret ? 'the value' : quote(value);
  return constraintViolations(declaration, value, { subject, secret }).map((violation) =>
    problem(key, 'invalid-value', `${who}: ${violation}.`),
  );
}

// ---------------------------------------------------------------------------------------------------
// Problems with the changes themselves

function unknownKeyProblems(context: PlanContext): ParameterProblem[] {
  const declaredKeys = [...context.declared.keys()];
  return [...context.user.keys()]
    .filter((key) => !context.declared.has(key))
    .map((key) => {
      const dropped = onStack(context, key) ? ' The stack has it, but the target template no longer does.' : '';
      const suggestion = closestKey(key, declaredKeys);
      const didYouMean = suggestion ? ` Did you mean ${suggestion}?` : '';
      return problem(
        key,
        'unknown-key',
        `Unknown parameter ${key}: the target template does not declare it.${dropped}${didYouMean}`,
      );
    });
}

function migrationProblems(context: PlanContext): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  for (const key of context.migrationSet.keys()) {
    if (!context.declared.has(key)) {
      problems.push(
        problem(key, 'migration-conflict', `${key}: a migration sets it, but the target template does not declare it.`),
      );
    }
  }
  for (const key of context.migrationRemoves) {
    if (context.declared.has(key)) {
      problems.push(
        problem(
          key,
          'migration-conflict',
          `${key}: a migration removes it, but the target template still declares it.`,
        ),
      );
    }
  }
  for (const { from, to } of context.renames) {
    if (!context.declared.has(to)) {
      problems.push(
        problem(
          to,
          'migration-conflict',
          `${to}: a migration renames ${from} to it, but the target template does not declare it.`,
        ),
      );
    }
  }
  return problems;
}

/** The declared key a mistyped one most likely meant: same letters in another case, else a near spelling. */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  const sameLetters = candidates.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (sameLetters) return sameLetters;
  const tolerance = Math.max(2, Math.floor(key.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= tolerance && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------------------------------
// Output

function parameterOf(
  key: string,
  decision: Exclude<Decision, { kind: 'refuse' }>,
): CloudFormationParameter | undefined {
  if (decision.kind === 'set') return { ParameterKey: key, ParameterValue: decision.value };
  if (decision.kind === 'keep') return { ParameterKey: key, UsePreviousValue: true };
  return undefined;
}

function changeOf(
  declaration: ParameterDeclaration,
  decision: Exclude<Decision, { kind: 'refuse' }>,
  context: PlanContext,
): PlannedChange {
  const { key } = declaration;
  const noEcho = context.secret(key);
  const old = onStack(context, key) ? (noEcho ? MASK : (context.plainValues.get(key) ?? '')) : undefined;
  const change = (kind: ChangeKind, source: ChangeSource, displayNew: string): PlannedChange =>
    old === undefined
      ? { key, kind, source, noEcho, displayNew }
      : { key, kind, source, noEcho, displayOld: old, displayNew };
  switch (decision.kind) {
    case 'set':
      return change('set', decision.source, noEcho ? NEW_VALUE : decision.value);
    case 'keep':
      return change('keep', decision.source, noEcho ? UNCHANGED : (old ?? ''));
    case 'new-default':
      return change('new-default', 'default', noEcho ? DEFAULT_VALUE : (declaration.default ?? ''));
  }
}

function removedChanges(context: PlanContext): PlannedChange[] {
  const removedByMigration = new Set([...context.migrationRemoves, ...context.renames.map(({ from }) => from)]);
  return context.stackKeys
    .filter((key) => !context.declared.has(key))
    .map((key) => {
      const noEcho = context.secret(key);
      return {
        key,
        kind: 'removed',
        source: removedByMigration.has(key) ? 'migration' : 'template',
        noEcho,
        displayOld: noEcho ? MASK : (context.plainValues.get(key) ?? ''),
      };
    });
}

function refuse(key: string, kind: ProblemKind, message: string): Decision {
  return { kind: 'refuse', problems: [problem(key, kind, message)] };
}

function problem(key: string, kind: ProblemKind, message: string): ParameterProblem {
  return { key, kind, message };
}

function quote(text: string): string {
  return JSON.stringify(text);
}
