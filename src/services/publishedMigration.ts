/**
 * The migration of a release being published: `migrations/<version>.yaml` beside the channels directory,
 * written before `rack channel publish`. Publishing checks it and records its digest in the catalog, so
 * that a source without a signature still protects its migrations as it protects its templates; a
 * migration that writes a literal value to a NoEcho parameter (a published secret) is refused.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { refused } from '../errors.js';
import { sha256 } from '../core/digest.js';
import { formatProblem } from '../core/channels/yamlFile.js';
import { readMigrationFile, secretLiteralProblems } from '../core/migrations.js';

const UNTOUCHED = 'No channel was changed.';

export interface PublishedMigration {
  /** e.g. "migrations/1.5.0.yaml". */
  file: string;
  sha256: string;
}

/** The release's migration, checked; undefined when the release has none. */
export async function publishedMigration(
  channelsDir: string,
  version: string,
  noEcho: ReadonlySet<string>,
): Promise<PublishedMigration | undefined> {
  const dir = path.join(path.dirname(channelsDir), 'migrations');
  const found: { file: string; bytes: Buffer }[] = [];
  for (const name of [`${version}.yaml`, `${version}.yml`]) {
    const bytes = await fs.readFile(path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (bytes) found.push({ file: `migrations/${name}`, bytes });
  }
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    throw refused(`${version} has two migrations, ${found.map((f) => f.file).join(' and ')}; one would be ignored.`, {
      untouched: UNTOUCHED,
      next: 'Keep one file per version, then publish again.',
      details: { reason: 'duplicate-migration', version },
    });
  }
  const [{ file, bytes }] = found as [{ file: string; bytes: Buffer }];
  const migration = readMigrationFile(bytes.toString('utf8'), file);
  const secrets = secretLiteralProblems(migration.value.changes, noEcho);
  if (secrets.length > 0) {
    throw refused(`The migration ${file} publishes a value for a NoEcho parameter, so ${version} is not published.`, {
      problems: secrets.map((problem) => formatProblem(problem, migration.where)),
      untouched: UNTOUCHED,
      next: 'Generate the secret (add … generate), or leave it out so that each rack gives it with --param; then publish again. A secret that was pushed anywhere is to be rotated.',
      details: { reason: 'secret-in-migration', version },
    });
  }
  return { file, sha256: sha256(bytes) };
}
