/**
 * What every command loads before it runs: the modules src/cli/main.ts reaches through static imports.
 * The parser answers `--help` and routes a command; anything heavier (zod, ink, the AWS SDK, Octokit) is
 * loaded by the command that needs it, with `await import`. One static import of a module that uses zod
 * once cost every command 20 ms (bench/startup); this keeps that from coming back unnoticed.
 */
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

async function staticGraph(entry: string): Promise<{ modules: Set<string>; packages: Set<string> }> {
  const { metafile } = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    outdir: 'unused',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const modules = new Set([entry]);
  const packages = new Set<string>();
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const imported of metafile.inputs[file]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.external) packages.add(imported.path);
      else if (!modules.has(imported.path)) {
        modules.add(imported.path);
        queue.push(imported.path);
      }
    }
  }
  return { modules, packages };
}

describe('start-up', () => {
  it('loads only the parser and node built-ins before a command runs', async () => {
    const { modules, packages } = await staticGraph('src/cli/main.ts');
    expect([...packages].filter((name) => !name.startsWith('node:'))).toEqual(['yargs']);
    // No service is loaded to parse a command line: each command imports its own when it runs.
    expect([...modules].filter((file) => file.startsWith('src/services/') || file.startsWith('src/ui/'))).toEqual([]);
  });
});
