/**
 * OpenSSH itself reads the keys rack generates: `ssh-keygen -y` derives the same public key from the
 * private key file, and `ssh-keygen -l` gives the same fingerprint rack records.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context.js';
import { generateKey } from '../../../src/services/rackKeys.js';
import { PassThrough } from 'node:stream';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rack-sshkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context() {
  let stderr = '';
  const ctx = createContext(
    {
      argv: [],
      env: {},
      cwd: dir,
      stdin: new PassThrough(),
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
    },
    { json: false, yes: false, debug: true },
  );
  return { ctx, stderr: () => stderr };
}

describe('generated keys, read by OpenSSH', () => {
  it('ssh-keygen -y gives the public key, -l the fingerprint', () => {
    for (let i = 0; i < 5; i++) {
      const { ctx } = context();
      const key = generateKey(ctx, `rack-test-${i}`);
      const file = path.join(dir, `id-${i}`);
      writeFileSync(file, key.privateKey, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
      // ssh-keygen -y prints the comment stored in the private key (OpenSSH 8+).
      expect(derived.split(' ').slice(0, 2)).toEqual(key.publicKey.split(' ').slice(0, 2));
      const listed = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
      expect(listed).toContain(key.fingerprint);
      expect(listed).toContain('(ED25519)');
    }
  });

  it('registers the private key as a secret: no line of it can be logged', () => {
    const { ctx, stderr } = context();
    const key = generateKey(ctx, 'rack-secret');
    ctx.logger.info(key.privateKey);
    for (const line of key.privateKey.split('\n')) ctx.logger.warn(`line: ${line}`);
    const body = key.privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of body.filter((l) => l.length >= 4)) expect(stderr()).not.toContain(line);
    expect(stderr()).toContain('****');
  });
});
