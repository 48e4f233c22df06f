/**
 * What a channels source is (the interface every kind of source implements), how one is named
 * (`--channels` / RACK_CHANNELS: the bundled channels, a directory, `github:owner/repo[/path][@ref]`), and
 * what opening one needs. Kept apart from `source.ts`, which opens them, so that the kinds of source can
 * depend on it without depending on each other.
 */
import { usageError } from '../errors.js';

export interface ChannelSource {
  /** e.g. "channels/ bundled with rack 0.1.0", "/path/to/channels", "github:acme/racks/channels@main". */
  readonly description: string;
  readonly kind: 'bundled' | 'local' | 'github';
  /**
   * Names the source the same way on every run, whatever its description: e.g. "bundled",
   * "dir:/path/to/channels", "github:github.com/acme/racks/channels@main". The state store remembers the
   * highest release manifest version seen per id.
   */
  readonly id: string;
  /** Absolute directory when the source is a local directory that may be edited (kind 'local' only). */
  readonly writableDir?: string;
  /** For GitHub: the commit the files are read at (the ref resolved once, when the source was opened). */
  readonly revision?: string;
  /** A file in the channels directory, e.g. 'catalog.yaml', 'templates/rack-1.0.0.yaml'; undefined if missing. */
  readChannelFile(relPath: string): Promise<Buffer | undefined>;
  /** Names of the files directly in the channels directory (or in a directory inside it), sorted. */
  listChannelFiles(relDir?: string): Promise<string[]>;
  /** A file from the sibling migrations/ directory, e.g. '1.2.0.yaml'; undefined if missing. */
  readMigrationFile(name: string): Promise<Buffer | undefined>;
  listMigrationFiles(): Promise<string[]>;
  /** Warnings to show, e.g. that GitHub could not be reached and a cached copy is used. */
  readonly warnings: string[];
  /**
   * Set when GitHub could not be asked what the ref names now, and the copy cached last stands in:
   * when GitHub last confirmed it, and why it could not be refreshed (a phrase).
   */
  readonly cachedCopy?: { checkedAt: Date; reason: string };
}

export type SourceSpec =
  | { kind: 'bundled' }
  | { kind: 'local'; dir: string }
  | { kind: 'github'; owner: string; repo: string; path: string; ref?: string };

export type Env = Record<string, string | undefined>;

export interface OpenSourceOptions {
  /** Relative local directories are resolved against it. */
  cwd: string;
  /** RACK_HOME: GitHub responses are cached under <home>/cache/github. */
  home: string;
  /** GITHUB_TOKEN or GH_TOKEN, RACK_GITHUB_API_URL (GitHub Enterprise: https://host/api/v3), RACK_CHANNELS. */
  env: Env;
  /** The directory of rack's package.json (findPackageRoot(import.meta.url)). */
  packageRoot: string;
  now: () => Date;
  /** The fetch GitHub requests go through (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Per-request limit for GitHub, after which it counts as unreachable (default 10 s). */
  timeoutMs?: number;
  /** One line per GitHub request (method, path, status, time), for --debug. Never carries the token. */
  debug?: (message: string) => void;
}

const GITHUB_PREFIX = 'github:';
const SPEC_FORMAT = 'github:owner/repo[/path][@ref], e.g. github:acme/racks/channels@main';

/** An empty or absent spec means the bundled channels. Anything not starting with github: is a directory. */
export function parseSourceSpec(spec: string | undefined): SourceSpec {
  if (spec === undefined || spec.trim() === '') return { kind: 'bundled' };
  if (!spec.startsWith(GITHUB_PREFIX)) return { kind: 'local', dir: spec };
  return parseGitHubSpec(spec);
}

function parseGitHubSpec(spec: string): SourceSpec {
  const bad = (why: string) =>
    usageError(`The channels source "${spec}" is not a GitHub source: ${why}.`, {
      next: `Write it as ${SPEC_FORMAT}.`,
    });
  const rest = spec.slice(GITHUB_PREFIX.length);
  const at = rest.indexOf('@');
  const location = at === -1 ? rest : rest.slice(0, at);
  const ref = at === -1 ? undefined : rest.slice(at + 1);
  if (ref !== undefined && ref.trim() === '') throw bad('the ref after "@" is empty');
  const [owner = '', repo = '', ...pathParts] = location.split('/');
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(owner)) throw bad('the owner is missing or not a GitHub name');
  if (!/^[A-Za-z0-9._-]+$/.test(repo) || repo === '.' || repo === '..')
    throw bad('the repository is missing or not a GitHub name');
  const segments = pathParts.filter((part) => part !== '' && part !== '.');
  if (segments.includes('..')) throw bad('the path must stay inside the repository');
  return {
    kind: 'github',
    owner,
    repo,
    path: segments.length ? segments.join('/') : 'channels',
    ...(ref ? { ref } : {}),
  };
}

/** The spec written back in its canonical form, e.g. github:acme/racks/channels@main. */
export function describeSpec(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'bundled':
      return 'channels/ bundled with rack';
    case 'local':
      return spec.dir;
    case 'github':
      return `${GITHUB_PREFIX}${spec.owner}/${spec.repo}/${spec.path}${spec.ref ? `@${spec.ref}` : ''}`;
  }
}
