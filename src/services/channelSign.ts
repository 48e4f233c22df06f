/**
 * `rack channel sign`: the release manifest of a local channels directory (every file of the source with
 * its sha256, a version one higher than the last, an expiry) and its OpenSSH signature, made by
 * `ssh-keygen -Y sign -n rack-channels`, exactly as a maintainer would make it by hand. Only a source that
 * verifies is signed: a signature vouches for what `rack channel verify` accepts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { refused, usageError } from '../errors.js';
import { sha256 } from '../core/digest.js';
import { isoSeconds } from '../core/isoTime.js';
import {
  formatManifest,
  MANIFEST_FILE,
  parseExpires,
  parseManifest,
  SIGNATURE_FILE,
  SIGNATURE_NAMESPACE,
  type ManifestEntry,
} from '../core/releaseManifest.js';
import { signingKey, sshSign, sshVerify } from '../io/sshKeygen.js';
import { directorySourceId } from '../sources/source.js';
import { readSeenVersion } from '../state/channelsSeen.js';
import { writableChannelsDir, writeAtomically } from './channelFiles.js';
import { allowedSignersFile, SIGNERS_VARIABLE } from './channelTrust.js';
import { verifyChannels } from './channelVerify.js';

const DEFAULT_EXPIRES = '30d';
const UNKNOWN_KEY = 'an unknown key';

export interface SignRequest {
  /** A private key file, or a public key file whose private key an agent holds. */
  key: string;
  /** An ISO date or time, or a duration from now ("30d"); default 30d. */
  expires?: string;
}

export interface Signed {
  /** The channels directory. */
  dir: string;
  manifest: string;
  signature: string;
  version: number;
  expires: string;
  /** How many files the manifest lists. */
  files: number;
  /** The key that signed, e.g. "ED25519 key SHA256:…". */
  key: string;
}

export async function signChannels(ctx: Context, request: SignRequest): Promise<Signed> {
  const dir = writableChannelsDir(ctx, 'sign');
  const now = ctx.clock.now();
  const expires = parseExpires(request.expires ?? DEFAULT_EXPIRES, now);
  if (typeof expires === 'string') {
    throw usageError(`--expires: ${expires}.`, {
      untouched: 'Nothing was signed.',
      next: 'For example --expires 30d, or --expires 2027-01-31.',
    });
  }
  const keyFile = path.resolve(ctx.io.cwd, request.key);
  if (!(await fs.stat(keyFile).catch(() => undefined))?.isFile()) {
    throw usageError(`The key ${keyFile} does not exist.`, {
      untouched: 'Nothing was signed.',
      next: 'Name an OpenSSH private key with --key (or a public key whose private key your ssh-agent holds).',
    });
  }
  await verifyChannels(ctx, { signature: false });

  const version = (await lastVersion(ctx, dir)) + 1;
  const files = await sourceFiles(dir);
  const manifest = Buffer.from(formatManifest({ version, expires, signed: now, files }), 'utf8');
  const signature = await sshSign({ keyFile, namespace: SIGNATURE_NAMESPACE, data: manifest, env: ctx.env });
  const key = await keyOf(ctx, signature, manifest);

  // The manifest first: a reader in between sees a signature that does not match, and refuses, rather
  // than a signature over files that are not there yet.
  const manifestFile = path.join(dir, MANIFEST_FILE);
  const signatureFile = path.join(dir, SIGNATURE_FILE);
  await writeAtomically(manifestFile, manifest);
  await writeAtomically(signatureFile, signature);
  return {
    dir,
    manifest: manifestFile,
    signature: signatureFile,
    version,
    expires: isoSeconds(expires),
    files: files.size,
    key,
  };
}

/**
 * The version of the manifest there now, or the highest this state store has seen for the directory: a
 * new manifest must be newer than any a rack may have seen, or racks would refuse it as a rollback.
 */
async function lastVersion(ctx: Context, dir: string): Promise<number> {
  const seen = (await readSeenVersion(ctx.state, directorySourceId(dir))) ?? 0;
  const text = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return seen;
  const parsed = parseManifest(text);
  if ('problems' in parsed) {
    throw refused(`The ${MANIFEST_FILE} in ${dir} cannot be read, so the next version is not known.`, {
      problems: parsed.problems,
      untouched: 'Nothing was signed.',
      next: `Restore it from version control (the next manifest must be newer than every one racks have seen), then sign again.`,
      details: { reason: 'invalid-manifest' },
    });
  }
  return Math.max(parsed.manifest.version, seen);
}

/**
 * Every file of the source, by the names a rack reads them under: all files in the channels directory and
 * its subdirectories (templates), and in the migrations directory beside it. Dot files (rack's own lock and
 * temporary files, editors' backups) and the manifest and its signature are left out.
 */
async function sourceFiles(dir: string): Promise<Map<string, ManifestEntry>> {
  const files = new Map<string, ManifestEntry>();
  const add = async (name: string, file: string) => {
    const bytes = await fs.readFile(file);
    files.set(name, { sha256: sha256(bytes), length: bytes.length });
  };
  const walk = async (absolute: string, relative: string[]): Promise<void> => {
    for (const entry of await fs.readdir(absolute, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const file = path.join(absolute, entry.name);
      const segments = [...relative, entry.name];
      if (entry.isDirectory()) await walk(file, segments);
      else if ((await fs.stat(file).catch(() => undefined))?.isFile()) {
        if (relative.length === 0 && (entry.name === MANIFEST_FILE || entry.name === SIGNATURE_FILE)) continue;
        await add(`channels/${segments.join('/')}`, file);
      }
    }
  };
  await walk(dir, []);
  const migrations = path.join(path.dirname(dir), 'migrations');
  const names = await fs.readdir(migrations).catch(() => [] as string[]);
  for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
    const file = path.join(migrations, name);
    if ((await fs.stat(file).catch(() => undefined))?.isFile()) await add(`migrations/${name}`, file);
  }
  return files;
}

/**
 * The key that made the signature. A maintainer signing on a machine that trusts other signers hears about
 * it before racks refuse it; that check names the key too, so ssh-keygen checks the signature once.
 */
async function keyOf(ctx: Context, signature: string, manifest: Buffer): Promise<string> {
  const request = { namespace: SIGNATURE_NAMESPACE, signature, data: manifest, env: ctx.env };
  const allowedSigners = allowedSignersFile(ctx);
  if (!allowedSigners) {
    const made = await signingKey(request);
    return made.ok ? made.key : UNKNOWN_KEY;
  }
  const result = await sshVerify({ ...request, allowedSigners, at: ctx.clock.now() });
  if (!result.ok) {
    ctx.events.emit({
      type: 'warning',
      text: `Racks that trust ${allowedSigners} (${SIGNERS_VARIABLE}) will refuse this signature: ${result.problem}.`,
    });
  }
  return result.key ?? UNKNOWN_KEY;
}
