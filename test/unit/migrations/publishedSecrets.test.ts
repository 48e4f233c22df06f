/**
 * What a channels source may not do with migrations: write a literal value to a NoEcho parameter (the
 * value is published to everyone who reads the source), or change a migration after its digest went into
 * the catalog.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  applyMigrations,
  migrationDigestProblems,
  secretLiteralProblems,
  type Migration,
  type MigrationOptions,
} from '../../../src/core/migrations.js';
import type { MigrationChange } from '../../../src/core/schemas.js';
import { isRackError } from '../../../src/errors.js';
import { catalogOf, release } from '../channels/fixtures.js';

const noEcho = new Set(['WebhookSecret']);
const options: MigrationOptions = { generateSecret: () => 'drawn', noEcho };
const digest = (text: string) => createHash('sha256').update(text).digest('hex');

const literalAdd: MigrationChange = { kind: 'add', key: 'WebhookSecret', value: 'published-in-git' };
const generatedAdd: MigrationChange = { kind: 'add', key: 'WebhookSecret', generate: { bytes: 24 } };
const secretSet: MigrationChange = { kind: 'set', key: 'WebhookSecret', value: 'a', inverse: 'b' };
const plainSet: MigrationChange = { kind: 'set', key: 'LogLevel', value: 'info', inverse: 'debug' };

describe('a literal value for a NoEcho parameter', () => {
  it('is found in an add with a value and in any set, never in a generated add or a plain parameter', () => {
    expect(secretLiteralProblems([generatedAdd, plainSet], noEcho)).toEqual([]);
    expect(secretLiteralProblems([plainSet, literalAdd, secretSet], noEcho).map((p) => p.path)).toEqual([
      ['changes', 1, 'add', 'value'],
      ['changes', 2, 'set'],
    ]);
  });

  it('refuses the migrations it is in (exit 3), forward and backward, even when --param gives the value', () => {
    const migration: Migration = { version: '1.4.0', changes: [literalAdd], file: 'migrations/1.4.0.yaml' };
    for (const direction of ['forward', 'backward'] as const) {
      let error: unknown;
      try {
        applyMigrations({ WebhookSecret: { kind: 'previous' } }, [migration], direction, {
          ...options,
          supplied: { WebhookSecret: 'given-by-the-operator' },
        });
      } catch (caught) {
        error = caught;
      }
      expect(isRackError(error) && error.exitCode).toBe(3);
      expect(isRackError(error) && error.problems).toEqual([
        expect.stringMatching(
          /^migrations\/1\.4\.0\.yaml: changes\[0\]\.add\.value: a literal value for the NoEcho parameter WebhookSecret publishes the secret/,
        ),
      ]);
      expect(JSON.stringify(error)).not.toContain('given-by-the-operator');
    }
  });

  it('is not looked for when the caller knows no NoEcho keys', () => {
    const result = applyMigrations({}, [{ version: '1.4.0', changes: [literalAdd] }], 'forward', {
      generateSecret: () => 'x',
    });
    expect(result.problems).toEqual([]);
  });
});

describe('migration digests in the catalog', () => {
  const text = 'schema: 1\nversion: 1.4.0\nchanges: []\n';
  const catalog = catalogOf(
    release('1.2.0'),
    release('1.4.0', { migration: { sha256: digest(text) } }),
    release('1.5.0', { migration: { sha256: digest('gone') } }),
  );

  it('match, are missing, differ, or name a migration that is gone', () => {
    expect(
      migrationDigestProblems(
        [
          { file: 'migrations/1.4.0.yaml', sha256: digest(text) },
          { file: 'migrations/1.2.0.yaml', sha256: digest('a') },
          { file: 'migrations/9.9.9.yaml', sha256: digest('b') },
        ],
        catalog,
      ),
    ).toEqual([
      `migrations/1.2.0.yaml: the catalog gives no sha256 for it, so nothing shows it is the migration that was published; add \`migration: { sha256: ${digest('a')} }\` to release 1.2.0 in the catalog (or sign the channels)`,
      "migrations/1.5.0.yaml: missing, though the catalog gives the sha256 of release 1.5.0's migration (deleted after it was published)",
    ]);
    expect(migrationDigestProblems([{ file: 'migrations/1.4.0.yml', sha256: digest(`${text}#\n`) }], catalog)).toEqual([
      `migrations/1.4.0.yml: sha256 is ${digest(`${text}#\n`)}, the catalog says ${digest(text)} (changed after it was published)`,
      "migrations/1.5.0.yaml: missing, though the catalog gives the sha256 of release 1.5.0's migration (deleted after it was published)",
    ]);
  });
});
