import { z } from 'zod';
import { SHA256_HEX } from './digest.js';
import { isoSeconds } from './isoTime.js';
import { isoTimeField, parseDuration } from './schemas.js';

/**
 * The signed release manifest of a channels source (`release-manifest.json` at the root of its channels
 * directory): every file of the source with its sha256 and length, a `version` that only goes up, and when
 * it `expires`. Its signature (`release-manifest.json.sig`) is an OpenSSH signature (SSHSIG) in the
 * namespace `rack-channels`, so the one thing a rack must trust is the allowed signers file it names
 * in RACK_CHANNEL_SIGNERS; the manifest then vouches for every byte rack reads from the source.
 *
 * Files are named as rack names them in messages: `channels/<path>` inside the channels directory,
 * `migrations/<name>` in the migrations directory beside it, whatever those directories are called.
 */

export const MANIFEST_FILE = 'release-manifest.json';
export const SIGNATURE_FILE = `${MANIFEST_FILE}.sig`;
/** The SSHSIG namespace: a signature made for another purpose (git commits, files) never counts here. */
export const SIGNATURE_NAMESPACE = 'rack-channels';
const MANIFEST_SCHEMA = 1;

/** The manifest and its signature, as messages name them. */
export const MANIFEST_NAME = `channels/${MANIFEST_FILE}`;
export const SIGNATURE_NAME = `channels/${SIGNATURE_FILE}`;

/** A name rack reads: channels/… or migrations/…, relative, without "." or ".." segments. */
export function isSourceFileName(name: string): boolean {
  const segments = name.split('/');
  return (
    (segments[0] === 'channels' || segments[0] === 'migrations') &&
    segments.length >= 2 &&
    segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\\'))
  );
}

const fileEntrySchema = z.strictObject({
  sha256: z.string().regex(SHA256_HEX, { error: 'expected a sha256 digest (64 lowercase hex digits)' }),
  length: z.number().int().min(0, { error: 'expected a length in bytes' }),
});

const manifestSchema = z.strictObject({
  schema: z.literal(MANIFEST_SCHEMA),
  version: z.number().int().min(1, { error: 'expected a whole number of at least 1' }),
  expires: isoTimeField,
  signed: isoTimeField,
  files: z.record(z.string(), fileEntrySchema).superRefine((files, context) => {
    for (const name of Object.keys(files)) {
      if (!isSourceFileName(name)) {
        context.addIssue({ code: 'custom', path: [name], message: 'expected a file name like channels/catalog.yaml' });
      }
    }
  }),
});

export type ReleaseManifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof fileEntrySchema>;

/** The manifest in its text, or every reason it is not one (each "channels/release-manifest.json: …"). */
export function parseManifest(text: string): { manifest: ReleaseManifest } | { problems: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { problems: [`${MANIFEST_NAME}: not JSON (${(error as Error).message})`] };
  }
  const parsed = manifestSchema.safeParse(data);
  if (parsed.success) return { manifest: parsed.data };
  return {
    problems: parsed.error.issues.map(
      (issue) =>
        `${MANIFEST_NAME}: ${issue.path.length ? `${issue.path.map(String).join('.')}: ` : ''}${issue.message}`,
    ),
  };
}

export interface ManifestInput {
  version: number;
  expires: Date;
  signed: Date;
  /** Every file of the source by its name (channels/…, migrations/…), with its digest and length. */
  files: ReadonlyMap<string, ManifestEntry>;
}

/**
 * The manifest's text: keys in a fixed order and files sorted, so that the same source signed twice
 * differs only in its version and times, and a diff of two manifests reads as the files that changed.
 */
export function formatManifest(input: ManifestInput): string {
  const files: Record<string, ManifestEntry> = {};
  for (const name of [...input.files.keys()].sort()) {
    const entry = input.files.get(name)!;
    files[name] = { sha256: entry.sha256, length: entry.length };
  }
  const manifest: ReleaseManifest = {
    schema: MANIFEST_SCHEMA,
    version: input.version,
    expires: isoSeconds(input.expires),
    signed: isoSeconds(input.signed),
    files,
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** What the manifest says about one file rack read: null when it vouches for these bytes. */
export function fileProblem(manifest: ReleaseManifest, name: string, digest: string, length: number): string | null {
  const entry = manifest.files[name];
  if (!entry) return `${name}: not in ${MANIFEST_FILE} (added after it was signed)`;
  if (entry.sha256 !== digest || entry.length !== length) {
    return `${name}: sha256 is ${digest}, ${MANIFEST_FILE} says ${entry.sha256} (changed after it was signed)`;
  }
  return null;
}

/**
 * Files the manifest lists in a directory that the source no longer has there: a deleted migration or
 * channel file changes what racks do as surely as an edited one. `dir` is e.g. "migrations" or "channels".
 */
export function missingFileProblems(manifest: ReleaseManifest, dir: string, present: ReadonlySet<string>): string[] {
  return Object.keys(manifest.files)
    .filter((name) => name.startsWith(`${dir}/`) && !name.slice(dir.length + 1).includes('/') && !present.has(name))
    .sort()
    .map((name) => `${name}: listed in ${MANIFEST_FILE} but missing from the source (deleted after it was signed)`);
}

/** An expired manifest no longer vouches for anything: someone may be serving an old copy (a freeze). */
export function expiryProblem(manifest: ReleaseManifest, now: Date): string | null {
  const expires = Date.parse(manifest.expires);
  if (expires > now.getTime()) return null;
  return `${MANIFEST_NAME}: expired at ${manifest.expires} (version ${manifest.version}); the maintainers sign the channels again with \`rack channel sign\``;
}

/** A manifest older than one this state store has seen for the source: an attempt to roll the source back. */
export function rollbackProblem(manifest: ReleaseManifest, seen: number | undefined): string | null {
  if (seen === undefined || manifest.version >= seen) return null;
  return `${MANIFEST_NAME}: version ${manifest.version} is older than version ${seen}, which this state store has already seen for this source (an old copy served again)`;
}

/**
 * `--expires` of `rack channel sign`: an ISO date ("2027-01-31", the start of that day in UTC), an ISO time
 * with a zone, or a duration from now ("30d", "36h", "1d12h"). A reason in words when it is none of these
 * or not in the future.
 */
export function parseExpires(text: string, now: Date): Date | string {
  const trimmed = text.trim();
  const duration = parseDuration(trimmed);
  let at: Date;
  if (duration !== null) at = new Date(now.getTime() + duration);
  else if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) at = new Date(`${trimmed}T00:00:00Z`);
  else if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) at = new Date(trimmed);
  else return `expected an ISO date (2027-01-31), an ISO time with a zone, or a duration like 30d, got "${text}"`;
  if (Number.isNaN(at.getTime())) return `"${text}" is not a valid date`;
  if (at.getTime() <= now.getTime()) return `${at.toISOString()} is not in the future`;
  return at;
}
