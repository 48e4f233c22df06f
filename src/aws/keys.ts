/**
 * The rack's private data in its settings bucket (the stack output `SettingsBucket`), encrypted with
 * its KMS key (the output `EncryptionKey`). Every object is put with SSE-KMS under that key and checked
 * afterwards: an object S3 does not report as encrypted with it, or that anyone else may read, is
 * deleted again and refused. No ACL is ever sent, so objects stay private to the bucket's owner.
 */
import {
  DeleteObjectCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { refused } from '../errors.js';
import type { AwsClients } from './clients.js';
import { awsErrorName, toRackError } from './errors.js';

export interface SettingsBucket {
  bucket: string;
  /** The KMS key's ARN (or id), from the stack output `EncryptionKey`. */
  kmsKeyId: string;
}

const PUBLIC_GRANTEES = /\/global\/(AllUsers|AuthenticatedUsers)$/;

/** True when two ways of naming a KMS key (ARN or bare id) name the same key. */
function sameKmsKey(reported: string | undefined, expected: string): boolean {
  if (!reported) return false;
  if (reported === expected) return true;
  const id = (value: string) => value.replace(/^arn:[^:]+:kms:[^:]*:[^:]*:key\//, '');
  return id(reported) === id(expected);
}

export async function putPrivateObject(
  aws: AwsClients,
  where: SettingsBucket,
  key: string,
  body: string,
  contentType = 'application/octet-stream',
): Promise<void> {
  const s3 = await aws.s3();
  const doing = `storing s3://${where.bucket}/${key}`;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: where.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: where.kmsKeyId,
      }),
    );
  } catch (error) {
    throw toRackError(error, { doing });
  }
  const problems = await storageProblems(aws, where, key);
  if (problems.length > 0) {
    await deleteObject(aws, where.bucket, key).catch(() => undefined);
    throw refused(`S3 did not store s3://${where.bucket}/${key} the way rack requires, so it was removed again.`, {
      problems,
      next: "Check the settings bucket's encryption and ACL settings, and that the KMS key of the stack output EncryptionKey exists.",
    });
  }
}

/** Why the stored object is not private and SSE-KMS under the rack's key; empty when it is. */
async function storageProblems(aws: AwsClients, where: SettingsBucket, key: string): Promise<string[]> {
  const s3 = await aws.s3();
  const problems: string[] = [];
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: where.bucket, Key: key }));
    if (head.ServerSideEncryption !== 'aws:kms') {
      problems.push(`it is encrypted with ${head.ServerSideEncryption ?? 'nothing'}, not aws:kms`);
    } else if (!sameKmsKey(head.SSEKMSKeyId, where.kmsKeyId)) {
      problems.push(
        `it is encrypted under KMS key ${head.SSEKMSKeyId ?? '(none named)'}, not the rack's key ${where.kmsKeyId}`,
      );
    }
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: where.bucket, Key: key }));
    for (const grant of acl.Grants ?? []) {
      if (grant.Grantee?.URI && PUBLIC_GRANTEES.test(grant.Grantee.URI)) {
        problems.push(`its ACL grants ${grant.Permission ?? 'access'} to ${grant.Grantee.URI}`);
      }
    }
  } catch (error) {
    throw toRackError(error, { doing: `checking s3://${where.bucket}/${key}` });
  }
  return problems;
}

/** The object's text, or undefined when it does not exist. */
export async function getObjectText(aws: AwsClients, bucket: string, key: string): Promise<string | undefined> {
  const s3 = await aws.s3();
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchKey' || awsErrorName(error) === 'NotFound') return undefined;
    throw toRackError(error, { doing: `reading s3://${bucket}/${key}` });
  }
}

export async function objectExists(aws: AwsClients, bucket: string, key: string): Promise<boolean> {
  const s3 = await aws.s3();
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (awsErrorName(error) === 'NotFound' || awsErrorName(error) === 'NoSuchKey') return false;
    throw toRackError(error, { doing: `looking for s3://${bucket}/${key}` });
  }
}

/** Deletes the object; one that is already gone is fine. */
export async function deleteObject(aws: AwsClients, bucket: string, key: string): Promise<void> {
  const s3 = await aws.s3();
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchKey') return;
    throw toRackError(error, { doing: `deleting s3://${bucket}/${key}` });
  }
}
