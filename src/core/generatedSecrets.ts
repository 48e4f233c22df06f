/**
 * Secrets a new rack gets from the migrations up to its release: each `add` with `generate` draws one for
 * its key, as an update across that migration would. Which keys get one is decided here; drawing the
 * value is the caller's (services/secrets.ts), so that this stays pure.
 */
import type { Migration } from './migrations.js';
import type { GenerateSpec } from './schemas.js';
import type { ParameterDeclaration } from './template.js';
import { compareVersions } from './versions.js';

export interface GeneratedSecret {
  /** Never shown, logged or stored. */
  value: string;
  /** The version of the migration that asks for it. */
  migration: string;
}

/**
 * For every `add … generate` of a migration at or below `target` whose key the template declares and the
 * user did not give (`given`): a value from `generate`. The first migration to add a key wins; each key is
 * drawn once.
 */
export function generatedSecrets(
  migrations: readonly Migration[],
  target: string,
  declarations: readonly ParameterDeclaration[],
  given: Readonly<Record<string, string>>,
  generate: (spec: GenerateSpec, key: string) => string,
): Map<string, GeneratedSecret> {
  const declared = new Set(declarations.map((d) => d.key));
  const generated = new Map<string, GeneratedSecret>();
  for (const migration of migrations) {
    if (compareVersions(migration.version, target) > 0) continue;
    for (const change of migration.changes) {
      if (change.kind !== 'add' || !change.generate) continue;
      if (!declared.has(change.key) || Object.hasOwn(given, change.key) || generated.has(change.key)) continue;
      generated.set(change.key, { value: generate(change.generate, change.key), migration: migration.version });
    }
  }
  return generated;
}
