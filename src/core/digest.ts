/** The sha256 digests rack records and checks (catalog, release manifest, migrations): lowercase hex. */
import { createHash } from 'node:crypto';

/** 64 lowercase hex digits, as `sha256` writes a digest. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
