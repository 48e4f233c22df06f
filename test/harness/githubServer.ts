/**
 * A loopback stand-in for the GitHub REST API, answering exactly the endpoints the GitHub channel
 * source uses, in GitHub's shapes (typed by @octokit/openapi-types):
 *
 *   GET /repos/{owner}/{repo}/commits/{ref}      Accept: application/vnd.github[.v3].sha → the commit id
 *   GET /repos/{owner}/{repo}/git/trees/{sha}    a tree, or the root tree of a commit or ref
 *   GET /repos/{owner}/{repo}/git/blobs/{sha}    base64 content, wrapped like GitHub's
 *
 * Object ids are real git object ids (blob, tree and commit objects hashed as git does). Every answer
 * carries a weak ETag over its body; a matching If-None-Match gets a 304. Every request is recorded
 * for assertions. Faults a test can switch on: a primary rate limit (403 with x-ratelimit-* headers),
 * a secondary one (429 with retry-after), a 5xx, a stall (never answers), and `down()` (the port
 * refuses connections). A repository can be private (404 without a valid token, as on GitHub), and an
 * unknown token gets 401 "Bad credentials". `pathPrefix: '/api/v3'` makes it a GitHub Enterprise server.
 */
import type { components } from '@octokit/openapi-types';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

type GitTree = components['schemas']['git-tree'];
type Blob = components['schemas']['blob'];
type BasicError = components['schemas']['basic-error'];

export interface RecordedGitHubRequest {
  readonly method: string;
  /** Path and query below the API root (the Enterprise prefix removed), e.g. /repos/acme/racks/commits/main. */
  readonly path: string;
  /** The full path as sent, prefix included. */
  readonly rawPath: string;
  readonly ifNoneMatch?: string;
  readonly authorization?: string;
  readonly accept?: string;
  /** 0 while unanswered (a stall). */
  status: number;
}

export type GitHubFault =
  /** Primary rate limit: 403, x-ratelimit-remaining: 0, x-ratelimit-reset at `resetAt`. */
  | { kind: 'rate-limit'; resetAt: Date }
  /** Secondary rate limit: 429 with retry-after. */
  | { kind: 'secondary-rate-limit'; retryAfterSeconds: number }
  | { kind: 'unavailable'; status: 500 | 502 | 503 }
  /** Accepts the request and never answers. */
  | { kind: 'stall' };

export interface GitHubServerOptions {
  /** '/api/v3' for a GitHub Enterprise Server layout. */
  pathPrefix?: string;
  /** Tokens the server accepts; any other presented token is answered 401. */
  tokens?: string[];
}

export interface RepositoryOptions {
  defaultBranch?: string;
  /** Visible only to requests with one of the server's tokens; others get 404, as on GitHub. */
  private?: boolean;
}

export interface GitHubServer {
  /** The API root to give Octokit as baseUrl (and RACK_GITHUB_API_URL). */
  readonly url: string;
  readonly requests: RecordedGitHubRequest[];
  /** Creates or replaces a repository whose default branch holds `files` (path → content). Returns the commit id,
   * or undefined for no files: like a new repository on GitHub, it then has no commit at all. */
  putRepository(
    owner: string,
    repo: string,
    files: Record<string, string | Buffer>,
    options?: RepositoryOptions,
  ): string | undefined;
  /** A new commit on `branch` (default: the default branch) whose tree is the current one with `changes`
   * applied (null deletes a file). Returns the commit id. */
  commit(owner: string, repo: string, changes: Record<string, string | Buffer | null>, branch?: string): string;
  /** Points a branch or tag at a commit. */
  setRef(owner: string, repo: string, ref: string, commit: string): void;
  deleteRepository(owner: string, repo: string): void;
  fault(fault: GitHubFault | undefined): void;
  clearRequests(): void;
  /** Stops listening: connections to the port are refused from now on. */
  down(): Promise<void>;
  close(): Promise<void>;
}

interface TreeEntry {
  name: string;
  mode: string;
  type: 'blob' | 'tree';
  sha: string;
  size?: number;
}

interface Repository {
  private: boolean;
  defaultBranch: string;
  refs: Map<string, string>;
  /** commit id → root tree id and the files it holds. */
  commits: Map<string, { tree: string; files: Map<string, Buffer> }>;
  trees: Map<string, TreeEntry[]>;
  blobs: Map<string, Buffer>;
}

const DOCS = 'https://docs.github.com/rest';

export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const tokens = new Set(options.tokens ?? []);
  const repositories = new Map<string, Repository>();
  const requests: RecordedGitHubRequest[] = [];
  const sockets = new Set<Socket>();
  let fault: GitHubFault | undefined;
  let commitCount = 0;

  const keyOf = (owner: string, repo: string) => `${owner}/${repo}`.toLowerCase();
  const repository = (owner: string, repo: string) => {
    const found = repositories.get(keyOf(owner, repo));
    if (!found) throw new Error(`githubServer: no repository ${owner}/${repo}`);
    return found;
  };

  function writeCommit(repo: Repository, files: Map<string, Buffer>, parent: string | undefined): string {
    const tree = writeTree(repo, files, '');
    commitCount += 1;
    const body = `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author rack-tests <tests@example.com> ${1_700_000_000 + commitCount} +0000\ncommitter rack-tests <tests@example.com> ${1_700_000_000 + commitCount} +0000\n\ncommit ${commitCount}\n`;
    const sha = gitObjectId('commit', Buffer.from(body));
    repo.commits.set(sha, { tree, files: new Map(files) });
    return sha;
  }

  function writeTree(repo: Repository, files: Map<string, Buffer>, dir: string): string {
    const entries: TreeEntry[] = [];
    const subdirs = new Set<string>();
    for (const [file, content] of files) {
      if (!file.startsWith(dir)) continue;
      const rest = file.slice(dir.length);
      const slash = rest.indexOf('/');
      if (slash === -1) {
        const sha = gitObjectId('blob', content);
        repo.blobs.set(sha, content);
        entries.push({ name: rest, mode: '100644', type: 'blob', sha, size: content.length });
      } else subdirs.add(rest.slice(0, slash));
    }
    for (const sub of subdirs)
      entries.push({ name: sub, mode: '040000', type: 'tree', sha: writeTree(repo, files, `${dir}${sub}/`) });
    // git orders entries by name, a directory's name taken as ending in '/'.
    const sortKey = (entry: TreeEntry) => (entry.type === 'tree' ? `${entry.name}/` : entry.name);
    entries.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    const body = Buffer.concat(
      entries.flatMap((entry) => [
        Buffer.from(`${entry.mode === '040000' ? '40000' : entry.mode} ${entry.name}\0`),
        Buffer.from(entry.sha, 'hex'),
      ]),
    );
    const sha = gitObjectId('tree', body);
    repo.trees.set(sha, entries);
    return sha;
  }

  const toBuffers = (files: Record<string, string | Buffer>) =>
    new Map(
      Object.entries(files).map(([file, content]) => [file, Buffer.isBuffer(content) ? content : Buffer.from(content)]),
    );

  // --- answering requests -------------------------------------------------------------------------

  interface Answer {
    status: number;
    headers?: Record<string, string>;
    body?: unknown;
    contentType?: string;
  }

  const notFound = (doc: string): Answer => ({
    status: 404,
    body: { message: 'Not Found', documentation_url: `${DOCS}/${doc}`, status: '404' } satisfies BasicError,
  });

  function answerApi(method: string, path: string, headers: http.IncomingHttpHeaders): Answer {
    const token = tokenOf(headers.authorization);
    if (token !== undefined && !tokens.has(token)) {
      return {
        status: 401,
        body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } satisfies BasicError,
      };
    }
    const match = /^\/repos\/([^/]+)\/([^/]+)\/(commits|git\/trees|git\/blobs)\/([^?]+)(?:\?.*)?$/.exec(path);
    if (method !== 'GET' || !match) return notFound('');
    const [, owner = '', repo = '', endpoint, rawId = ''] = match;
    const id = decodeURIComponent(rawId);
    const found = repositories.get(keyOf(owner, repo));
    const docs =
      endpoint === 'commits'
        ? 'commits/commits#get-a-commit'
        : endpoint === 'git/trees'
          ? 'git/trees#get-a-tree'
          : 'git/blobs#get-a-blob';
    if (!found || (found.private && token === undefined)) return notFound(docs);
    if (endpoint === 'commits') return answerCommit(found, id, String(headers.accept ?? ''));
    if (endpoint === 'git/trees') return answerTree(found, owner, repo, id);
    return answerBlob(found, owner, repo, id);
  }

  function answerCommit(repo: Repository, ref: string, accept: string): Answer {
    if (!/application\/vnd\.github(\.v3)?\.sha/.test(accept)) {
      return {
        status: 415,
        body: { message: 'githubServer serves commits only as application/vnd.github.sha' } satisfies BasicError,
      };
    }
    if (repo.commits.size === 0) {
      return {
        status: 409,
        body: {
          message: 'Git Repository is empty.',
          documentation_url: `${DOCS}/commits/commits#get-a-commit`,
          status: '409',
        } satisfies BasicError,
      };
    }
    const sha = resolveRef(repo, ref);
    if (!sha) {
      return {
        status: 422,
        body: {
          message: `No commit found for SHA: ${ref}`,
          documentation_url: `${DOCS}/commits/commits#get-a-commit`,
          status: '422',
        } satisfies BasicError,
      };
    }
    return { status: 200, body: sha, contentType: 'application/vnd.github.sha; charset=utf-8' };
  }

  function resolveRef(repo: Repository, ref: string): string | undefined {
    const name = ref === 'HEAD' ? repo.defaultBranch : ref.replace(/^refs\/(heads|tags)\//, '');
    if (repo.refs.has(name)) return repo.refs.get(name);
    if (/^[0-9a-f]{7,40}$/.test(ref)) return [...repo.commits.keys()].find((sha) => sha.startsWith(ref));
    return undefined;
  }

  /** `id` is a tree id, a commit id or a ref name, as GitHub accepts. */
  function answerTree(repo: Repository, owner: string, name: string, id: string): Answer {
    const commit = repo.trees.has(id)
      ? undefined
      : (repo.commits.get(id) ?? repo.commits.get(resolveRef(repo, id) ?? ''));
    const treeSha = commit?.tree ?? id;
    const entries = repo.trees.get(treeSha);
    if (!entries) return notFound('git/trees#get-a-tree');
    const api = `http://api.invalid/repos/${owner}/${name}`;
    const body: GitTree = {
      sha: treeSha,
      url: `${api}/git/trees/${treeSha}`,
      truncated: false,
      tree: entries.map((entry) => ({
        path: entry.name,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        ...(entry.size === undefined ? {} : { size: entry.size }),
        url: `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
      })),
    };
    return { status: 200, body };
  }

  function answerBlob(repo: Repository, owner: string, name: string, id: string): Answer {
    const content = repo.blobs.get(id);
    if (!content) return notFound('git/blobs#get-a-blob');
    const body: Blob = {
      sha: id,
      node_id: Buffer.from(`B:${id}`).toString('base64'),
      size: content.length,
      url: `http://api.invalid/repos/${owner}/${name}/git/blobs/${id}`,
      // GitHub wraps base64 content at 60 characters.
      content: `${(content.toString('base64').match(/.{1,60}/g) ?? []).join('\n')}\n`,
      encoding: 'base64',
    };
    return { status: 200, body };
  }

  function faultAnswer(current: GitHubFault): Answer | 'stall' {
    switch (current.kind) {
      case 'stall':
        return 'stall';
      case 'unavailable':
        return { status: current.status, body: { message: 'Server Error' } satisfies BasicError };
      case 'rate-limit':
        return {
          status: 403,
          headers: {
            'x-ratelimit-limit': '60',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '60',
            'x-ratelimit-resource': 'core',
            'x-ratelimit-reset': String(Math.floor(current.resetAt.getTime() / 1000)),
          },
          body: {
            message:
              "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
            documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
          } satisfies BasicError,
        };
      case 'secondary-rate-limit':
        return {
          status: 429,
          headers: { 'retry-after': String(current.retryAfterSeconds) },
          body: {
            message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url:
              'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          } satisfies BasicError,
        };
    }
  }

  const server = http.createServer((req, res) => {
    const rawPath = req.url ?? '/';
    const inPrefix = rawPath === prefix || rawPath.startsWith(`${prefix}/`);
    const path = inPrefix ? rawPath.slice(prefix.length) || '/' : rawPath;
    const record: RecordedGitHubRequest = {
      method: req.method ?? 'GET',
      path,
      rawPath,
      ...(header(req.headers['if-none-match']) ? { ifNoneMatch: header(req.headers['if-none-match']) } : {}),
      ...(header(req.headers.authorization) ? { authorization: header(req.headers.authorization) } : {}),
      ...(header(req.headers.accept) ? { accept: header(req.headers.accept) } : {}),
      status: 0,
    };
    requests.push(record);
    const outcome = fault ? faultAnswer(fault) : inPrefix ? answerApi(record.method, path, req.headers) : notFound('');
    if (outcome === 'stall') return;
    record.status = send(res, outcome, req.headers);
  });

  function send(res: http.ServerResponse, answer: Answer, headers: http.IncomingHttpHeaders): number {
    const text =
      typeof answer.body === 'string' ? answer.body : answer.body === undefined ? '' : JSON.stringify(answer.body);
    const common: Record<string, string> = {
      'x-github-request-id': randomUUID(),
      'x-github-media-type': 'github.v3; format=json',
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      ...answer.headers,
    };
    if (answer.status === 200) {
      const etag = `W/"${createHash('sha256')
        .update(String(headers.accept ?? ''))
        .update('\n')
        .update(text)
        .digest('hex')}"`;
      common.etag = etag;
      common['cache-control'] = 'private, max-age=60, s-maxage=60';
      if (etagMatches(header(headers['if-none-match']), etag)) {
        res.writeHead(304, common).end();
        return 304;
      }
    }
    res
      .writeHead(answer.status, { ...common, 'content-type': answer.contentType ?? 'application/json; charset=utf-8' })
      .end(text);
    return answer.status;
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let listening = true;

  const stop = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    putRepository(owner, repo, files, repoOptions = {}) {
      const created: Repository = {
        private: repoOptions.private ?? false,
        defaultBranch: repoOptions.defaultBranch ?? 'main',
        refs: new Map(),
        commits: new Map(),
        trees: new Map(),
        blobs: new Map(),
      };
      repositories.set(keyOf(owner, repo), created);
      if (Object.keys(files).length === 0) return undefined;
      const sha = writeCommit(created, toBuffers(files), undefined);
      created.refs.set(created.defaultBranch, sha);
      return sha;
    },
    commit(owner, repo, changes, branch) {
      const found = repository(owner, repo);
      const name = branch ?? found.defaultBranch;
      const parent = found.refs.get(name);
      const files = new Map(parent ? found.commits.get(parent)?.files : []);
      for (const [file, content] of Object.entries(changes)) {
        if (content === null) files.delete(file);
        else files.set(file, Buffer.isBuffer(content) ? content : Buffer.from(content));
      }
      const sha = writeCommit(found, files, parent);
      found.refs.set(name, sha);
      return sha;
    },
    setRef(owner, repo, ref, commit) {
      repository(owner, repo).refs.set(ref, commit);
    },
    deleteRepository(owner, repo) {
      repositories.delete(keyOf(owner, repo));
    },
    fault(next) {
      fault = next;
    },
    clearRequests() {
      requests.length = 0;
    },
    down: stop,
    close: stop,
  };
}

/** git's object id: sha1 over "<type> <length>\0<content>". */
function gitObjectId(type: 'blob' | 'tree' | 'commit', content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function tokenOf(authorization: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(.+)$/i.exec(authorization ?? '');
  return match?.[1];
}

/** If-None-Match uses the weak comparison: W/"x" matches "x". */
function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch === '*' || ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
}
