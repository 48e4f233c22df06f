/**
 * The Octokit client for GitHub sources, and what its failures mean for rack. Requests never hang
 * (each has a time limit) and are never retried here: a failure is answered from the cache or
 * reported, at once.
 */
import { isIPv4 } from 'node:net';
import { Octokit } from '@octokit/rest';
import { refused, usageError } from '../errors.js';
import type { Env } from './channelSource.js';

export const DEFAULT_API_URL = 'https://api.github.com';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface GitHubClientOptions {
  env: Env;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  debug?: (message: string) => void;
}

export interface GitHubClient {
  octokit: Octokit;
  /** The API root, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  baseUrl: string;
  /** 'GitHub', or 'GitHub at <base URL>' for GitHub Enterprise, for messages. */
  label: string;
  /** The variable the token came from (its name only, never its value), if any. */
  tokenVariable?: 'GITHUB_TOKEN' | 'GH_TOKEN';
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = (options.env.RACK_GITHUB_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
  const tokenVariable = options.env.GITHUB_TOKEN ? 'GITHUB_TOKEN' : options.env.GH_TOKEN ? 'GH_TOKEN' : undefined;
  const token = tokenVariable ? options.env[tokenVariable] : undefined;
  const api = apiUrl(baseUrl);
  if (tokenVariable && !mayCarryToken(api)) {
    throw refused(`rack sends the GitHub token only over https, and RACK_GITHUB_API_URL is ${baseUrl}.`, {
      untouched: `Nothing was sent to ${api.host}.`,
      next: `Set RACK_GITHUB_API_URL to the https:// address of the API (e.g. https://${api.host}/api/v3), or unset ${tokenVariable} to read a public repository without a token.`,
      details: { reason: 'token-over-http' },
    });
  }
  const octokit = new Octokit({
    ...(token ? { auth: token } : {}),
    baseUrl,
    userAgent: 'rack',
    // Octokit's request log prints every failure, 304s included, to the console; rack reports its own way.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    request: {
      fetch: boundedFetch(options.fetch ?? globalThis.fetch, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.debug),
    },
  });
  return {
    octokit,
    baseUrl,
    label: baseUrl === DEFAULT_API_URL ? 'GitHub' : `GitHub at ${baseUrl}`,
    ...(tokenVariable ? { tokenVariable } : {}),
  };
}

function apiUrl(baseUrl: string): URL {
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw usageError(`RACK_GITHUB_API_URL is not the address of a GitHub API: ${JSON.stringify(baseUrl)}.`, {
      next: 'Set it to https://<host>/api/v3 for GitHub Enterprise Server (no credentials in it), or unset it for github.com.',
    });
  }
  return url;
}

/**
 * The token travels only over https. Loopback is the exception, for a GitHub stand-in on this machine (the
 * tests' server): nothing on the network can read it there. A redirect to another origin drops the token
 * (fetch's rule), so it never follows the request elsewhere either.
 */
function mayCarryToken(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}

/** The name given to errors of requests that got no answer at all. */
const UNREACHABLE = 'GitHubUnreachable';

function boundedFetch(
  base: typeof globalThis.fetch,
  timeoutMs: number,
  debug: ((message: string) => void) | undefined,
): typeof globalThis.fetch {
  return async (input, init) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const started = Date.now();
    const label = `${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`;
    try {
      const response = await base(input, { ...init, signal });
      debug?.(`github ${label} ${response.status} ${Date.now() - started}ms`);
      return response;
    } catch (error) {
      const detail = signal.aborted ? `no answer within ${timeoutMs / 1000} s` : networkDetail(error);
      debug?.(`github ${label} failed: ${detail}`);
      // Not an AbortError, so that Octokit wraps it like any other network failure.
      const unreachable = new Error(detail, { cause: error });
      unreachable.name = UNREACHABLE;
      throw unreachable;
    }
  };
}

function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } }).cause;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export type GitHubFailure =
  /** No answer: connection refused, DNS failure, time limit. */
  | { kind: 'unreachable'; detail: string }
  /** GitHub answered 5xx. */
  | { kind: 'unavailable'; status: number }
  /** Primary (403, x-ratelimit-remaining: 0) or secondary (429 or 403 with retry-after) rate limit. */
  | { kind: 'rate-limited'; resetAt?: Date }
  | { kind: 'not-found' }
  /** 422: GitHub knows no commit for the ref. */
  | { kind: 'unknown-ref' }
  /** 409: the repository has no commits. */
  | { kind: 'empty' }
  | { kind: 'denied'; status: 401 | 403; message: string }
  | { kind: 'not-modified' }
  | { kind: 'other'; status: number; message: string };

interface OctokitErrorShape {
  status?: unknown;
  message?: unknown;
  cause?: { name?: unknown };
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

/** Classifies a failure thrown by Octokit by its fields (never by instanceof). Anything else is rethrown. */
export function classifyFailure(error: unknown, now: Date): GitHubFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as OctokitErrorShape;
  if (e.cause?.name === UNREACHABLE) return { kind: 'unreachable', detail: String(e.message) };
  if (typeof e.status !== 'number' || !e.response) throw error;
  const headers = e.response.headers ?? {};
  const message = githubMessage(e.response.data) ?? String(e.message);
  const status = e.status;
  if (status === 304) return { kind: 'not-modified' };
  if (status === 429 || (status === 403 && isRateLimit(headers, message)))
    return { kind: 'rate-limited', ...resetOf(headers, now) };
  if (status === 401 || status === 403) return { kind: 'denied', status, message };
  if (status === 404) return { kind: 'not-found' };
  if (status === 409) return { kind: 'empty' };
  if (status === 422) return { kind: 'unknown-ref' };
  if (status >= 500) return { kind: 'unavailable', status };
  return { kind: 'other', status, message };
}

function isRateLimit(headers: Record<string, string | undefined>, message: string): boolean {
  return (
    headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(message)
  );
}

function resetOf(headers: Record<string, string | undefined>, now: Date): { resetAt?: Date } {
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter))
    return { resetAt: new Date(now.getTime() + retryAfter * 1000) };
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-reset'] !== undefined && Number.isFinite(reset)) return { resetAt: new Date(reset * 1000) };
  return {};
}

function githubMessage(data: unknown): string | undefined {
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}
