/**
 * A channels directory in a GitHub repository, `github:owner/repo[/path][@ref]`. The ref is resolved
 * to a commit once, when the source opens, with a conditional request; everything below the commit
 * (trees, then blobs) is addressed by its hash and so never changes, and is fetched at most once per
 * machine. An unchanged repository therefore costs a single 304, and a changed one only the trees
 * and files whose hashes changed.
 */
import {
  missingDirectoryError,
  cachedCopyWarning,
  isOffline,
  noCachedCopyError,
  offlineReason,
  sourceError,
  type RepositoryNames,
} from './githubMessages.js';
import { classifyFailure, createGitHubClient, type GitHubClient } from './githubClient.js';
import { repositoryCacheDir, responseCache, type ResponseCache } from './githubCache.js';
import { internalError, isRackError } from '../errors.js';
import { channelDirSegments, channelPathSegments, migrationFileName } from './relativePath.js';
import { describeSpec, type ChannelSource, type OpenSourceOptions, type SourceSpec } from './channelSource.js';

export type GitHubSpec = Extract<SourceSpec, { kind: 'github' }>;

interface TreeEntry {
  name: string;
  type: string;
  mode: string;
  sha: string;
}

interface StoredBlob {
  content: string;
  encoding: string;
}

interface Session {
  client: GitHubClient;
  cache: ResponseCache;
  names: RepositoryNames;
  now: () => Date;
}

const SYMLINK_MODE = '120000';
const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export async function openGitHubSource(spec: GitHubSpec, options: OpenSourceOptions): Promise<ChannelSource> {
  const client = createGitHubClient(options);
  const enterprise = client.label === 'GitHub' ? '' : ` at ${new URL(client.baseUrl).host}`;
  const names: RepositoryNames = {
    description: `${describeSpec(spec)}${enterprise}`,
    owner: spec.owner,
    repo: spec.repo,
    ...(spec.ref ? { ref: spec.ref } : {}),
  };
  const session: Session = {
    client,
    cache: responseCache(repositoryCacheDir(options.home, client.baseUrl, spec.owner, spec.repo)),
    names,
    now: options.now,
  };
  const warnings: string[] = [];
  const offline: { cachedCopy?: { checkedAt: Date; reason: string } } = {};
  const revision = await resolveRevision(session, warnings, offline);
  const repository = repositoryAt(session, revision);

  const channels = spec.path.split('/');
  const migrations = [...channels.slice(0, -1), 'migrations'];
  if (!(await repository.tree(channels))) throw missingDirectoryError(names, spec.path, revision);
  return {
    description: names.description,
    kind: 'github',
    id: sourceId(client, spec),
    revision,
    warnings,
    ...offline,
    readChannelFile: async (relPath) => repository.file([...channels, ...channelPathSegments(relPath)]),
    listChannelFiles: async (relDir) => repository.files([...channels, ...channelDirSegments(relDir)]),
    readMigrationFile: async (name) => repository.file([...migrations, migrationFileName(name)]),
    listMigrationFiles: () => repository.files(migrations),
  };
}

/** github:<API host and path>/<owner>/<repo>/<path>@<ref>; owner and repository are case-insensitive on GitHub. */
function sourceId(client: GitHubClient, spec: GitHubSpec): string {
  const api = new URL(client.baseUrl);
  const server = `${api.host}${api.pathname.replace(/\/+$/, '')}`;
  return `github:${server}/${spec.owner.toLowerCase()}/${spec.repo.toLowerCase()}/${spec.path}@${spec.ref ?? 'HEAD'}`;
}

/**
 * The commit the ref names now. Conditional when a previous answer is cached: a 304 confirms it. When
 * GitHub gives no answer (unreachable, 5xx, rate limited) the cached commit stands in, with a warning.
 */
async function resolveRevision(
  session: Session,
  warnings: string[],
  offline: { cachedCopy?: { checkedAt: Date; reason: string } },
): Promise<string> {
  const { client, cache, names } = session;
  const ref = names.ref ?? 'HEAD';
  const key = `refs/${encodeURIComponent(ref)}.json`;
  const cached = await cache.read<string>(key);
  const at = session.now();
  try {
    const response = await client.octokit.rest.repos.getCommit({
      owner: names.owner,
      repo: names.repo,
      ref,
      mediaType: { format: 'sha' },
      headers: cached?.etag ? { 'if-none-match': cached.etag } : {},
    });
    const sha = objectId(response.data, `the commit for ${ref}`);
    const stamp = at.toISOString();
    await cache.write(key, { ...etagOf(response.headers), fetchedAt: stamp, checkedAt: stamp, data: sha });
    return sha;
  } catch (error) {
    if (isRackError(error)) throw error;
    const failure = classifyFailure(error, at);
    if (failure.kind === 'not-modified' && cached) {
      await cache.write(key, { ...cached, checkedAt: at.toISOString() });
      return cached.data;
    }
    if (isOffline(failure)) {
      if (!cached) throw noCachedCopyError(failure, client, names, names.description, at);
      warnings.push(cachedCopyWarning(failure, client, names, new Date(cached.checkedAt), at));
      offline.cachedCopy = { checkedAt: new Date(cached.checkedAt), reason: offlineReason(failure, client, at) };
      return cached.data;
    }
    throw sourceError(failure, client, names);
  }
}

/** Directories and files of one commit, read through the cache by object id. */
function repositoryAt(session: Session, revision: string) {
  const trees = new Map<string, Promise<TreeEntry[] | undefined>>();

  function tree(segments: string[]): Promise<TreeEntry[] | undefined> {
    const dir = segments.join('/');
    let pending = trees.get(dir);
    if (!pending) {
      pending = segments.length === 0 ? fetchTree(session, revision, '/') : subtree(segments);
      // A failure is not remembered, so that a later read can try again.
      pending.catch(() => trees.delete(dir));
      trees.set(dir, pending);
    }
    return pending;
  }

  async function subtree(segments: string[]): Promise<TreeEntry[] | undefined> {
    const parent = await tree(segments.slice(0, -1));
    const entry = parent?.find((candidate) => candidate.name === segments.at(-1) && candidate.type === 'tree');
    return entry ? fetchTree(session, entry.sha, segments.join('/')) : undefined;
  }

  async function file(segments: string[]): Promise<Buffer | undefined> {
    const entries = await tree(segments.slice(0, -1));
    const entry = entries?.find((candidate) => candidate.name === segments.at(-1) && isFile(candidate));
    return entry ? fetchBlob(session, entry.sha, segments.join('/')) : undefined;
  }

  async function files(segments: string[]): Promise<string[]> {
    const entries = await tree(segments);
    return (entries ?? [])
      .filter(isFile)
      .map((entry) => entry.name)
      .sort();
  }

  return { tree, file, files };
}

// Symbolic links and submodules are not files a channel can name.
const isFile = (entry: TreeEntry) => entry.type === 'blob' && entry.mode !== SYMLINK_MODE;

function fetchTree(session: Session, sha: string, dir: string): Promise<TreeEntry[]> {
  const { client, names } = session;
  return fetchOnce(session, `trees/${sha}.json`, `the directory ${dir} of ${names.description}`, async () => {
    const response = await client.octokit.rest.git.getTree({ owner: names.owner, repo: names.repo, tree_sha: sha });
    if (!Array.isArray(response.data?.tree)) throw unexpected(session, `the directory ${dir}`);
    const entries = response.data.tree.map((entry) => ({
      name: entry.path,
      type: entry.type,
      mode: entry.mode,
      sha: objectId(entry.sha, entry.path),
    }));
    return { data: entries, headers: response.headers };
  });
}

async function fetchBlob(session: Session, sha: string, file: string): Promise<Buffer> {
  const { client, names } = session;
  const blob = await fetchOnce<StoredBlob>(
    session,
    `blobs/${sha}.json`,
    `${file} of ${names.description}`,
    async () => {
      const response = await client.octokit.rest.git.getBlob({ owner: names.owner, repo: names.repo, file_sha: sha });
      if (typeof response.data?.content !== 'string') throw unexpected(session, file);
      return { data: { content: response.data.content, encoding: response.data.encoding }, headers: response.headers };
    },
  );
  return Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8');
}

/** An object addressed by its id never changes: once cached, it is never asked for again. */
async function fetchOnce<T>(
  session: Session,
  key: string,
  what: string,
  fetch: () => Promise<{ data: T; headers: Record<string, unknown> }>,
): Promise<T> {
  const cached = await session.cache.read<T>(key);
  if (cached) return cached.data;
  const at = session.now();
  try {
    const { data, headers } = await fetch();
    const stamp = at.toISOString();
    await session.cache.write(key, { ...etagOf(headers), fetchedAt: stamp, checkedAt: stamp, data });
    return data;
  } catch (error) {
    if (isRackError(error)) throw error;
    const failure = classifyFailure(error, at);
    if (isOffline(failure)) throw noCachedCopyError(failure, session.client, session.names, what, at);
    throw sourceError(failure, session.client, session.names);
  }
}

function objectId(value: unknown, what: string): string {
  const id = typeof value === 'string' ? value.trim() : '';
  if (!OBJECT_ID.test(id)) {
    throw internalError(`GitHub answered with something that is not an object id for ${what}.`, {
      next: 'Try again; if it persists, use a local copy of the channels with --channels <dir>.',
    });
  }
  return id;
}

function unexpected(session: Session, what: string) {
  return internalError(`${session.client.label} answered unexpectedly for ${what} of ${session.names.description}.`, {
    next: 'Try again; if it persists, use a local copy of the channels with --channels <dir>.',
  });
}

function etagOf(headers: Record<string, unknown>): { etag?: string } {
  return typeof headers.etag === 'string' ? { etag: headers.etag } : {};
}
