import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { internalError } from '../errors.js';

/**
 * The directory of rack's own package.json, found by walking up from a module's URL: from src/ in tests
 * and from dist/ (or dist/chunks/) in the bundle, the bundled channels/ and migrations/ sit beside it.
 */
export function findPackageRoot(fromUrl: string): string {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (packageName(path.join(dir, 'package.json')) === 'rack') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw internalError(`Could not find rack's package.json above ${fileURLToPath(fromUrl)}.`, {
        next: 'Reinstall rack; the installed package looks incomplete.',
      });
    }
    dir = parent;
  }
}

function packageName(file: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as { name?: string }).name : undefined;
  } catch {
    return undefined;
  }
}

/** The version in a package.json, for describing the bundled channels. */
export function packageVersion(packageRoot: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}
