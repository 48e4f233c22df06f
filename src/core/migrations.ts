import { migrationFileSchema, type GenerateSpec, type MigrationChange, type MigrationFile } from './schemas.js';
import { readYamlFile, type FileProblem, type YamlFile } from './channels/yamlFile.js';
import { compareVersions } from './versions.js';

/**
 * Migrations: the parameter changes a release needs, applied when a rack crosses it, and undone (newest
 * first, each change's inverse) when a rollback crosses it back. The transformation works on what is known
 * about the stack's parameters rather than on values: a NoEcho value is never known, only "keep what the
 * stack has" (UsePreviousValue), and that only works while the parameter keeps its name.
 */

export interface Migration {
  version: string;
  changes: readonly MigrationChange[];
}

/** What is known about one stack parameter. */
export type ParamState =
  | { kind: 'value'; value: string }
  /** Keep the stack's value under this same key; the value itself is not known (e.g. NoEcho). */
  | { kind: 'previous' };

export type Direction = 'forward' | 'backward';

export interface MigrationOptions {
  /** Draws a secret for `add … generate`; given by the caller so this stays pure and testable. */
  generateSecret: (spec: GenerateSpec, key: string) => string;
  /**
   * Values the user gave (--param), keyed by the name a parameter has after the change. They win whenever a
   * change gives a key a value, and are the only way to recover a value the migrations cannot know.
   */
  supplied?: Readonly<Record<string, string>>;
  /** NoEcho keys of the template being moved to: a removed secret is never restored from a published `restore`. */
  noEcho?: ReadonlySet<string>;
}

/** Where the value a change gave came from; values themselves are never part of an effect, as they may be secret. */
export type ValueSource = 'stack' | 'migration' | 'restore' | 'generated' | 'supplied';

/** One change as it was applied (for backward, the inverse actually applied), for the plan to show. */
export type MigrationEffect =
  | { version: string; kind: 'rename'; from: string; key: string; valueFrom: ValueSource }
  | { version: string; kind: 'add' | 'set'; key: string; valueFrom: ValueSource }
  | { version: string; kind: 'remove'; key: string };

export interface MigrationProblem {
  version: string;
  key: string;
  /** unrecoverable: a value is needed and nobody knows it; mismatch: the stack is not what the migration expects. */
  reason: 'unrecoverable' | 'mismatch';
  message: string;
}

export interface MigrationResult {
  /** The parameters after the migrations; meaningful only when there are no problems. */
  params: Record<string, ParamState>;
  effects: MigrationEffect[];
  problems: MigrationProblem[];
}

export function readMigrationFile(text: string, file: string): YamlFile<MigrationFile> {
  return readYamlFile(text, file, {
    noun: 'migration',
    schema: migrationFileSchema,
    check: (migration) => migrationProblems(migration, file),
  });
}

export function parseMigration(text: string, file: string): Migration {
  const { version, changes } = readMigrationFile(text, file).value;
  return { version, changes };
}

/** A migration lives in `migrations/<version>.yaml`, so the file that applies is found by name alone. */
function migrationProblems(migration: MigrationFile, file: string): FileProblem[] {
  const fileName = file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/, '');
  return fileName === migration.version ? [] : [{
    path: ['version'],
    message: `the migration for ${migration.version} must be in a file named ${migration.version}.yaml`,
  }];
}

/**
 * The migrations a move between two versions crosses, in either direction: those of the releases in
 * (older, newer], ascending. A hop from 1.1.0 to 1.3.0 applies 1.2.0's and 1.3.0's; a rollback from 1.3.0
 * to 1.1.0 undoes the same two.
 */
export function migrationsCrossed(migrations: readonly Migration[], a: string, b: string): Migration[] {
  const [older, newer] = compareVersions(a, b) <= 0 ? [a, b] : [b, a];
  return migrations
    .filter((m) => compareVersions(m.version, older) > 0 && compareVersions(m.version, newer) <= 0)
    .sort((x, y) => compareVersions(x.version, y.version));
}

/**
 * Applies migrations to a rack's parameters: forward in version order, or backward applying each change's
 * inverse, newest migration and last change first. Every problem is reported, not only the first.
 */
export function applyMigrations(
  params: Readonly<Record<string, ParamState>>,
  migrations: readonly Migration[],
  direction: Direction,
  options: MigrationOptions,
): MigrationResult {
  const ordered = [...migrations].sort((x, y) => compareVersions(x.version, y.version));
  if (direction === 'backward') ordered.reverse();
  const state = new Map(Object.entries(params));
  const result: MigrationResult = { params: {}, effects: [], problems: [] };
  for (const migration of ordered) {
    const changes = direction === 'forward' ? migration.changes : [...migration.changes].reverse();
    for (const change of changes) {
      const step = new Step(state, migration.version, direction, options, result);
      if (direction === 'forward') step.forward(change);
      else step.backward(change);
    }
  }
  result.params = Object.fromEntries(state);
  return result;
}

/** One change applied to the parameters, in the words of the plan. */
class Step {
  constructor(
    private readonly state: Map<string, ParamState>,
    private readonly version: string,
    private readonly direction: Direction,
    private readonly options: MigrationOptions,
    private readonly result: MigrationResult,
  ) {}

  forward(change: MigrationChange): void {
    switch (change.kind) {
      case 'rename': return this.rename(change.from, change.to);
      case 'add': return change.generate
        ? this.add(change.key, this.options.generateSecret(change.generate, change.key), 'generated')
        : this.add(change.key, change.value, 'migration');
      case 'remove': return this.remove(change.key);
      case 'set': return this.set(change.key, change.value);
    }
  }

  /** The inverse of each change: rename back, remove what was added, add back what was removed, set back. */
  backward(change: MigrationChange): void {
    switch (change.kind) {
      case 'rename': return this.rename(change.to, change.from);
      case 'add': return this.remove(change.key);
      case 'remove': return this.restore(change.key, change.restore);
      case 'set': return this.set(change.key, change.inverse);
    }
  }

  /** A value survives a rename only if it is known: UsePreviousValue cannot follow a parameter to a new name. */
  private rename(from: string, to: string): void {
    const current = this.state.get(from);
    if (!current) this.mismatch(from, `expects the parameter ${from}, which the stack does not have`);
    if (this.state.has(to)) this.mismatch(to, `renames ${from} to ${to}, but the stack already has ${to}`);
    this.state.delete(from);
    const supplied = this.options.supplied?.[to];
    if (supplied !== undefined) return this.give(to, supplied, 'supplied', { kind: 'rename', from });
    if (current?.kind === 'value') return this.give(to, current.value, 'stack', { kind: 'rename', from });
    if (current) {
      this.problem(to, 'unrecoverable',
        `renames ${from} to ${to}, and the value of ${from} is not known (NoEcho); give it with --param ${to}=<value>`);
    }
    // Carry on as if it were known, so that later changes to the same key report their own problems only.
    this.state.set(to, { kind: 'previous' });
  }

  private add(key: string, value: string, source: ValueSource): void {
    if (this.state.has(key)) this.mismatch(key, `adds ${key}, which the stack already has`);
    const supplied = this.options.supplied?.[key];
    if (supplied !== undefined) return this.give(key, supplied, 'supplied', { kind: 'add' });
    this.give(key, value, source, { kind: 'add' });
  }

  private remove(key: string): void {
    if (!this.state.has(key)) this.mismatch(key, `removes ${key}, which the stack does not have`);
    this.state.delete(key);
    this.result.effects.push({ version: this.version, kind: 'remove', key });
  }

  /** Adds back a removed parameter; a published `restore` never stands in for a secret's old value. */
  private restore(key: string, restore: string | undefined): void {
    if (this.state.has(key)) this.mismatch(key, `puts back ${key}, which the stack already has`);
    const supplied = this.options.supplied?.[key];
    if (supplied !== undefined) return this.give(key, supplied, 'supplied', { kind: 'add' });
    if (restore !== undefined && !this.options.noEcho?.has(key)) return this.give(key, restore, 'restore', { kind: 'add' });
    this.problem(key, 'unrecoverable', `it removed ${key}, whose old value cannot be recovered; give it with --param ${key}=<value>`);
    this.state.set(key, { kind: 'previous' });
  }

  private set(key: string, value: string): void {
    if (!this.state.has(key)) this.mismatch(key, `sets ${key}, which the stack does not have`);
    const supplied = this.options.supplied?.[key];
    this.give(key, supplied ?? value, supplied === undefined ? 'migration' : 'supplied', { kind: 'set' });
  }

  private give(
    key: string, value: string, valueFrom: ValueSource,
    effect: { kind: 'rename'; from: string } | { kind: 'add' | 'set' },
  ): void {
    this.state.set(key, { kind: 'value', value });
    this.result.effects.push({ version: this.version, ...effect, key, valueFrom });
  }

  private mismatch(key: string, what: string): void {
    this.problem(key, 'mismatch', what);
  }

  private problem(key: string, reason: MigrationProblem['reason'], text: string): void {
    const step = this.direction === 'forward' ? `migration ${this.version}` : `undoing migration ${this.version}`;
    this.result.problems.push({ version: this.version, key, reason, message: `${step}: ${text}` });
  }
}
