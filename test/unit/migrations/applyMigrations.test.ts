import { describe, expect, it } from 'vitest';
import {
  applyMigrations,
  migrationsCrossed,
  type Migration,
  type MigrationOptions,
  type ParamState,
} from '../../../src/core/migrations.js';

const value = (text: string): ParamState => ({ kind: 'value', value: text });
const previous: ParamState = { kind: 'previous' };
const options: MigrationOptions = { generateSecret: (spec, key) => `secret-for-${key}-${spec.bytes}` };

const migration = (version: string, ...changes: Migration['changes']): Migration => ({ version, changes });

describe('applying migrations forward', () => {
  it('renames a parameter with a known value, carrying the value', () => {
    const result = applyMigrations(
      { DbHost: value('db.local') },
      [migration('1.1.0', { kind: 'rename', from: 'DbHost', to: 'DatabaseHost' })],
      'forward',
      options,
    );
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ DatabaseHost: value('db.local') });
    expect(result.effects).toEqual([
      { version: '1.1.0', kind: 'rename', from: 'DbHost', key: 'DatabaseHost', valueFrom: 'stack' },
    ]);
  });

  it('refuses to rename a NoEcho parameter whose value is not known: UsePreviousValue cannot follow a new name', () => {
    const result = applyMigrations(
      { Password: previous },
      [migration('1.1.0', { kind: 'rename', from: 'Password', to: 'DbPassword' })],
      'forward',
      options,
    );
    expect(result.problems).toEqual([
      {
        version: '1.1.0',
        key: 'DbPassword',
        reason: 'unrecoverable',
        message:
          'DbPassword needs a value: migration 1.1.0 renames Password to DbPassword, and the value of Password is not known (NoEcho); give it with --param DbPassword=<value>',
      },
    ]);
  });

  it('renames a NoEcho parameter when the user supplies the value under its new name', () => {
    const result = applyMigrations(
      { Password: previous },
      [migration('1.1.0', { kind: 'rename', from: 'Password', to: 'DbPassword' })],
      'forward',
      { ...options, supplied: { DbPassword: 's3cret' } },
    );
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ DbPassword: value('s3cret') });
    expect(result.effects[0]).toMatchObject({ valueFrom: 'supplied' });
  });

  it('adds a parameter with a literal value, or the value the user supplies', () => {
    const add = migration('1.1.0', { kind: 'add', key: 'LogLevel', value: 'info' });
    expect(applyMigrations({}, [add], 'forward', options).params).toEqual({ LogLevel: value('info') });
    expect(applyMigrations({}, [add], 'forward', { ...options, supplied: { LogLevel: 'debug' } }).params).toEqual({
      LogLevel: value('debug'),
    });
  });

  it('adds a generated secret, asking the caller to draw it, and marks it generated', () => {
    const calls: unknown[] = [];
    const result = applyMigrations(
      {},
      [migration('1.1.0', { kind: 'add', key: 'ApiSecret', generate: { bytes: 32 } })],
      'forward',
      {
        generateSecret: (spec, key) => {
          calls.push([spec, key]);
          return 'drawn';
        },
      },
    );
    expect(calls).toEqual([[{ bytes: 32 }, 'ApiSecret']]);
    expect(result.params).toEqual({ ApiSecret: value('drawn') });
    expect(result.effects).toEqual([{ version: '1.1.0', kind: 'add', key: 'ApiSecret', valueFrom: 'generated' }]);
  });

  it('never puts a value into an effect, since it may be a secret', () => {
    const result = applyMigrations(
      { A: value('plain') },
      [
        migration(
          '1.1.0',
          { kind: 'add', key: 'S', generate: { bytes: 24 } },
          { kind: 'rename', from: 'A', to: 'B' },
          { kind: 'set', key: 'B', value: 'x', inverse: 'plain' },
        ),
      ],
      'forward',
      options,
    );
    expect(JSON.stringify(result.effects)).not.toMatch(/secret-for|plain|"x"/);
  });

  it('removes a parameter and sets one', () => {
    const result = applyMigrations(
      { Old: previous, Level: value('debug'), Kept: previous },
      [
        migration(
          '1.1.0',
          { kind: 'remove', key: 'Old' },
          { kind: 'set', key: 'Level', value: 'info', inverse: 'debug' },
        ),
      ],
      'forward',
      options,
    );
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ Level: value('info'), Kept: previous });
    expect(result.effects.map((e) => e.kind)).toEqual(['remove', 'set']);
  });

  it('sets a NoEcho parameter without needing its old value', () => {
    expect(
      applyMigrations(
        { Token: previous },
        [migration('1.1.0', { kind: 'set', key: 'Token', value: 'new', inverse: 'old' })],
        'forward',
        options,
      ).params,
    ).toEqual({ Token: value('new') });
  });

  it('applies migrations in version order, whatever order they are given in', () => {
    const result = applyMigrations(
      { A: value('1') },
      [
        migration('1.10.0', { kind: 'rename', from: 'B', to: 'C' }),
        migration('1.9.0', { kind: 'rename', from: 'A', to: 'B' }),
      ],
      'forward',
      options,
    );
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ C: value('1') });
  });

  it('applies the changes of one migration in order', () => {
    const result = applyMigrations(
      { A: value('1') },
      [migration('1.1.0', { kind: 'rename', from: 'A', to: 'B' }, { kind: 'add', key: 'A', value: 'fresh' })],
      'forward',
      options,
    );
    expect(result.params).toEqual({ B: value('1'), A: value('fresh') });
  });

  it('reports a stack that is not what the migration expects, every problem at once', () => {
    const result = applyMigrations(
      { Present: value('x'), Taken: value('y') },
      [
        migration(
          '1.1.0',
          { kind: 'rename', from: 'Missing', to: 'Other' },
          { kind: 'rename', from: 'Present', to: 'Taken' },
          { kind: 'add', key: 'Taken', value: 'z' },
          { kind: 'remove', key: 'Gone' },
          { kind: 'set', key: 'Nowhere', value: 'a', inverse: 'b' },
        ),
      ],
      'forward',
      options,
    );
    expect(result.problems.map((p) => [p.key, p.reason, p.message])).toEqual([
      ['Missing', 'mismatch', 'migration 1.1.0 expects the parameter Missing, which the stack does not have'],
      ['Taken', 'mismatch', 'migration 1.1.0 renames Present to Taken, but the stack already has Taken'],
      ['Taken', 'mismatch', 'migration 1.1.0 adds Taken, which the stack already has'],
      ['Gone', 'mismatch', 'migration 1.1.0 removes Gone, which the stack does not have'],
      ['Nowhere', 'mismatch', 'migration 1.1.0 sets Nowhere, which the stack does not have'],
    ]);
  });

  it('does not change the parameters it is given', () => {
    const params = { A: value('1') };
    applyMigrations(params, [migration('1.1.0', { kind: 'rename', from: 'A', to: 'B' })], 'forward', options);
    expect(params).toEqual({ A: value('1') });
  });
});

describe('applying migrations backward (rollback)', () => {
  it('applies the inverse of each change, newest migration and last change first', () => {
    const migrations = [
      migration('1.1.0', { kind: 'rename', from: 'A', to: 'B' }),
      migration('1.2.0', { kind: 'rename', from: 'B', to: 'C' }, { kind: 'add', key: 'B', value: 'new' }),
    ];
    const result = applyMigrations({ C: value('1'), B: value('new') }, migrations, 'backward', options);
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ A: value('1') });
    expect(result.effects).toEqual([
      { version: '1.2.0', kind: 'remove', key: 'B' },
      { version: '1.2.0', kind: 'rename', from: 'C', key: 'B', valueFrom: 'stack' },
      { version: '1.1.0', kind: 'rename', from: 'B', key: 'A', valueFrom: 'stack' },
    ]);
  });

  it('removes what was added, generated secrets included', () => {
    const result = applyMigrations(
      { ApiSecret: previous, Kept: previous },
      [migration('1.1.0', { kind: 'add', key: 'ApiSecret', generate: { bytes: 24 } })],
      'backward',
      options,
    );
    expect(result.params).toEqual({ Kept: previous });
  });

  it('sets back the stated inverse value', () => {
    const result = applyMigrations(
      { Level: value('info') },
      [migration('1.1.0', { kind: 'set', key: 'Level', value: 'info', inverse: 'debug' })],
      'backward',
      options,
    );
    expect(result.params).toEqual({ Level: value('debug') });
  });

  it('puts back a removed parameter with its published restore value', () => {
    const result = applyMigrations(
      {},
      [migration('1.1.0', { kind: 'remove', key: 'Flag', restore: 'off' })],
      'backward',
      options,
    );
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ Flag: value('off') });
    expect(result.effects).toEqual([{ version: '1.1.0', kind: 'add', key: 'Flag', valueFrom: 'restore' }]);
  });

  it('prefers the value the user supplies to the restore value', () => {
    const result = applyMigrations(
      {},
      [migration('1.1.0', { kind: 'remove', key: 'Flag', restore: 'off' })],
      'backward',
      { ...options, supplied: { Flag: 'on' } },
    );
    expect(result.params).toEqual({ Flag: value('on') });
  });

  it('refuses to put back a removed parameter without a value: unrecoverable', () => {
    const result = applyMigrations({}, [migration('1.3.0', { kind: 'remove', key: 'OldToken' })], 'backward', options);
    expect(result.problems).toEqual([
      {
        version: '1.3.0',
        key: 'OldToken',
        reason: 'unrecoverable',
        message:
          'OldToken needs a value: undoing migration 1.3.0 puts back OldToken, whose old value cannot be recovered; give it with --param OldToken=<value>',
      },
    ]);
  });

  it('never restores a NoEcho parameter from a published value: only the user knows the old secret', () => {
    const remove = migration('1.3.0', { kind: 'remove', key: 'DbPassword', restore: 'changeme' });
    const noEcho = new Set(['DbPassword']);
    expect(applyMigrations({}, [remove], 'backward', { ...options, noEcho }).problems.map((p) => p.reason)).toEqual([
      'unrecoverable',
    ]);
    expect(
      applyMigrations({}, [remove], 'backward', { ...options, noEcho, supplied: { DbPassword: 'old' } }).params,
    ).toEqual({ DbPassword: value('old') });
  });

  it('refuses to rename back a NoEcho parameter whose value is not known, unless supplied under the old name', () => {
    const rename = migration('1.3.0', { kind: 'rename', from: 'Password', to: 'DbPassword' });
    const stuck = applyMigrations({ DbPassword: previous }, [rename], 'backward', options);
    expect(stuck.problems.map((p) => [p.key, p.reason])).toEqual([['Password', 'unrecoverable']]);
    expect(stuck.problems[0]?.message).toContain('--param Password=<value>');
    const supplied = applyMigrations({ DbPassword: previous }, [rename], 'backward', {
      ...options,
      supplied: { Password: 'x' },
    });
    expect(supplied.problems).toEqual([]);
    expect(supplied.params).toEqual({ Password: value('x') });
  });

  it('names the final key of a rename chain, the one the user can give', () => {
    const chain = [
      migration('1.1.0', { kind: 'rename', from: 'A', to: 'B' }),
      migration('1.2.0', { kind: 'rename', from: 'B', to: 'C' }),
    ];
    const stuck = applyMigrations({ C: previous }, chain, 'backward', options);
    expect(stuck.problems.map((p) => [p.version, p.key, p.reason])).toEqual([['1.2.0', 'A', 'unrecoverable']]);
    expect(stuck.problems[0]?.message).toBe(
      'A needs a value: undoing migration 1.2.0 renames C to B, and the value of C is not known (NoEcho); give it with --param A=<value>',
    );
    const supplied = applyMigrations({ C: previous }, chain, 'backward', { ...options, supplied: { A: 'a' } });
    expect(supplied.problems).toEqual([]);
    expect(supplied.params).toEqual({ A: value('a') });
  });

  it('needs no unknown value that a later change sets or removes', () => {
    const setLater = [
      migration('1.1.0', { kind: 'set', key: 'Token', value: 'new', inverse: 'old' }),
      migration('1.2.0', { kind: 'remove', key: 'Token' }),
    ];
    const result = applyMigrations({}, setLater, 'backward', options);
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual({ Token: value('old') });

    const removedLater = [
      migration('1.1.0', { kind: 'rename', from: 'Secret', to: 'ApiSecret' }),
      migration('1.2.0', { kind: 'remove', key: 'ApiSecret' }),
    ];
    expect(applyMigrations({ Secret: previous }, removedLater, 'forward', options)).toMatchObject({
      problems: [],
      params: {},
    });
  });

  it('does not draw a secret the user supplies', () => {
    const result = applyMigrations(
      {},
      [migration('1.1.0', { kind: 'add', key: 'ApiSecret', generate: { bytes: 24 } })],
      'forward',
      {
        generateSecret: () => {
          throw new Error('drawn');
        },
        supplied: { ApiSecret: 'mine' },
      },
    );
    expect(result.params).toEqual({ ApiSecret: value('mine') });
    expect(result.effects[0]).toMatchObject({ valueFrom: 'supplied' });
  });
});

describe('the migrations a move crosses', () => {
  const all = ['1.1.0', '1.2.0', '1.3.0', '1.10.0'].map((version) => migration(version, { kind: 'remove', key: 'X' }));
  const versions = (a: string, b: string) => migrationsCrossed(all, a, b).map((m) => m.version);

  it('are those in (older, newer], ascending, in either direction', () => {
    expect(versions('1.1.0', '1.3.0')).toEqual(['1.2.0', '1.3.0']);
    expect(versions('1.3.0', '1.1.0')).toEqual(['1.2.0', '1.3.0']);
    expect(versions('1.0.0', '1.10.0')).toEqual(['1.1.0', '1.2.0', '1.3.0', '1.10.0']);
    expect(versions('1.3.0', '1.3.0')).toEqual([]);
  });
});
