/**
 * Whether a channels source may be trusted, and with what: its signed release manifest checked against
 * RACK_CHANNEL_SIGNERS (signature by an allowed signer, every file read matching its digest, not expired,
 * not older than a version already seen), the age of a cached GitHub copy (freeze), and, for a source no
 * verified signature covers, each migration against the digest the catalog gives it.
 *
 * Commands that write to a rack refuse on any problem (exit 3, naming each file and what is wrong);
 * read-only commands show the same problems as warnings. See docs/security.md for the threat model.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { refused, usageError } from '../errors.js';
import type { Catalog } from '../core/channels/catalog.js';
import { sha256 } from '../core/digest.js';
import { migrationDigestProblems } from '../core/migrations.js';
import {
  expiryProblem,
  fileProblem,
  MANIFEST_FILE,
  MANIFEST_NAME,
  missingFileProblems,
  parseManifest,
  rollbackProblem,
  SIGNATURE_FILE,
  SIGNATURE_NAME,
  SIGNATURE_NAMESPACE,
  type ReleaseManifest,
} from '../core/releaseManifest.js';
import { parseDuration } from '../core/schemas.js';
import { sshVerify } from '../io/sshKeygen.js';
import { describeAge } from '../sources/githubMessages.js';
import type { ChannelSource } from '../sources/source.js';
import { readSeenVersion, recordSeenVersion } from '../state/channelsSeen.js';

export const SIGNERS_VARIABLE = 'RACK_CHANNEL_SIGNERS';
const MAX_AGE_VARIABLE = 'RACK_CHANNELS_MAX_AGE';
const DEFAULT_MAX_AGE = '24h';

export type TrustProblemKind = 'signature' | 'file' | 'expired' | 'rollback' | 'freeze' | 'migration-digest';

export interface TrustProblem {
  kind: TrustProblemKind;
  /** "<file>: <what is wrong>". */
  text: string;
}

export interface ChannelTrust {
  /**
   * unsigned: no manifest, and none asked for; unchecked: a manifest, but RACK_CHANNEL_SIGNERS is unset so
   * nobody's signature counts; verified: signed by an allowed signer; untrusted: RACK_CHANNEL_SIGNERS is set
   * and the signature is missing or does not verify.
   */
  status: 'unsigned' | 'unchecked' | 'verified' | 'untrusted';
  /** The allowed signer (principal) and key that signed it, when verified. */
  signer?: string;
  key?: string;
  /** The manifest, when it parses (its word counts only when verified). */
  manifest?: ReleaseManifest;
  problems: TrustProblem[];
}

/** The files of a source as a command read them, by the names messages use (channels/…, migrations/…). */
export interface SourceRead {
  files: ReadonlyMap<string, Buffer>;
  /** Directories listed in full ("channels", "migrations", "channels/templates") with every name found. */
  listed: ReadonlyMap<string, readonly string[]>;
}

/** The allowed signers file RACK_CHANNEL_SIGNERS names (relative to the working directory); undefined when unset. */
export function allowedSignersFile(ctx: Context): string | undefined {
  const signers = ctx.env[SIGNERS_VARIABLE]?.trim();
  return signers ? path.resolve(ctx.io.cwd, signers) : undefined;
}

/**
 * The signature and the files read so far. With RACK_CHANNEL_SIGNERS unset, a source is taken as it is
 * (status unsigned or unchecked) and no problem is found here.
 */
export async function checkSignature(
  ctx: Context,
  source: ChannelSource,
  read: SourceRead,
  options: { compareUnchecked?: boolean } = {},
): Promise<ChannelTrust> {
  const allowedSigners = allowedSignersFile(ctx);
  if (!allowedSigners && !options.compareUnchecked) {
    const signed = read.listed.get('channels')?.includes(MANIFEST_FILE) ?? false;
    // Nothing to check. From GitHub the files are still read while it answers, so that the cache holds them
    // for a later write that does check them; a copy that lacks them does not stop a read.
    if (signed && source.kind === 'github' && !source.cachedCopy) {
      await Promise.all([source.readChannelFile(MANIFEST_FILE), source.readChannelFile(SIGNATURE_FILE)]).catch(
        () => undefined,
      );
    }
    return { status: signed ? 'unchecked' : 'unsigned', problems: [] };
  }
  const [manifestBytes, signature] = await Promise.all([
    source.readChannelFile(MANIFEST_FILE),
    source.readChannelFile(SIGNATURE_FILE),
  ]);
  const parsed = manifestBytes ? parseManifest(manifestBytes.toString('utf8')) : undefined;
  const manifest = parsed && 'manifest' in parsed ? parsed.manifest : undefined;
  if (!allowedSigners) {
    if (!manifestBytes) return { status: 'unsigned', problems: [] };
    // Nobody's signature counts here (only `rack channel verify` gets this far without signers), but racks
    // that do check it would find these.
    const problems: TrustProblem[] = [];
    if (parsed && 'problems' in parsed) {
      problems.push(...parsed.problems.map((text) => ({ kind: 'file' as const, text })));
    }
    if (manifest) problems.push(...manifestProblems(ctx, manifest, read));
    return { status: 'unchecked', ...(manifest ? { manifest } : {}), problems };
  }

  const problems: TrustProblem[] = [];
  const untrusted = (text: string): ChannelTrust => ({
    status: 'untrusted',
    ...(manifest ? { manifest } : {}),
    problems: [...problems, { kind: 'signature', text }],
  });
  if (!manifestBytes) {
    return untrusted(
      `${MANIFEST_NAME}: missing: ${source.description} is not signed, and ${SIGNERS_VARIABLE} asks for channels signed by an allowed signer`,
    );
  }
  if (!signature) return untrusted(`${SIGNATURE_NAME}: missing: the manifest is not signed`);
  const readable = await fs.access(allowedSigners).then(
    () => null,
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );
  if (readable) {
    return untrusted(
      `${SIGNATURE_NAME}: cannot be checked: ${SIGNERS_VARIABLE} names ${allowedSigners}, which cannot be read (${readable})`,
    );
  }
  const verified = await sshVerify({
    allowedSigners,
    namespace: SIGNATURE_NAMESPACE,
    signature: signature.toString('utf8'),
    data: manifestBytes,
    at: ctx.clock.now(),
    env: ctx.env,
  });
  if (!verified.ok) return untrusted(`${SIGNATURE_NAME}: ${verified.problem}`);
  // A well signed text that is not a manifest is a maintainer's mistake, still nothing to trust.
  if (!manifest) {
    const why = parsed && 'problems' in parsed ? parsed.problems.join('; ') : 'unreadable';
    return untrusted(`${MANIFEST_NAME}: signed, but not a release manifest: ${why}`);
  }

  problems.push(...manifestProblems(ctx, manifest, read));
  const rolledBack = rollbackProblem(manifest, await readSeenVersion(ctx.state, source.id));
  if (rolledBack) problems.push({ kind: 'rollback', text: rolledBack });
  return { status: 'verified', signer: verified.principal, key: verified.key, manifest, problems };
}

/** The files read against the manifest, and its expiry. */
function manifestProblems(ctx: Context, manifest: ReleaseManifest, read: SourceRead): TrustProblem[] {
  const problems: TrustProblem[] = [];
  for (const [name, bytes] of read.files) {
    const problem = fileProblem(manifest, name, sha256(bytes), bytes.length);
    if (problem) problems.push({ kind: 'file', text: problem });
  }
  for (const [dir, names] of read.listed) {
    const present = new Set(names.map((name) => `${dir}/${name}`));
    for (const text of missingFileProblems(manifest, dir, present)) problems.push({ kind: 'file', text });
  }
  const expired = expiryProblem(manifest, ctx.clock.now());
  if (expired) problems.push({ kind: 'expired', text: expired });
  return problems;
}

/** What the verified manifest says of a file read later (a release's template); null when all is well. */
export function laterFileProblem(trust: ChannelTrust, name: string, digest: string, length: number): string | null {
  if (!trust.manifest || (trust.status !== 'verified' && trust.status !== 'untrusted')) return null;
  return fileProblem(trust.manifest, name, digest, length);
}

/**
 * A cached GitHub copy stands in for the source only while something bounds how stale it may be: a verified
 * manifest that has not expired, else RACK_CHANNELS_MAX_AGE (24h by default) since GitHub last confirmed it.
 * Otherwise a yank or barrier published since could be missed for as long as GitHub stays out of reach.
 */
export function freezeProblem(ctx: Context, source: ChannelSource, trust: ChannelTrust): TrustProblem | null {
  const cached = source.cachedCopy;
  if (!cached || trust.status === 'verified') return null;
  const maxAge = maxCacheAge(ctx);
  const age = ctx.clock.now().getTime() - cached.checkedAt.getTime();
  if (age <= maxAge.ms) return null;
  return {
    kind: 'freeze',
    text: `${source.description}: the cached copy was last confirmed ${describeAge(age)}, longer than ${MAX_AGE_VARIABLE} (${maxAge.text}) allows for a write, so a yank or barrier published since could be missed; it could not be refreshed: ${cached.reason}`,
  };
}

function maxCacheAge(ctx: Context): { ms: number; text: string } {
  const text = ctx.env[MAX_AGE_VARIABLE]?.trim() || DEFAULT_MAX_AGE;
  const ms = parseDuration(text);
  if (ms === null) {
    throw usageError(`${MAX_AGE_VARIABLE} is "${text}", which is not a duration.`, {
      untouched: 'Nothing was changed.',
      next: `Set it to a duration like 24h, 2d or 90m, or unset it for the default ${DEFAULT_MAX_AGE}.`,
    });
  }
  return { ms, text };
}

/** The migrations of a source no verified signature covers, against the digests in its catalog. */
export function migrationProblems(
  trust: ChannelTrust,
  catalog: Catalog,
  migrations: readonly { file: string; bytes: Buffer }[],
): TrustProblem[] {
  if (trust.status === 'verified') return [];
  const files = migrations.map(({ file, bytes }) => ({ file, sha256: sha256(bytes) }));
  return migrationDigestProblems(files, catalog).map((text) => ({ kind: 'migration-digest', text }));
}

/**
 * For a write: refuses (exit 3) on any problem, else remembers the manifest's version for this source (unless
 * `remember` is false: more checks follow), so that an older one is refused from now on. For a read: each
 * problem becomes a warning.
 */
export async function enforceTrust(
  ctx: Context,
  source: ChannelSource,
  trust: ChannelTrust,
  problems: readonly TrustProblem[],
  forWrite: boolean,
  options: { remember?: boolean } = {},
): Promise<void> {
  if (!forWrite) {
    for (const problem of problems) ctx.events.emit({ type: 'warning', text: problem.text });
    return;
  }
  if (problems.length > 0) throw untrustedSource(source, problems);
  if ((options.remember ?? true) && trust.status === 'verified' && trust.manifest) {
    await recordSeenVersion(ctx.state, source.id, trust.manifest.version, ctx.clock.now());
  }
}

function untrustedSource(source: ChannelSource, problems: readonly TrustProblem[]) {
  const kinds = new Set(problems.map((problem) => problem.kind));
  const next: string[] = [];
  if (kinds.has('signature') || kinds.has('file') || kinds.has('expired'))
    next.push(
      `the channel maintainers check the changes and sign the channels again (\`rack channel sign\`); check that ${SIGNERS_VARIABLE} names the right allowed signers file`,
    );
  if (kinds.has('rollback'))
    next.push(
      'find out who serves an older copy of the channels: this machine has seen a newer signed one; use that source',
    );
  if (kinds.has('freeze'))
    next.push(
      `let rack reach GitHub again, use a local copy of the channels with --channels <dir>, or sign the channels so that a cached copy serves until its manifest expires (raising ${MAX_AGE_VARIABLE} accepts missing what was published meanwhile)`,
    );
  if (kinds.has('migration-digest'))
    next.push(
      'the channel maintainers restore the migration, or record its digest in the catalog once they have checked it (`rack channel verify` gives the line)',
    );
  return refused(
    `The channels source ${source.description} cannot be trusted for a write (${problems.length} problem${problems.length === 1 ? '' : 's'}).`,
    {
      problems: problems.map((problem) => problem.text),
      untouched: 'Nothing was written to any stack.',
      next: `${next.map((step) => step.charAt(0).toUpperCase() + step.slice(1)).join('. ')}. \`rack channel verify\` shows the same problems.`,
      details: { reason: 'untrusted-source', source: source.description, problems: [...kinds] },
    },
  );
}
