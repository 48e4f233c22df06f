import { describe, expect, it } from 'vitest';
import { parseMigration, parseMigrations, readMigrationFile } from '../../../src/core/migrations.js';
import { catalogOf, errorOf, release } from '../channels/fixtures.js';

const MIGRATION = `schema: 1
version: 1.3.0
changes:
  - rename: {from: DatabasePassword, to: DbPassword}
  - add: {key: InstanceType, value: t3.small}
  - add:
      key: ApiSecret
      generate: {bytes: 32}
  - add: {key: Pin, generate: {alphabet: "0123456789"}}
  - remove: {key: LegacyFlag, restore: {value: "off"}}
  - remove: {key: OldToken}
  - set: {key: LogLevel, value: info, inverse: {value: debug}}
`;

const problemsOf = (text: string, file = 'migrations/1.3.0.yaml') => errorOf(() => parseMigration(text, file)).problems;

describe('a migration file', () => {
  it('reads each change with its inverse', () => {
    expect(parseMigration(MIGRATION, 'migrations/1.3.0.yaml')).toEqual({
      version: '1.3.0',
      changes: [
        { kind: 'rename', from: 'DatabasePassword', to: 'DbPassword' },
        { kind: 'add', key: 'InstanceType', value: 't3.small' },
        { kind: 'add', key: 'ApiSecret', generate: { bytes: 32 } },
        { kind: 'add', key: 'Pin', generate: { bytes: 24, alphabet: '0123456789' } },
        { kind: 'remove', key: 'LegacyFlag', restore: 'off' },
        { kind: 'remove', key: 'OldToken', restore: undefined },
        { kind: 'set', key: 'LogLevel', value: 'info', inverse: 'debug' },
      ],
      file: 'migrations/1.3.0.yaml',
    });
  });

  it('keeps the document for editing', () => {
    expect(readMigrationFile(MIGRATION, 'migrations/1.3.0.yaml').document.getIn(['changes', 0, 'rename', 'to'])).toBe(
      'DbPassword',
    );
  });

  it('refuses a set without an inverse', () => {
    const error = errorOf(() =>
      parseMigration('schema: 1\nversion: 1.3.0\nchanges:\n  - set: {key: A, value: x}\n', 'migrations/1.3.0.yaml'),
    );
    expect(error.message).toBe('migrations/1.3.0.yaml is not a valid migration.');
    expect(error.exitCode).toBe(3);
    expect(error.problems).toEqual([
      'migrations/1.3.0.yaml:4: changes[0].set.inverse: missing: a set states the value rollback restores, e.g. inverse: { value: "old" }',
    ]);
  });

  it('names file, line and path of each malformed change', () => {
    expect(
      problemsOf(`schema: 1
version: 1.3.0
changes:
  - add: {key: B}
  - add: {key: B, value: x, generate: {}}
  - rename: {from: C, to: C}
  - remove: {key: Version}
  - rename: {from: Key, to: SshKey}
  - add: {key: D, value: 3}
  - {}
  - rename: {from: A, to: B}
    remove: {key: C}
  - bogus: 1
  - remove: {key: "has space"}
  - add: {key: E, generate: {bytes: 4, alphabet: "aa"}}
`),
    ).toEqual([
      'migrations/1.3.0.yaml:4: changes[0].add: an add needs exactly one of value or generate',
      'migrations/1.3.0.yaml:5: changes[1].add: an add needs exactly one of value or generate',
      'migrations/1.3.0.yaml:6: changes[2].rename: a rename needs two different names',
      'migrations/1.3.0.yaml:7: changes[3].remove.key: Version is managed by rack itself and cannot be migrated',
      'migrations/1.3.0.yaml:8: changes[4].rename.from: Key is managed by rack itself and cannot be migrated',
      'migrations/1.3.0.yaml:9: changes[5].add.value: expected a string, got 3 (quote it: parameter values are text)',
      'migrations/1.3.0.yaml:10: changes[6]: expected exactly one of rename, add, remove, set',
      'migrations/1.3.0.yaml:11: changes[7]: expected exactly one of rename, add, remove, set',
      'migrations/1.3.0.yaml:13: changes[8].bogus: unknown field',
      'migrations/1.3.0.yaml:14: changes[9].remove.key: expected a parameter name (letters and digits), got "has space"',
      'migrations/1.3.0.yaml:15: changes[10].add.generate.bytes: expected at least 16',
      'migrations/1.3.0.yaml:15: changes[10].add.generate.alphabet: expected an alphabet without repeated characters',
    ]);
  });

  it('needs at least one change and is named after its version', () => {
    expect(problemsOf('schema: 1\nversion: 1.3.0\nchanges: []\n')).toEqual([
      'migrations/1.3.0.yaml:3: changes: expected at least one change',
    ]);
    expect(problemsOf(MIGRATION, 'migrations/1.3.1.yaml')).toEqual([
      'migrations/1.3.1.yaml:2: version: the migration for 1.3.0 must be in a file named 1.3.0.yaml',
    ]);
  });
});

describe('the migrations of a source', () => {
  const catalog = catalogOf(release('1.2.0'), release('1.3.0'), release('1.10.0'));
  const file = (version: string, name = `${version}.yaml`) => ({
    file: `migrations/${name}`,
    text: `schema: 1\nversion: ${version}\nchanges:\n  - add: {key: A${version.replaceAll('.', '')}, value: x}\n`,
  });

  it('are read in version order', () => {
    expect(parseMigrations([file('1.10.0'), file('1.2.0'), file('1.3.0')], catalog).map((m) => m.version)).toEqual([
      '1.2.0',
      '1.3.0',
      '1.10.0',
    ]);
  });

  it('each belong to a release of the catalog, one per release, and every problem is reported at once', () => {
    const error = errorOf(() =>
      parseMigrations(
        [
          file('1.2.0'),
          file('1.4.0'),
          file('1.2.0', '1.2.0.yml'),
          { file: 'migrations/1.3.0.yaml', text: 'schema: 1\nversion: 1.3.0\nchanges: []\n' },
        ],
        catalog,
      ),
    );
    expect(error.message).toBe('The migrations are not valid.');
    expect(error.exitCode).toBe(3);
    expect(error.problems).toEqual([
      'migrations/1.4.0.yaml:2: version: 1.4.0 is not a release of the catalog',
      'migrations/1.2.0.yml:2: version: migrations/1.2.0.yaml is also the migration for 1.2.0',
      'migrations/1.3.0.yaml:3: changes: expected at least one change',
    ]);
  });
});
