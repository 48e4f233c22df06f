/**
 * OpenSSH's own encodings of an ed25519 key pair, from its raw bytes: the one-line public key EC2 imports
 * and `authorized_keys` holds, and the unencrypted `openssh-key-v1` private key file `ssh -i` reads
 * (PROTOCOL.key in OpenSSH's source). Node's crypto gives keys as PKCS8/SPKI, which OpenSSH does not read
 * for ed25519, hence these encoders. Pure: the caller brings the key bytes and the check integer.
 */
const ED25519 = 'ssh-ed25519';
const MAGIC = 'openssh-key-v1\0';
/** The cipher "none" pads the private section to 8-byte blocks. */
const BLOCK = 8;
const PEM_WIDTH = 70;

export interface Ed25519KeyBytes {
  /** 32 bytes: the private seed. */
  seed: Uint8Array;
  /** 32 bytes: the public key. */
  publicKey: Uint8Array;
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

/** SSH's `string`: a uint32 length, then the bytes. */
function sshString(bytes: Uint8Array | string): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return Buffer.concat([uint32(data.length), data]);
}

function requireLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new Error(`An ed25519 ${name} has ${length} bytes, not ${bytes.length}.`);
}

/** The public key blob: string "ssh-ed25519", string key. Fingerprints are digests of it. */
export function publicKeyBlob(publicKey: Uint8Array): Buffer {
  requireLength('public key', publicKey, 32);
  return Buffer.concat([sshString(ED25519), sshString(publicKey)]);
}

/** `ssh-ed25519 AAAA… comment`, as in authorized_keys and EC2's ImportKeyPair. */
export function openSshPublicKey(publicKey: Uint8Array, comment = ''): string {
  const line = `${ED25519} ${publicKeyBlob(publicKey).toString('base64')}`;
  return comment ? `${line} ${comment}` : line;
}

/**
 * The `-----BEGIN OPENSSH PRIVATE KEY-----` file, unencrypted (cipher and kdf "none"). `checkInt` is the
 * random number OpenSSH writes twice to detect a wrong passphrase; any value works for an unencrypted key.
 */
export function openSshPrivateKey(key: Ed25519KeyBytes, comment = '', checkInt = 0): string {
  requireLength('seed', key.seed, 32);
  const publicBlob = publicKeyBlob(key.publicKey);
  const unpadded = Buffer.concat([
    uint32(checkInt),
    uint32(checkInt),
    sshString(ED25519),
    sshString(key.publicKey),
    // OpenSSH stores the 64-byte "secret key" of ref10: seed then public key.
    sshString(Buffer.concat([Buffer.from(key.seed), Buffer.from(key.publicKey)])),
    sshString(comment),
  ]);
  const padLength = (BLOCK - (unpadded.length % BLOCK)) % BLOCK;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from(MAGIC, 'binary'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const base64 = body.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += PEM_WIDTH) lines.push(base64.slice(i, i + PEM_WIDTH));
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
}

/** What an `openssh-key-v1` file holds, read back; for tests and for checking a stored key. */
export interface DecodedPrivateKey {
  cipher: string;
  kdf: string;
  publicKey: Buffer;
  seed: Buffer;
  comment: string;
  checkInts: [number, number];
  padding: Buffer;
}

export function decodeOpenSshPrivateKey(text: string): DecodedPrivateKey {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----\n([\s\S]*?)\n-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!match) throw new Error('Not an OpenSSH private key file.');
  const body = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  let offset = 0;
  const take = (length: number): Buffer => {
    if (offset + length > body.length) throw new Error('The OpenSSH private key is truncated.');
    const out = body.subarray(offset, offset + length);
    offset += length;
    return out;
  };
  const readUint32 = () => take(4).readUInt32BE();
  const readString = () => take(readUint32());
  if (take(MAGIC.length).toString('binary') !== MAGIC) throw new Error('The OpenSSH private key lacks its magic.');
  const cipher = readString().toString();
  const kdf = readString().toString();
  readString();
  if (readUint32() !== 1) throw new Error('The OpenSSH private key holds more than one key.');
  const outerPublic = readString();
  const section = readString();
  if (offset !== body.length) throw new Error('The OpenSSH private key has trailing bytes.');

  let inner = 0;
  const innerTake = (length: number): Buffer => {
    if (inner + length > section.length) throw new Error('The private section is truncated.');
    const out = section.subarray(inner, inner + length);
    inner += length;
    return out;
  };
  const innerString = () => innerTake(innerTake(4).readUInt32BE());
  const checkInts: [number, number] = [innerTake(4).readUInt32BE(), innerTake(4).readUInt32BE()];
  if (innerString().toString() !== ED25519) throw new Error('Not an ed25519 key.');
  const publicKey = Buffer.from(innerString());
  const secret = innerString();
  const comment = innerString().toString();
  const padding = Buffer.from(section.subarray(inner));
  if (!publicKeyBlob(publicKey).equals(outerPublic))
    throw new Error('The public key does not match the private section.');
  if (secret.length !== 64 || !secret.subarray(32).equals(publicKey))
    throw new Error('The private section is inconsistent.');
  return { cipher, kdf, publicKey, seed: Buffer.from(secret.subarray(0, 32)), comment, checkInts, padding };
}
