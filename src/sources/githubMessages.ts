/**
 * What rack tells the user when GitHub does not give it the channels: a warning when a cached copy
 * stands in, else an error with the next step. Messages name the token's variable, never its value.
 */
import { authError, internalError, usageError, type RackError } from '../errors.js';
import type { GitHubClient, GitHubFailure } from './githubClient.js';

export interface RepositoryNames {
  /** The source as the user wrote it, canonically: github:acme/racks/channels@main. */
  description: string;
  owner: string;
  repo: string;
  ref?: string;
}

type Offline = Extract<GitHubFailure, { kind: 'unreachable' | 'unavailable' | 'rate-limited' }>;

export function isOffline(failure: GitHubFailure): failure is Offline {
  return failure.kind === 'unreachable' || failure.kind === 'unavailable' || failure.kind === 'rate-limited';
}

/** e.g. "GitHub could not be reached (connect ECONNREFUSED 127.0.0.1:9)". */
export function offlineReason(failure: Offline, client: GitHubClient, now: Date): string {
  switch (failure.kind) {
    case 'unreachable':
      return `${client.label} could not be reached (${failure.detail})`;
    case 'unavailable':
      return `${client.label} answered ${failure.status} (unavailable)`;
    case 'rate-limited':
      return `${client.label === 'GitHub' ? "GitHub's API rate limit" : `The API rate limit of ${client.label}`} is used up${failure.resetAt ? ` until ${describeTime(failure.resetAt, now)}` : ''}`;
  }
}

export function cachedCopyWarning(
  failure: Offline,
  client: GitHubClient,
  names: RepositoryNames,
  checkedAt: Date,
  now: Date,
): string {
  return `${offlineReason(failure, client, now)}; using the copy of ${names.description} cached ${describeAge(now.getTime() - checkedAt.getTime())}.`;
}

/** GitHub gave no answer and there is nothing cached to use instead; `what` names the missing part. */
export function noCachedCopyError(
  failure: Offline,
  client: GitHubClient,
  names: RepositoryNames,
  what: string,
  now: Date,
): RackError {
  const local = 'use a local copy of the channels with --channels <dir>';
  const next =
    failure.kind === 'rate-limited'
      ? client.tokenVariable
        ? `Try again${failure.resetAt ? ` after ${describeTime(failure.resetAt, now)}` : ' later'}, or ${local}.`
        : `Set GITHUB_TOKEN (or GH_TOKEN) to a GitHub token for a much higher limit, try again${failure.resetAt ? ` after ${describeTime(failure.resetAt, now)}` : ' later'}, or ${local}.`
      : failure.kind === 'unreachable'
        ? `Check the network connection${client.label === 'GitHub' ? '' : ' and RACK_GITHUB_API_URL'} and try again, or ${local}.`
        : `Try again in a few minutes, or ${local}.`;
  return internalError(`${offlineReason(failure, client, now)}, and ${what} is not cached on this machine yet.`, {
    next,
    details: { source: names.description, failure: failure.kind },
  });
}

/** GitHub answered, and the answer is that the source cannot be read as named. */
export function sourceError(failure: GitHubFailure, client: GitHubClient, names: RepositoryNames): RackError {
  const repository = `${names.owner}/${names.repo}`;
  const token = client.tokenVariable;
  switch (failure.kind) {
    case 'not-found':
      return usageError(
        `${client.label} has no repository ${repository}${token ? ` that the token in ${token} can read` : ''}.`,
        {
          next: token
            ? `Check the owner and repository in ${names.description}, and that the token in ${token} has access to it.`
            : `Check the owner and repository in ${names.description}. A private repository answers "not found" without a token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read it.`,
        },
      );
    case 'unknown-ref':
      return usageError(`The ref "${names.ref ?? 'HEAD'}" names no commit in ${repository}.`, {
        next: 'Name an existing branch, tag or commit after "@", or leave it out to use the default branch.',
      });
    case 'empty':
      return usageError(`The repository ${repository} is empty.`, {
        next: 'Push the channels directory to it, or name another source.',
      });
    case 'denied':
      return authError(
        `${client.label} refused ${token ? `the token in ${token}` : 'the request'} (${failure.status}: ${failure.message}).`,
        {
          next: token
            ? `Check that the token in ${token} is valid and can read ${repository}, or unset it to read a public repository anonymously.`
            : `Set GITHUB_TOKEN (or GH_TOKEN) to a token that can read ${repository}.`,
        },
      );
    default:
      return internalError(
        `${client.label} answered unexpectedly while reading ${names.description} (${describeFailure(failure)}).`,
        {
          next: 'Try again; if it persists, use a local copy of the channels with --channels <dir>.',
        },
      );
  }
}

export function missingDirectoryError(names: RepositoryNames, dir: string, revision: string): RackError {
  return usageError(
    `${names.owner}/${names.repo} has no directory "${dir}" at ${names.ref ?? 'its default branch'} (commit ${revision.slice(0, 12)}).`,
    {
      next: `Check the path in ${names.description}: it names the channels directory (catalog.yaml and one file per channel), with migrations/ beside it.`,
    },
  );
}

function describeFailure(failure: GitHubFailure): string {
  return 'status' in failure ? `${failure.status}${'message' in failure ? `: ${failure.message}` : ''}` : failure.kind;
}

/** "3 hours ago", for the age of a cached copy. */
export function describeAge(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'less than a minute ago';
  if (minutes < 60) return `${count(minutes, 'minute')} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${count(hours, 'hour')} ago`;
  return `${count(Math.floor(hours / 24), 'day')} ago`;
}

/** "14:05 UTC (in 12 minutes)", for when a rate limit resets. */
function describeTime(at: Date, now: Date): string {
  const iso = at.toISOString();
  const sameDay = iso.slice(0, 10) === now.toISOString().slice(0, 10);
  const minutes = Math.ceil((at.getTime() - now.getTime()) / 60_000);
  const when =
    minutes <= 0
      ? 'now'
      : minutes < 120
        ? `in ${count(minutes, 'minute')}`
        : `in ${count(Math.round(minutes / 60), 'hour')}`;
  return `${sameDay ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC (${when})`;
}

const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
