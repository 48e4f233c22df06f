import { generateKeyPairSync, createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeOpenSshPrivateKey,
  openSshPrivateKey,
  openSshPublicKey,
  publicKeyBlob,
} from '../../../src/core/sshKey.js';

/** RFC 8032's first ed25519 test vector: this seed has this public key. */
const SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');

function nodeKeys(seed: Buffer) {
  // PKCS8 prefix for an ed25519 seed (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const raw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x ?? '', 'base64url');
  return { privateKey, raw };
}

describe('openSshPublicKey', () => {
  it('is "ssh-ed25519 <base64 of string type + string key> comment"', () => {
    const line = openSshPublicKey(PUBLIC, 'rack-prod');
    const [type, body, comment] = line.split(' ');
    expect(type).toBe('ssh-ed25519');
    expect(comment).toBe('rack-prod');
    const blob = Buffer.from(body!, 'base64');
    expect(blob.readUInt32BE(0)).toBe(11);
    expect(blob.subarray(4, 15).toString()).toBe('ssh-ed25519');
    expect(blob.readUInt32BE(15)).toBe(32);
    expect(blob.subarray(19)).toEqual(PUBLIC);
    // RFC 8032's first test vector: this seed has this public key.
    expect(nodeKeys(SEED).raw).toEqual(PUBLIC);
    expect(body).toBe('AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea');
  });

  it('has no trailing space without a comment, and refuses a key of the wrong length', () => {
    expect(openSshPublicKey(PUBLIC)).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
    expect(() => openSshPublicKey(PUBLIC.subarray(1))).toThrow('32 bytes');
  });
});

describe('openSshPrivateKey', () => {
  it('writes the openssh-key-v1 layout: none cipher, one key, 8-byte padded private section, 70-column lines', () => {
    const text = openSshPrivateKey({ seed: SEED, publicKey: PUBLIC }, 'rack-prod', 0x01020304);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(lines.at(-1)).toBe('-----END OPENSSH PRIVATE KEY-----');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of lines.slice(1, -2)) expect(line).toHaveLength(70);
    const decoded = decodeOpenSshPrivateKey(text);
    expect(decoded).toMatchObject({
      cipher: 'none',
      kdf: 'none',
      comment: 'rack-prod',
      checkInts: [0x01020304, 0x01020304],
    });
    expect(decoded.seed).toEqual(SEED);
    expect(decoded.publicKey).toEqual(PUBLIC);
    expect([...decoded.padding]).toEqual([...decoded.padding].map((_, i) => i + 1));
    expect(decoded.padding.length).toBeLessThan(8);
  });

  it('round-trips any key and comment, and the key it holds signs what its public key verifies', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string({ maxLength: 40 }),
        fc.nat({ max: 0xffffffff }),
        (seedBytes, comment, checkInt) => {
          const seed = Buffer.from(seedBytes);
          const { privateKey, raw } = nodeKeys(seed);
          const text = openSshPrivateKey({ seed, publicKey: raw }, comment, checkInt);
          const decoded = decodeOpenSshPrivateKey(text);
          expect(decoded.seed).toEqual(seed);
          expect(decoded.publicKey).toEqual(raw);
          expect(decoded.comment).toBe(comment);
          const section =
            4 + 4 + (4 + 11) + (4 + 32) + (4 + 64) + (4 + Buffer.byteLength(comment)) + decoded.padding.length;
          expect(section % 8).toBe(0);
          const message = Buffer.from('keyroll');
          const publicKey = createPublicKey({
            key: { kty: 'OKP', crv: 'Ed25519', x: decoded.publicKey.toString('base64url') },
            format: 'jwk',
          });
          expect(verify(null, message, publicKey, sign(null, message, privateKey))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('matches the public key blob in its outer section', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    const text = openSshPrivateKey({ seed: Buffer.alloc(32, 7), publicKey: raw });
    const body = Buffer.from(text.split('\n').slice(1, -2).join(''), 'base64');
    expect(body.includes(publicKeyBlob(raw))).toBe(true);
  });

  it('decoding refuses what is not such a key', () => {
    expect(() => decodeOpenSshPrivateKey('hello')).toThrow('Not an OpenSSH private key');
    const text = openSshPrivateKey({ seed: SEED, publicKey: PUBLIC });
    const lines = text.split('\n');
    const body = Buffer.from(lines.slice(1, -2).join(''), 'base64');
    const cut = [lines[0], body.subarray(0, 60).toString('base64'), lines.at(-2)].join('\n');
    expect(() => decodeOpenSshPrivateKey(cut)).toThrow(/truncated/);
  });
});
