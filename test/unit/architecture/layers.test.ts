/**
 * The layers of docs/architecture.md, checked on the source: data flows down, nothing below imports from
 * above; commands never import the AWS SDK or ink; services never read process.env/argv or exit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.tsx?$/.test(name) ? [full] : [];
  });
}

/** Every module a file imports (static and dynamic): the package's name, or rack's own module relative to src. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)].map((m) => m[1]!);
}

function ownImportsOf(file: string): string[] {
  return importsOf(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, ''))
    .filter((relative) => !relative.startsWith('..')); // package.json, for the version
}

/** The text without its comments. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

const layerOf = (relative: string) => relative.split(path.sep)[0]!.replace(/\.tsx?$/, '');

/** What each layer may import, besides itself (and packages, checked separately). */
const ALLOWED: Record<string, string[]> = {
  core: ['errors', 'version'],
  io: ['errors', 'core'],
  aws: ['errors', 'core', 'io', 'version'],
  state: ['errors', 'core', 'io', 'aws'],
  sources: ['errors', 'core', 'io', 'state', 'context', 'version'],
  services: ['errors', 'core', 'io', 'aws', 'state', 'sources', 'context', 'version'],
  ui: ['errors', 'core', 'io', 'services', 'state', 'context', 'version', 'aws'],
  // Types of results (a change set's resource changes) are rendered as the aws layer names them.
  cli: ['errors', 'core', 'io', 'services', 'state', 'ui', 'context', 'version', 'sources', 'aws'],
  context: ['errors', 'core', 'io', 'aws', 'state'],
  errors: [],
  version: [],
  bin: ['cli', 'io'],
};

const all = files(SRC).map((file) => ({ file, relative: path.relative(SRC, file) }));

describe('the layers', () => {
  it('every source file is in a known layer', () => {
    for (const { relative } of all) expect(Object.keys(ALLOWED), relative).toContain(layerOf(relative));
  });

  it('data flows down: no layer imports one above it', () => {
    const wrong: string[] = [];
    for (const { file, relative } of all) {
      const layer = layerOf(relative);
      for (const target of ownImportsOf(file)) {
        const to = layerOf(target);
        if (to !== layer && !ALLOWED[layer]!.includes(to)) wrong.push(`${relative} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('core is pure: no I/O modules, no AWS SDK', () => {
    const io = /^(node:(fs|child_process|net|http|https|os)|@aws-sdk\/|ink$|react$)/;
    const wrong = all
      .filter(({ relative }) => layerOf(relative) === 'core')
      .flatMap(({ file, relative }) =>
        importsOf(file)
          .filter((t) => io.test(t))
          .map((t) => `${relative} → ${t}`),
      );
    expect(wrong).toEqual([]);
  });

  it('commands never import the AWS SDK or ink directly', () => {
    const wrong = all
      .filter(({ relative }) => layerOf(relative) === 'cli')
      .flatMap(({ file, relative }) =>
        importsOf(file)
          .filter((t) => /^(@aws-sdk\/|ink$|react$)/.test(t))
          .map((t) => `${relative} → ${t}`),
      );
    expect(wrong).toEqual([]);
  });

  it('services never read process.env or process.argv, nor exit', () => {
    const wrong = all
      .filter(({ relative }) => ['services', 'core', 'aws', 'state', 'sources'].includes(layerOf(relative)))
      .filter(({ file }) => /process\.(env|argv|exit)\b/.test(code(readFileSync(file, 'utf8'))))
      .map(({ relative }) => relative);
    expect(wrong).toEqual([]);
  });
});
