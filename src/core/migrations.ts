import { isRackError, refused } from '../errors.js';
import type { Catalog } from './channels/catalog.js';
import { formatProblem, readYamlFile, type FileProblem, type YamlFile } from './channels/yamlFile.js';
import { migrationFileSchema, type GenerateSpec, type MigrationChange, type MigrationFile } from './schemas.js';
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
  /** Where it was read from, e.g. "migrations/1.4.0.yaml", for messages. */
  file?: string;
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
export type ValueSource = 'stack' | 'migration' | 'restore' | 'generated' | 'supplied' | 'unknown';

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
  return { version, changes, file };
}

/**
 * Every migration of a source, checked against its catalog: each is for a release of the catalog, and no
 * release has two. Every problem of every file is reported in one refusal.
 */
export function parseMigrations(files: readonly { file: string; text: string }[], catalog: Catalog): Migration[] {
  const problems: string[] = [];
  const byVersion = new Map<string, string>();
  const migrations: Migration[] = [];
  for (const { file, text } of files) {
    let read: YamlFile<MigrationFile>;
    try {
      read = readMigrationFile(text, file);
    } catch (error) {
      if (!isRackError(error) || error.kind !== 'refused') throw error;
      problems.push(...(error.problems.length > 0 ? error.problems : [error.message]));
      continue;
    }
    const { version, changes } = read.value;
    const other = byVersion.get(version);
    if (other) problems.push(`${read.where(['version'])}: version: ${other} is also the migration for ${version}`);
    else if (!catalog.get(version))
      problems.push(`${read.where(['version'])}: version: ${version} is not a release of the catalog`);
    byVersion.set(version, other ?? file);
    migrations.push({ version, changes, file });
  }
  if (problems.length > 0) {
    throw refused('The migrations are not valid.', {
      problems,
      untouched: 'Nothing was changed.',
      next: 'Fix the files listed; `rack channel verify` checks them again.',
      details: { reason: 'invalid-source' },
    });
  }
  return migrations.sort((a, b) => compareVersions(a.version, b.version));
}

/** A migration lives in `migrations/<version>.yaml`, so the file that applies is found by name alone. */
function migrationProblems(migration: MigrationFile, file: string): FileProblem[] {
  const fileName = file
    .split(/[\\/]/)
    .pop()!
    .replace(/\.ya?ml$/, '');
  return fileName === migration.version
    ? []
    : [
        {
          path: ['version'],
          message: `the migration for ${migration.version} must be in a file named ${migration.version}.yaml`,
        },
      ];
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
 *
 * A value that cannot be known (a NoEcho parameter renamed, a removed parameter put back without a value)
 * is a problem only if it is still needed at the end: a later change may set the key, remove it, or take a
 * supplied value, and the problem names the key the user can actually give (--param), the final one.
 */
export function applyMigrations(
  params: Readonly<Record<string, ParamState>>,
  migrations: readonly Migration[],
  direction: Direction,
  options: MigrationOptions,
): MigrationResult {
  const ordered = [...migrations].sort((x, y) => compareVersions(x.version, y.version));
  if (options.noEcho) refuseSecretLiterals(ordered, options.noEcho);
  if (direction === 'backward') ordered.reverse();
  const state = new Map<string, WorkingState>(Object.entries(params));
  const effects: MigrationEffect[] = [];
  const problems: MigrationProblem[] = [];
  for (const migration of ordered) {
    const step = new Step(state, migration.version, direction, options, effects, problems);
    const changes = direction === 'forward' ? migration.changes : [...migration.changes].reverse();
    for (const change of changes) {
      if (direction === 'forward') step.forward(change);
      else step.backward(change);
    }
  }
  const result: Record<string, ParamState> = {};
  for (const [key, current] of state) {
    if (current.kind !== 'lost') result[key] = current;
    else if (current.cause !== null) {
      problems.push({
        version: current.version,
        key,
        reason: 'unrecoverable',
        message: `${key} needs a value: ${current.cause}; give it with --param ${key}=<value>`,
      });
    }
  }
  return { params: result, effects, problems };
}

// ---- secrets written in a migration ----

/**
 * Where a migration writes a literal value to a NoEcho parameter: an `add` with a value, or a `set` (whose
 * value and inverse are both literals). A value written in a channels source is published to everyone who
 * can read it, so it is no secret: a secret is generated (`add … generate`), kept (UsePreviousValue), or
 * given by the operator with --param.
 */
export function secretLiteralProblems(changes: readonly MigrationChange[], noEcho: ReadonlySet<string>): FileProblem[] {
  const problems: FileProblem[] = [];
  changes.forEach((change, index) => {
    if (change.kind === 'add' && change.value !== undefined && noEcho.has(change.key)) {
      problems.push({
        path: ['changes', index, 'add', 'value'],
        message: `a literal value for the NoEcho parameter ${change.key} publishes the secret; use generate (a secret drawn for each rack), or leave ${change.key} out so that each rack gives it with --param`,
      });
    }
    if (change.kind === 'set' && noEcho.has(change.key)) {
      problems.push({
        path: ['changes', index, 'set'],
        message: `sets the NoEcho parameter ${change.key} to a literal value (and back, with inverse), which publishes the secret; a secret is generated, kept, or given with --param`,
      });
    }
  });
  return problems;
}

/** Refuses (exit 3) migrations that would write a published value to a secret, whatever --param says. */
function refuseSecretLiterals(migrations: readonly Migration[], noEcho: ReadonlySet<string>): void {
  const problems = migrations.flatMap((migration) =>
    secretLiteralProblems(migration.changes, noEcho).map((problem) =>
      formatProblem(problem, () => migration.file ?? `migrations/${migration.version}.yaml`),
    ),
  );
  if (problems.length === 0) return;
  throw refused('A migration on the way writes a value published in the channels source to a NoEcho parameter.', {
    problems,
    untouched: 'Nothing was written to the stack.',
    next: 'Ask the channel maintainers to fix the migration (generate the secret, or leave it to --param) and to rotate the published secret; `rack channel verify` lists these.',
    details: { reason: 'secret-in-migration' },
  });
}

// ---- digests of migrations in the catalog ----

/**
 * Migrations checked against the `migration.sha256` of their releases in the catalog, for a source whose
 * migrations no signed manifest covers: each migration of a release has its digest there and matches it,
 * and no release with a digest has lost its migration (deleting 1.4.0's would skip the secret it adds).
 * `files` are the migration files with their digests; files for versions the catalog lacks are reported
 * elsewhere.
 */
export function migrationDigestProblems(
  files: readonly { file: string; sha256: string }[],
  catalog: Catalog,
): string[] {
  const problems: string[] = [];
  const versions = new Set<string>();
  for (const { file, sha256 } of files) {
    const version = file
      .split('/')
      .pop()!
      .replace(/\.ya?ml$/, '');
    const release = catalog.get(version);
    if (!release) continue;
    versions.add(version);
    if (!release.migration) {
      problems.push(
        `${file}: the catalog gives no sha256 for it, so nothing shows it is the migration that was published; add \`migration: { sha256: ${sha256} }\` to release ${version} in the catalog (or sign the channels)`,
      );
    } else if (release.migration.sha256 !== sha256) {
      problems.push(
        `${file}: sha256 is ${sha256}, the catalog says ${release.migration.sha256} (changed after it was published)`,
      );
    }
  }
  for (const release of catalog.releases) {
    if (release.migration && !versions.has(release.version)) {
      problems.push(
        `migrations/${release.version}.yaml: missing, though the catalog gives the sha256 of release ${release.version}'s migration (deleted after it was published)`,
      );
    }
  }
  return problems;
}

/**
 * While applying: a value that is needed but nobody knows, and why, until something gives the key a value.
 * A null cause is a value lost to a mismatch, which is reported already.
 */
type WorkingState = ParamState | { kind: 'lost'; version: string; cause: string | null };

/** The changes of one migration applied to the parameters, in the words of the plan. */
class Step {
  constructor(
    private readonly state: Map<string, WorkingState>,
    private readonly version: string,
    private readonly direction: Direction,
    private readonly options: MigrationOptions,
    private readonly effects: MigrationEffect[],
    private readonly problems: MigrationProblem[],
  ) {}

  forward(change: MigrationChange): void {
    switch (change.kind) {
      case 'rename':
        this.rename(change.from, change.to);
        break;
      case 'add':
        if (change.generate) {
          const spec = change.generate;
          this.add(change.key, () => this.options.generateSecret(spec, change.key), 'generated');
        } else {
          this.add(change.key, () => change.value, 'migration');
        }
        break;
      case 'remove':
        this.remove(change.key);
        break;
      case 'set':
        this.set(change.key, change.value);
        break;
    }
  }

  /** The inverse of each change: rename back, remove what was added, add back what was removed, set back. */
  backward(change: MigrationChange): void {
    switch (change.kind) {
      case 'rename':
        this.rename(change.to, change.from);
        break;
      case 'add':
        this.remove(change.key);
        break;
      case 'remove':
        this.restore(change.key, change.restore);
        break;
      case 'set':
        this.set(change.key, change.inverse);
        break;
    }
  }

  /** A value survives a rename only if it is known: UsePreviousValue cannot follow a parameter to a new name. */
  private rename(from: string, to: string): void {
    const current = this.state.get(from);
    if (!current) this.mismatch(from, `expects the parameter ${from}, which the stack does not have`);
    if (this.state.has(to)) this.mismatch(to, `renames ${from} to ${to}, but the stack already has ${to}`);
    this.state.delete(from);
    const effect = { kind: 'rename', from } as const;
    const supplied = this.options.supplied?.[to];
    if (supplied !== undefined) {
      this.give(to, supplied, 'supplied', effect);
      return;
    }
    if (current?.kind === 'value') {
      this.give(to, current.value, 'stack', effect);
      return;
    }
    this.effects.push({ version: this.version, ...effect, key: to, valueFrom: 'unknown' });
    if (current?.kind === 'lost') this.state.set(to, current);
    else if (!current) this.lose(to, null);
    else this.lose(to, `${this.step()} renames ${from} to ${to}, and the value of ${from} is not known (NoEcho)`);
  }

  private add(key: string, value: () => string, source: ValueSource): void {
    if (this.state.has(key)) this.mismatch(key, `adds ${key}, which the stack already has`);
    const supplied = this.options.supplied?.[key];
    // A secret is drawn only when it is going to be used.
    this.give(key, supplied ?? value(), supplied === undefined ? source : 'supplied', { kind: 'add' });
  }

  private remove(key: string): void {
    if (!this.state.has(key)) this.mismatch(key, `removes ${key}, which the stack does not have`);
    this.state.delete(key);
    this.effects.push({ version: this.version, kind: 'remove', key });
  }

  /** Adds back a removed parameter; a published `restore` never stands in for a secret's old value. */
  private restore(key: string, restore: string | undefined): void {
    if (this.state.has(key)) this.mismatch(key, `puts back ${key}, which the stack already has`);
    const supplied = this.options.supplied?.[key];
    if (supplied !== undefined) {
      this.give(key, supplied, 'supplied', { kind: 'add' });
      return;
    }
    if (restore !== undefined && !this.options.noEcho?.has(key)) {
      this.give(key, restore, 'restore', { kind: 'add' });
      return;
    }
    this.effects.push({ version: this.version, kind: 'add', key, valueFrom: 'unknown' });
    this.lose(key, `${this.step()} puts back ${key}, whose old value cannot be recovered`);
  }

  private set(key: string, value: string): void {
    if (!this.state.has(key)) this.mismatch(key, `sets ${key}, which the stack does not have`);
    const supplied = this.options.supplied?.[key];
    this.give(key, supplied ?? value, supplied === undefined ? 'migration' : 'supplied', { kind: 'set' });
  }

  private give(
    key: string,
    value: string,
    valueFrom: ValueSource,
    effect: { kind: 'rename'; from: string } | { kind: 'add' | 'set' },
  ): void {
    this.state.set(key, { kind: 'value', value });
    this.effects.push({ version: this.version, ...effect, key, valueFrom });
  }

  private lose(key: string, cause: string | null): void {
    this.state.set(key, { kind: 'lost', version: this.version, cause });
  }

  private mismatch(key: string, what: string): void {
    this.problems.push({ version: this.version, key, reason: 'mismatch', message: `${this.step()} ${what}` });
  }

  private step(): string {
    return this.direction === 'forward' ? `migration ${this.version}` : `undoing migration ${this.version}`;
  }
}
