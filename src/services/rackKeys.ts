/**
 * The rack's SSH keys: generated here (ed25519, OpenSSH formats), imported into EC2 by public key
 * only, and kept in the settings bucket under SSE-KMS with the rack's key — pending while the stack
 * update that makes instances use it runs, active once it succeeded. Private key material is registered
 * with the logger as a secret the moment it exists, so no line rack prints can show it.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { parameterValue, type StackSummary } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { deleteObject, getObjectText, putPrivateObject, type SettingsBucket } from '../aws/keys.js';
import type { Context } from '../context.js';
import { internalError, refused } from '../errors.js';
import { ACTIVE_KEY_OBJECT, activeKeySchema, keyObject, pendingKeyObject, type ActiveKey } from '../core/keyroll.js';
import { openSshPrivateKey, openSshPublicKey, publicKeyBlob } from '../core/sshKey.js';
import type { Rack } from '../state/registry.js';

export interface GeneratedKey {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

/** OpenSSH's `SHA256:<base64, unpadded>` fingerprint of a public key blob. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Every form of the private key that could end up in a line of text. */
function registerPrivateKey(ctx: Context, privateKey: string): void {
  ctx.logger.addSecret(privateKey);
  ctx.logger.addSecret(privateKey.trim());
  for (const line of privateKey.split('\n')) if (!line.startsWith('-----')) ctx.logger.addSecret(line.trim());
}

export function generateKey(ctx: Context, comment: string): GeneratedKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const publicKey = Buffer.from(jwk.x ?? '', 'base64url');
  for (const encoding of ['base64', 'base64url', 'hex'] as const) ctx.logger.addSecret(seed.toString(encoding));
  const text = openSshPrivateKey({ seed, publicKey }, comment, randomBytes(4).readUInt32BE());
  registerPrivateKey(ctx, text);
  return {
    publicKey: openSshPublicKey(publicKey, comment),
    privateKey: text,
    fingerprint: fingerprintOf(publicKeyBlob(publicKey)),
  };
}

/**
 * The settings bucket and KMS key of the stack (rack template contract); refused when either output is
 * missing, since the key is stored no other way.
 */
export function settingsOf(rack: Rack, stack: StackSummary): SettingsBucket {
  const bucket = stack.outputs.SettingsBucket;
  const kmsKeyId = stack.outputs.EncryptionKey;
  const missing = [!bucket && 'the SettingsBucket output', !kmsKeyId && 'the EncryptionKey output'].filter(
    Boolean,
  ) as string[];
  if (missing.length > 0 || !bucket || !kmsKeyId) {
    throw refused(
      `Stack ${stack.name} of rack ${rack.name} does not follow the rack template contract, so rack has nowhere safe to keep an SSH key.`,
      {
        problems: missing.map((m) => `it lacks ${m}`),
        untouched: 'Nothing was changed.',
        next: 'See "The rack template contract": the stack needs SettingsBucket and EncryptionKey outputs.',
      },
    );
  }
  return { bucket, kmsKeyId };
}

export const stackKey = (stack: StackSummary): string => parameterValue(stack, 'Key') ?? '';

export async function storePendingKey(
  aws: AwsClients,
  settings: SettingsBucket,
  keyName: string,
  privateKey: string,
): Promise<void> {
  await putPrivateObject(aws, settings, pendingKeyObject(keyName), privateKey, 'application/x-pem-file');
}

async function readPendingKey(
  ctx: Context,
  aws: AwsClients,
  settings: SettingsBucket,
  keyName: string,
): Promise<string | undefined> {
  const text = await getObjectText(aws, settings.bucket, pendingKeyObject(keyName));
  if (text !== undefined) registerPrivateKey(ctx, text);
  return text;
}

export async function discardPendingKey(aws: AwsClients, settings: SettingsBucket, keyName: string): Promise<void> {
  await deleteObject(aws, settings.bucket, pendingKeyObject(keyName));
}

export async function readActiveKey(aws: AwsClients, settings: SettingsBucket): Promise<ActiveKey | undefined> {
  const text = await getObjectText(aws, settings.bucket, ACTIVE_KEY_OBJECT);
  if (text === undefined) return undefined;
  const parsed = activeKeySchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw internalError(`s3://${settings.bucket}/${ACTIVE_KEY_OBJECT} is not a key description rack can read.`, {
      untouched: 'It was left as it is.',
      next: 'Run `rack instances keyroll` to roll a new key, which rewrites it.',
    });
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The active key's private key, registered as a secret; undefined when the rack has no key yet. */
export async function readActivePrivateKey(
  ctx: Context,
  aws: AwsClients,
  settings: SettingsBucket,
): Promise<{ active: ActiveKey; privateKey: string } | undefined> {
  const active = await readActiveKey(aws, settings);
  if (!active) return undefined;
  const privateKey = await getObjectText(aws, settings.bucket, active.object);
  if (privateKey === undefined) {
    throw internalError(
      `The active SSH key ${active.keyName} is missing from s3://${settings.bucket}/${active.object}.`,
      {
        next: 'Run `rack instances keyroll` to roll a new key.',
      },
    );
  }
  registerPrivateKey(ctx, privateKey);
  return { active, privateKey };
}

/**
 * Makes a pending key the active one: stored under its own name, named in ssh/active.json, and the
 * pending copy removed. Safe to repeat: a key already active is left as it is.
 */
export async function promoteKey(
  ctx: Context,
  aws: AwsClients,
  settings: SettingsBucket,
  key: { keyName: string; fingerprint: string },
): Promise<void> {
  const pending = await readPendingKey(ctx, aws, settings, key.keyName);
  if (pending === undefined) {
    const active = await readActiveKey(aws, settings);
    if (active?.keyName === key.keyName) return;
    throw internalError(`The private key of ${key.keyName} is neither pending nor active in s3://${settings.bucket}.`, {
      untouched: `The stack names key pair ${key.keyName}; instances launched from now on get it.`,
      next: 'Run `rack instances keyroll` again: it rolls a new key.',
    });
  }
  await putPrivateObject(aws, settings, keyObject(key.keyName), pending, 'application/x-pem-file');
  const active: ActiveKey = {
    schema: 1,
    keyName: key.keyName,
    fingerprint: key.fingerprint,
    createdAt: ctx.clock.now().toISOString(),
    object: keyObject(key.keyName),
  };
  await putPrivateObject(aws, settings, ACTIVE_KEY_OBJECT, `${JSON.stringify(active, null, 2)}\n`, 'application/json');
  await discardPendingKey(aws, settings, key.keyName);
}

export async function deleteStoredKey(aws: AwsClients, settings: SettingsBucket, keyName: string): Promise<void> {
  await deleteObject(aws, settings.bucket, keyObject(keyName));
}
