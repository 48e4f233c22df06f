/**
 * OpenSSH signatures (SSHSIG) made and checked by the installed `ssh-keygen -Y`: rack never implements
 * the cryptography itself. The same tool lets a maintainer sign with a key file, an agent (a public key
 * file whose private half the agent holds) or a hardware key, and rack's signatures are byte for byte
 * what `ssh-keygen -Y sign` writes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isoSeconds } from '../core/isoTime.js';
import { internalError, refused } from '../errors.js';

export type Env = Record<string, string | undefined>;

const PROGRAM = 'ssh-keygen';
const MISSING = `${PROGRAM} (the OpenSSH client tools) is not installed or not on the PATH`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs ssh-keygen with `input` on stdin; null when the program is not there. */
function run(args: string[], input: Buffer, env: Env): Promise<Run | null> {
  return new Promise((resolve, reject) => {
    // The caller's environment, for PATH and SSH_AUTH_SOCK (an agent holding the signing key).
    const child = spawn(PROGRAM, args, { env: { ...env } as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve(null) : reject(error)));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // ssh-keygen may stop reading early (a bad key file); the broken pipe is its answer, not ours to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** ssh-keygen's own words, without its progress lines, for a message. */
function reasonOf(result: Run): string {
  const lines = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^(Signing|Write signature)/.test(line));
  return lines.join('; ') || `ssh-keygen exited with ${result.code}`;
}

export interface SignRequest {
  /** A private key file, or a public key file whose private key an agent (SSH_AUTH_SOCK) holds. */
  keyFile: string;
  namespace: string;
  data: Buffer;
  env: Env;
}

/** The armored signature of `data`, as `ssh-keygen -Y sign -n <namespace> -f <key> <file>` writes it. */
export async function sshSign(request: SignRequest): Promise<string> {
  const result = await run(['-Y', 'sign', '-n', request.namespace, '-f', request.keyFile], request.data, request.env);
  if (!result) {
    throw internalError(`Cannot sign: ${MISSING}.`, {
      untouched: 'Nothing was written.',
      next: 'Install the OpenSSH client (e.g. `apt-get install openssh-client`) and sign again.',
    });
  }
  if (result.code !== 0 || !result.stdout.includes('BEGIN SSH SIGNATURE')) {
    throw refused(`ssh-keygen could not sign with ${request.keyFile}: ${reasonOf(result)}.`, {
      untouched: 'Nothing was written.',
      next: 'Check the key: a private key file (ssh-keygen asks for its passphrase on the terminal), or a public key whose private key is in your ssh-agent.',
      details: { reason: 'sign-failed' },
    });
  }
  return result.stdout;
}

export interface VerifyRequest {
  /** An OpenSSH allowed_signers file (the format git uses). */
  allowedSigners: string;
  namespace: string;
  /** The armored signature. */
  signature: string;
  data: Buffer;
  /** The time the signers' validity (valid-after, valid-before) is checked at. */
  at: Date;
  env: Env;
}

/**
 * The key that made a signature, checked only for being a valid signature of `data` in `namespace`, not
 * for whose key it is (`ssh-keygen -Y check-novalidate`): e.g. "ED25519 key SHA256:…".
 */
export function signingKey(
  request: Omit<VerifyRequest, 'allowedSigners' | 'at'>,
): Promise<{ ok: true; key: string } | { ok: false; problem: string }> {
  return withSignatureFile(request.signature, (signatureFile) => signingKeyAt(signatureFile, request));
}

/** ssh-keygen reads a signature from a file only: one of this user's own for `use`, removed after it. */
async function withSignatureFile<T>(signature: string, use: (signatureFile: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rack-sshsig-'));
  try {
    const signatureFile = path.join(dir, 'signature');
    await writeFile(signatureFile, signature, { mode: 0o600 });
    return await use(signatureFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function signingKeyAt(
  signatureFile: string,
  request: { namespace: string; data: Buffer; env: Env },
): Promise<{ ok: true; key: string } | { ok: false; problem: string }> {
  const made = await run(
    ['-Y', 'check-novalidate', '-n', request.namespace, '-s', signatureFile],
    request.data,
    request.env,
  );
  if (!made) return { ok: false, problem: `it cannot be checked: ${MISSING}` };
  if (made.code !== 0) {
    return {
      ok: false,
      problem: `it is not a valid ${request.namespace} signature of the manifest (${reasonOf(made)})`,
    };
  }
  return { ok: true, key: /with (\S+ key \S+)/.exec(made.stdout)?.[1] ?? 'an unknown key' };
}

export type VerifyResult =
  | { ok: true; principal: string; key: string }
  /**
   * `problem` is a phrase: "it was made by … which is not an allowed signer". `key` is the key that made it,
   * when the signature is intact, whoever's key that is.
   */
  | { ok: false; problem: string; key?: string };

/**
 * Checks a signature the way `git` does: the principal whose key made it is looked up in the allowed signers
 * file (`-Y find-principals`), and the signature verified for that principal and namespace (`-Y verify`),
 * which also honours the file's `namespaces=`, `valid-after=`, `valid-before=` and `cert-authority`.
 */
export function sshVerify(request: VerifyRequest): Promise<VerifyResult> {
  return withSignatureFile(request.signature, async (signatureFile) => {
    const time = `-Overify-time=${isoSeconds(request.at).replace(/[-:T]/g, '')}`;

    // Which key made it, and whether the signature is intact at all, for a message that says which.
    const made = await signingKeyAt(signatureFile, request);
    if (!made.ok) return made;
    const key = made.key;

    const found = await run(
      ['-Y', 'find-principals', '-s', signatureFile, '-f', request.allowedSigners, time],
      Buffer.alloc(0),
      request.env,
    );
    const principal = found?.code === 0 ? found.stdout.split('\n')[0]?.split(',')[0]?.trim() : undefined;
    if (!found || !principal) {
      const why = found ? reasonOf(found).replace(/;?\s*No principal matched\.?/, '') : '';
      return {
        ok: false,
        problem: `it was made with ${key}, which is not an allowed signer in ${request.allowedSigners}${why ? ` (${why})` : ''}`,
        key,
      };
    }

    const verified = await run(
      [
        '-Y',
        'verify',
        '-f',
        request.allowedSigners,
        '-I',
        principal,
        '-n',
        request.namespace,
        '-s',
        signatureFile,
        time,
      ],
      request.data,
      request.env,
    );
    if (verified?.code !== 0) {
      return {
        ok: false,
        problem: `it does not verify for ${principal} (${key}) in ${request.allowedSigners}: ${verified ? reasonOf(verified) : MISSING}`,
        key,
      };
    }
    return { ok: true, principal, key };
  });
}
