/** Which secrets a new rack gets from the migrations up to its release, and that each is drawn once. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generatedSecrets } from '../../../src/core/generatedSecrets.js';
import type { Migration } from '../../../src/core/migrations.js';
import type { GenerateSpec, MigrationChange } from '../../../src/core/schemas.js';
import type { ParameterDeclaration } from '../../../src/core/template.js';
import { compareVersions } from '../../../src/core/versions.js';

const declared = (...keys: string[]): ParameterDeclaration[] =>
  keys.map((key) => ({ key, type: 'String', noEcho: true }));

/** A generator that says what it was asked for, and counts. */
function drawing() {
  const calls: string[] = [];
  return {
    calls,
    generate: (spec: GenerateSpec, key: string) => {
      calls.push(key);
      return `secret-${key}-${spec.bytes}`;
    },
  };
}

const MIGRATIONS: Migration[] = [
  { version: '1.2.0', changes: [{ kind: 'rename', from: 'LogRetention', to: 'LogRetentionDays' }] },
  { version: '1.4.0', changes: [{ kind: 'add', key: 'WebhookSecret', generate: { bytes: 24 } }] },
];

describe('generated secrets', () => {
  it('draws one for a key a migration up to the target adds with generate, and names that migration', () => {
    const { calls, generate } = drawing();
    const secrets = generatedSecrets(MIGRATIONS, '1.4.0', declared('Password', 'WebhookSecret'), {}, generate);
    expect([...secrets]).toEqual([['WebhookSecret', { value: 'secret-WebhookSecret-24', migration: '1.4.0' }]]);
    expect(calls).toEqual(['WebhookSecret']);
  });

  it('draws nothing for a migration beyond the target, a key the template lacks, or a key the user gave', () => {
    const { calls, generate } = drawing();
    expect(generatedSecrets(MIGRATIONS, '1.3.1', declared('WebhookSecret'), {}, generate).size).toBe(0);
    expect(generatedSecrets(MIGRATIONS, '1.4.0', declared('Password'), {}, generate).size).toBe(0);
    expect(generatedSecrets(MIGRATIONS, '1.4.0', declared('WebhookSecret'), { WebhookSecret: '' }, generate).size).toBe(
      0,
    );
    expect(calls).toEqual([]);
  });
});

const KEYS = ['A', 'B', 'C', 'D'];
const changeArb: fc.Arbitrary<MigrationChange> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.constantFrom(...KEYS),
    generate: fc.record({ bytes: fc.integer({ min: 16, max: 64 }) }),
  }),
  fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom(...KEYS), value: fc.string({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('remove' as const), key: fc.constantFrom(...KEYS) }),
);
const migrationsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 6 })
  .map((minors) => minors.sort((a, b) => a - b))
  .chain((minors) =>
    fc.tuple(...minors.map((minor) => fc.array(changeArb, { maxLength: 3 }).map((changes) => ({ minor, changes })))),
  )
  .map((list) => list.map(({ minor, changes }): Migration => ({ version: `1.${minor}.0`, changes })));

describe('generated secrets over generated migrations', () => {
  it('are exactly the declared, not given keys first added with generate at or below the target, each drawn once', () => {
    fc.assert(
      fc.property(
        migrationsArb,
        fc.integer({ min: 0, max: 9 }),
        fc.subarray(KEYS),
        fc.subarray(KEYS),
        (migrations, targetMinor, keys, given) => {
          const target = `1.${targetMinor}.0`;
          const { calls, generate } = drawing();
          const secrets = generatedSecrets(
            migrations,
            target,
            declared(...keys),
            Object.fromEntries(given.map((key) => [key, 'given'])),
            generate,
          );
          // The model: walk the migrations up to the target, the first generating add of a key wins.
          const expected = new Map<string, { value: string; migration: string }>();
          for (const migration of migrations.filter((m) => compareVersions(m.version, target) <= 0)) {
            for (const change of migration.changes) {
              if (change.kind !== 'add' || !change.generate || expected.has(change.key)) continue;
              if (!keys.includes(change.key) || given.includes(change.key)) continue;
              expected.set(change.key, {
                value: `secret-${change.key}-${change.generate.bytes}`,
                migration: migration.version,
              });
            }
          }
          expect(secrets).toEqual(expected);
          expect(calls.sort()).toEqual([...expected.keys()].sort());
        },
      ),
      { numRuns: 500 },
    );
  });
});
