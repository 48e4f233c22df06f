import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { refused } from '../../errors.js';
import { SCHEMA_VERSION } from '../schemas.js';

/**
 * Reading one YAML file of a channels source: parse, check the schema version, validate with zod, run the
 * file's own cross-field checks, and report every problem at once as `<file>:<line>: <path>: <problem>`.
 * The parsed `Document` is returned too, so commands that edit a file (publish, promote, yank) can change it
 * in place and keep its comments and layout.
 */

export type Path = readonly (string | number)[];

export interface FileProblem {
  path: Path;
  message: string;
}

export interface YamlFile<T> {
  /** The validated content. */
  value: T;
  /** The parsed document, to edit and write back. */
  document: Document;
  /** Where the file came from, as shown in messages, e.g. "channels/stable.yaml". */
  file: string;
  /** `<file>:<line>` of a path inside the file, for messages about this file found later. */
  where: (path: Path) => string;
}

export interface FileKind<T> {
  /** What the file is, for the headline: "release catalog", "channel file", "migration". */
  noun: string;
  schema: z.ZodType<T>;
  /** Checks across fields that a schema cannot express (duplicates, references within the file). */
  check?: (value: T) => FileProblem[];
}

export function readYamlFile<T>(text: string, file: string, kind: FileKind<T>): YamlFile<T> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const where = (path: Path) => locate(file, lineOfPath(document, path, lineAt));

  const fail = (problems: string[]) => invalidFile(file, kind.noun, problems);
  if (document.errors.length > 0) {
    throw fail(document.errors.map((error) => `${locate(file, lineAt(error.pos[0]))}: ${error.message}`));
  }
  const data: unknown = document.toJS();
  const newer = newerSchema(data);
  if (newer !== null) {
    throw refused(`${file} is written in format schema ${newer}; this rack reads schema ${SCHEMA_VERSION}.`, {
      next: 'Update rack to a version that reads this format.',
      details: { reason: 'newer-schema', file, schema: newer },
    });
  }
  const parsed = kind.schema.safeParse(data, { error: (issue) => issueMessage(issue as ZodIssue) });
  const problems: FileProblem[] = parsed.success
    ? (kind.check?.(parsed.data) ?? [])
    : parsed.error.issues.flatMap(toProblems);
  if (problems.length > 0) throw fail(problems.map((problem) => formatProblem(problem, where)));
  return { value: parsed.data as T, document, file, where };
}

function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text;
}

export function formatProblem(problem: FileProblem, where: (path: Path) => string): string {
  const path = formatPath(problem.path);
  return `${where(problem.path)}: ${path === '' ? '' : `${path}: `}${problem.message}`;
}

/** A refusal (exit 3) for a file that does not validate, listing every problem. */
export function invalidFile(file: string, noun: string, problems: string[]) {
  return refused(`${file} is not a valid ${noun}.`, {
    problems,
    untouched: 'Nothing was changed.',
    next: 'Fix the file; `rack channel verify` checks every channel file, migration and template digest.',
    details: { reason: 'invalid-file', file },
  });
}

function locate(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`;
}

/** The line of the deepest node that exists along `path` (a missing field is reported at its parent). */
function lineOfPath(document: Document, path: Path, lineAt: (offset: number) => number): number | undefined {
  let node: unknown = document.contents;
  let line = rangeLine(node, lineAt) ?? 1;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (!pair) break;
      line = rangeLine(pair.key, lineAt) ?? line;
      node = pair.value;
      // A key with an empty value has no node of its own; its key's line is the place.
      line = rangeLine(node, lineAt) ?? line;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      line = rangeLine(node, lineAt) ?? line;
    } else {
      break;
    }
  }
  return line;
}

function rangeLine(node: unknown, lineAt: (offset: number) => number): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? lineAt(range[0]) : undefined;
}

function newerSchema(data: unknown): number | null {
  if (typeof data !== 'object' || data === null) return null;
  const schema = (data as { schema?: unknown }).schema;
  return typeof schema === 'number' && Number.isInteger(schema) && schema > SCHEMA_VERSION ? schema : null;
}

// ---- zod issues in the project's words ----

interface ZodIssue {
  code: string;
  path?: PropertyKey[];
  input?: unknown;
  expected?: string;
  values?: unknown[];
  keys?: string[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  message?: string;
}

function toProblems(issue: { code: string; path: PropertyKey[]; message: string; keys?: string[] }): FileProblem[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }));
  }
  return [{ path, message: issue.message }];
}

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

function issueMessage(issue: ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = NOUNS[issue.expected ?? ''] ?? issue.expected ?? 'something else';
      return issue.input === undefined
        ? `missing (expected ${expected})`
        : `expected ${expected}, got ${describe(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${(issue.values ?? []).map((value) => JSON.stringify(value)).join(' or ')}, got ${describe(issue.input)}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum} item(s)`
        : issue.origin === 'string'
          ? `expected at least ${issue.minimum} character(s)`
          : `expected at least ${issue.minimum}`;
    case 'too_big':
      return `expected at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
