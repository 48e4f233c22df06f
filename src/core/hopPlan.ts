/**
 * The hops of an update, planned before anything is written (docs/architecture.md, "The upgrade path" and
 * "The parameter-safety layer"): for each hop the migrations it crosses and its parameter plan, made against
 * the stack as it will be after the hops before it. Pure: the caller reads the stack and the templates
 * (digests verified, contract checked) and passes the generator that draws new secrets.
 */
import type { Release } from './channels/catalog.js';
import {
  applyMigrations,
  migrationsCrossed,
  type Direction,
  type Migration,
  type MigrationEffect,
  type MigrationOptions,
  type ParamState,
} from './migrations.js';
import {
  planParameters,
  type CloudFormationParameter,
  type MigrationChanges,
  type PlannedChange,
  type StackParameter,
  type UnrecoverableParameter,
} from './parameterPlan.js';
import { MASK } from './redact.js';
import type { RackTemplate } from './template.js';

/** One hop as planned and shown. Holds no secret values. */
export interface HopPlan {
  from: string;
  to: string;
  notes: string;
  barrier: boolean;
  migrations: MigrationEffect[];
  /** The parameter plan as simulated from the stack before the path started (NoEcho masked). */
  parameters: PlannedChange[];
}

/** What a hop's write sends besides its template; the same inputs the planner checked. */
export interface HopChanges {
  userChanges: Record<string, string>;
  migrationChanges: MigrationChanges;
  unrecoverable: UnrecoverableParameter[];
}

/** A hop's release and its template, read and checked. */
export interface HopTemplate {
  release: Release;
  template: RackTemplate;
}

export interface HopsInput {
  /** The rack's version now. */
  from: string;
  /** The stack's parameters as DescribeStacks shows them. */
  stack: readonly StackParameter[];
  /** The NoEcho keys of the stack's current template (GetTemplateSummary). */
  noEchoKeys: readonly string[];
  /** The path's hops, ascending, with their templates. */
  hops: readonly HopTemplate[];
  /** Every migration of the source; each hop applies those it crosses. */
  migrations: readonly Migration[];
  /** --param values: each applies at the first hop whose template declares it. */
  params: Readonly<Record<string, string>>;
  generateSecret: MigrationOptions['generateSecret'];
}

export interface PlannedHops {
  hops: HopPlan[];
  /** One per hop, in the same order. */
  changes: HopChanges[];
  /** A migration that met a stack without the parameter it changes: shown, not refused. */
  warnings: string[];
  /** Every hop's parameter problems, each prefixed with the hop's version; the update is refused if any. */
  problems: string[];
}

/**
 * Plans every hop in turn. A --param applies at the first hop whose template declares it; one that no hop
 * declares goes to the last hop, where the planner names it unknown (with a suggestion). A key that is
 * NoEcho on the stack or in any template met so far stays secret for the rest of the path.
 */
export function planHops(input: HopsInput): PlannedHops {
  const hops: HopPlan[] = [];
  const changes: HopChanges[] = [];
  const warnings: string[] = [];
  const problems: string[] = [];
  const secretKeys = new Set(input.noEchoKeys);
  const pendingUser = new Map(Object.entries(input.params));
  let simulated: readonly StackParameter[] = input.stack;
  let version = input.from;

  for (const [index, { release, template }] of input.hops.entries()) {
    const declared = new Set(template.parameters.map((p) => p.key));
    for (const d of template.parameters) if (d.noEcho) secretKeys.add(d.key);

    const migration = migrateStack(
      simulated,
      secretKeys,
      migrationsCrossed(input.migrations, version, release.version),
      'forward',
      { generateSecret: input.generateSecret, supplied: input.params, noEcho: secretKeys },
    );
    const last = index === input.hops.length - 1;
    const userChanges: Record<string, string> = {};
    for (const [key, value] of pendingUser) {
      if (declared.has(key) || last) {
        userChanges[key] = value;
        pendingUser.delete(key);
      }
    }
    const planned = planParameters({
      declarations: template.parameters,
      stack: simulated,
      noEchoKeys: [...secretKeys],
      userChanges: { ...userChanges, Version: release.version },
      migrationChanges: migration.changes,
      unrecoverable: migration.unrecoverable,
    });
    if (planned.ok) simulated = simulateStack(template, simulated, planned.parameters);
    else problems.push(...planned.problems.map((p) => `${release.version}: ${p.message}`));
    // A hop that skips releases may cross a migration for a parameter the stack never had (1.0.0 → 1.2.0
    // renames LogRetention, which 1.1.0 introduced). The planner still checks the result in full, so
    // these are shown, not refused.
    warnings.push(...migration.mismatches.map((m) => `${release.version}: ${m}; the template's default applies`));
    hops.push({
      from: version,
      to: release.version,
      notes: release.notes,
      barrier: release.barrier,
      migrations: migration.effects,
      parameters: planned.ok ? planned.changes : [],
    });
    changes.push({ userChanges, migrationChanges: migration.changes, unrecoverable: migration.unrecoverable });
    version = release.version;
  }
  return { hops, changes, warnings, problems };
}

export interface StackMigration {
  /** Values the migrations set (only those that differ from the stack's) and keys they remove. */
  changes: MigrationChanges;
  effects: MigrationEffect[];
  /** NoEcho values the migrations need and cannot know: the planner refuses unless given with --param. */
  unrecoverable: UnrecoverableParameter[];
  /** Changes that met a stack without the parameter they change. */
  mismatches: string[];
}

/**
 * The migrations crossed (`crossed`, in the order `direction` applies them) applied to the stack's
 * parameters: a secret or a value the API did not give is only ever "keep what the stack has", never a
 * value. Used by an update's hops (forward) and by a rollback (backward).
 */
export function migrateStack(
  stack: readonly StackParameter[],
  secretKeys: ReadonlySet<string>,
  crossed: readonly Migration[],
  direction: Direction,
  options: MigrationOptions,
): StackMigration {
  const before: Record<string, ParamState> = {};
  for (const p of stack) {
    before[p.key] =
      secretKeys.has(p.key) || p.value === undefined ? { kind: 'previous' } : { kind: 'value', value: p.value };
  }
  const result = applyMigrations(before, crossed, direction, options);
  const set: Record<string, string> = {};
  for (const [key, state] of Object.entries(result.params)) {
    const old = before[key];
    if (state.kind === 'value' && (old?.kind !== 'value' || old.value !== state.value)) set[key] = state.value;
  }
  const remove = Object.keys(before).filter((key) => !(key in result.params));
  return {
    changes: { set, remove },
    effects: result.effects,
    unrecoverable: result.problems
      .filter((p) => p.reason === 'unrecoverable')
      .map((p) => ({ key: p.key, reason: p.message })),
    mismatches: result.problems.filter((p) => p.reason === 'mismatch').map((p) => p.message),
  };
}

/**
 * The stack's parameters as they will be after a hop that sends `parameters`: the template's keys, each
 * with the value sent, the previous value, or the default; a secret only ever as the mask, as
 * DescribeStacks would show it.
 */
export function simulateStack(
  template: RackTemplate,
  before: readonly StackParameter[],
  parameters: readonly CloudFormationParameter[],
): StackParameter[] {
  const previous = new Map(before.map((p) => [p.key, p.value]));
  const sent = new Map(parameters.map((p) => [p.ParameterKey, p]));
  return template.parameters.map((d) => {
    const p = sent.get(d.key);
    if (!p) return { key: d.key, value: d.default };
    if ('UsePreviousValue' in p) return { key: d.key, value: previous.get(d.key) };
    return { key: d.key, value: d.noEcho ? MASK : p.ParameterValue };
  });
}
