/**
 * The artifacts bucket rack owns: one per account and region, named after both, where a template too large
 * to send inline waits for CloudFormation to read it. Its name is predictable, so anyone could create it
 * first in another account and serve CloudFormation a template other than the one rack verified: every
 * request names the expected owner (ExpectedBucketOwner), and a bucket of that name owned by anyone else is
 * refused. The bucket blocks public access, enforces bucket-owner ownership, encrypts by default, and
 * expires what it holds after a week.
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { AwsClients } from './clients.js';
import { sha256 } from '../core/digest.js';
import { refused } from '../errors.js';
import { awsErrorMessage, awsErrorName, toRackError } from './errors.js';

/** One bucket per account and region (bucket names are global, so both are in it). */
export const artifactsBucketName = (account: string, region: string) => `rack-artifacts-${account}-${region}`;

/** Templates are kept under their digest: the same template is the same object, whoever uploads it. */
const templateObjectKey = (sha256: string) => `templates/${sha256}`;

/** Uploaded templates are only needed while CloudFormation reads them; a week covers a slow rollout. */
const TEMPLATE_EXPIRY_DAYS = 7;
const EXPIRY_RULE_ID = 'rack-expire-templates';

/**
 * The URL CloudFormation reads a template from. Always an AWS form: CloudFormation fetches it itself, so
 * an emulator's own path-style address would mean nothing to it.
 */
export function templateUrl(bucket: string, key: string, region: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  return region === 'us-east-1'
    ? `https://${bucket}.s3.amazonaws.com/${path}`
    : `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
}

/** The account the credentials belong to: the only owner rack accepts for its artifacts bucket. */
export async function accountId(aws: AwsClients): Promise<string> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = await aws.sts();
  try {
    const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    if (!account) throw new Error('GetCallerIdentity returned no account');
    return account;
  } catch (error) {
    throw toRackError(error, { doing: 'reading the account of the credentials', untouched: 'Nothing was written.' });
  }
}

const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export interface ArtifactsBucket {
  name: string;
  account: string;
  region: string;
}

function foreignBucket(bucket: ArtifactsBucket, seen: string) {
  return refused(`The artifacts bucket ${bucket.name} is not this account's (${bucket.account}): ${seen}.`, {
    untouched: 'Nothing was uploaded and no stack was changed.',
    next: `rack sends templates over 51,200 bytes only through a bucket of this account. Find out who holds s3://${bucket.name} and have it deleted (or, if it is this account's, allow these credentials s3:ListBucket on it), then run the command again.`,
    details: { reason: 'artifacts-bucket-owner', bucket: bucket.name, account: bucket.account },
  });
}

/**
 * Makes sure the bucket exists, belongs to this account and is configured; creates it the first time. A
 * bucket an earlier rack created without the expiry rule gets the whole configuration again. Ownership is
 * settled here, by HeadBucket or CreateBucket; a 403 on a later request names a missing permission.
 */
export async function ensureArtifactsBucket(aws: AwsClients, bucket: ArtifactsBucket): Promise<'created' | 'existing'> {
  const s3 = await aws.s3();
  const sdk = await import('@aws-sdk/client-s3');
  const owner = { Bucket: bucket.name, ExpectedBucketOwner: bucket.account };
  const doing = { doing: `preparing the artifacts bucket ${bucket.name}`, untouched: 'No stack was changed.' };
  let outcome: 'created' | 'existing' = 'existing';
  try {
    await s3.send(new sdk.HeadBucketCommand(owner));
  } catch (error) {
    // HEAD answers carry no error code: the status says it all.
    const status = statusOf(error);
    if (status === 403) throw foreignBucket(bucket, 'S3 denied access to it for the expected owner (403)');
    if (status !== 404 && awsErrorName(error) !== 'NotFound' && awsErrorName(error) !== 'NoSuchBucket') {
      throw toRackError(error, doing);
    }
    outcome = await createBucket(aws, bucket);
  }
  // A bucket created just now has no rules; one that existed may have rack's, and others to keep.
  const rules = outcome === 'created' ? [] : await lifecycleRules(aws, bucket);
  if (rules.some(isExpiryRule)) return outcome;
  // Rules someone added to the bucket are kept; only rack's own is replaced.
  const others = rules.filter((rule) => rule.ID !== EXPIRY_RULE_ID);
  await configureBucket(aws, bucket, others);
  return outcome;
}

async function createBucket(aws: AwsClients, bucket: ArtifactsBucket): Promise<'created' | 'existing'> {
  const s3 = await aws.s3();
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket.name,
        ObjectOwnership: 'BucketOwnerEnforced',
        ...(bucket.region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: bucket.region as never } }),
      }),
    );
    return 'created';
  } catch (error) {
    const name = awsErrorName(error);
    // Another rack process of this account created it a moment ago.
    if (name === 'BucketAlreadyOwnedByYou') return 'existing';
    if (name === 'BucketAlreadyExists') throw foreignBucket(bucket, 'another account created a bucket of that name');
    throw toRackError(error, {
      doing: `creating the artifacts bucket ${bucket.name}`,
      untouched: 'No stack was changed.',
    });
  }
}

/** The bucket's lifecycle rules; none when it has no lifecycle configuration. */
async function lifecycleRules(aws: AwsClients, bucket: ArtifactsBucket): Promise<LifecycleRule[]> {
  const s3 = await aws.s3();
  const { GetBucketLifecycleConfigurationCommand } = await import('@aws-sdk/client-s3');
  try {
    const out = await s3.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: bucket.name, ExpectedBucketOwner: bucket.account }),
    );
    return out.Rules ?? [];
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchLifecycleConfiguration') return [];
    throw toRackError(error, { doing: `reading the lifecycle of ${bucket.name}`, untouched: 'No stack was changed.' });
  }
}

const isExpiryRule = (rule: LifecycleRule) =>
  rule.ID === EXPIRY_RULE_ID && rule.Status === 'Enabled' && rule.Expiration?.Days === TEMPLATE_EXPIRY_DAYS;

/**
 * Never public, objects owned by the bucket's account, encrypted at rest, templates expired after a week;
 * `otherRules`, the bucket's lifecycle rules besides rack's own, are kept.
 */
async function configureBucket(aws: AwsClients, bucket: ArtifactsBucket, otherRules: LifecycleRule[]): Promise<void> {
  const s3 = await aws.s3();
  const sdk = await import('@aws-sdk/client-s3');
  const owner = { Bucket: bucket.name, ExpectedBucketOwner: bucket.account };
  const doing = { doing: `configuring the artifacts bucket ${bucket.name}`, untouched: 'No stack was changed.' };
  try {
    await s3.send(
      new sdk.PutPublicAccessBlockCommand({
        ...owner,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    await s3.send(
      new sdk.PutBucketOwnershipControlsCommand({
        ...owner,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    await s3.send(
      new sdk.PutBucketEncryptionCommand({
        ...owner,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    );
    await s3.send(
      new sdk.PutBucketLifecycleConfigurationCommand({
        ...owner,
        LifecycleConfiguration: {
          Rules: [
            ...otherRules,
            {
              ID: EXPIRY_RULE_ID,
              Status: 'Enabled',
              Filter: { Prefix: 'templates/' },
              Expiration: { Days: TEMPLATE_EXPIRY_DAYS },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      }),
    );
  } catch (error) {
    throw toRackError(error, doing);
  }
}

const base64Of = (sha256Hex: string) => Buffer.from(sha256Hex, 'hex').toString('base64');

/**
 * Uploads the template under its digest. S3 checks the bytes against the SHA-256 sent with them and
 * refuses a mismatch (BadDigest), so what is stored is what was verified.
 */
export async function putTemplateObject(
  aws: AwsClients,
  bucket: ArtifactsBucket,
  template: { body: string; sha256: string },
): Promise<string> {
  const s3 = await aws.s3();
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const key = templateObjectKey(template.sha256);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        ExpectedBucketOwner: bucket.account,
        Key: key,
        Body: template.body,
        ContentType: 'text/plain; charset=utf-8',
        ServerSideEncryption: 'AES256',
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: base64Of(template.sha256),
      }),
    );
  } catch (error) {
    throw toRackError(error, { doing: `uploading s3://${bucket.name}/${key}`, untouched: 'No stack was changed.' });
  }
  return key;
}

/**
 * The SHA-256 of the object as S3 holds it now: the checksum S3 stored and verified at upload, or, for an
 * object stored without one, the digest of its bytes read back.
 */
export async function templateObjectDigest(
  aws: AwsClients,
  bucket: ArtifactsBucket,
  key: string,
): Promise<{ sha256: string; from: 'checksum' | 'bytes' }> {
  const s3 = await aws.s3();
  const { GetObjectCommand, HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const object = { Bucket: bucket.name, Key: key, ExpectedBucketOwner: bucket.account };
  const doing = { doing: `reading back s3://${bucket.name}/${key}`, untouched: 'No stack was changed.' };
  try {
    const head = await s3.send(new HeadObjectCommand({ ...object, ChecksumMode: 'ENABLED' }));
    // A checksum of parts ("…-3") is not the object's digest; only a whole-object one is.
    const checksum = head.ChecksumSHA256;
    if (checksum && !checksum.includes('-')) {
      return { sha256: Buffer.from(checksum, 'base64').toString('hex'), from: 'checksum' };
    }
    const out = await s3.send(new GetObjectCommand(object));
    const bytes = await out.Body!.transformToByteArray();
    return { sha256: sha256(bytes), from: 'bytes' };
  } catch (error) {
    // The SDK checks the bytes against a checksum S3 sends with them, and throws on a mismatch.
    if (/checksum mismatch/i.test(awsErrorMessage(error))) {
      throw refused(`s3://${bucket.name}/${key} did not come back as S3 stored it.`, {
        problems: [awsErrorMessage(error)],
        untouched: 'No stack was changed: CloudFormation was not given the object.',
        next: 'Run the command again; if it happens again, something between this machine and S3 changes what it reads.',
        details: { reason: 'digest-mismatch', bucket: bucket.name, key },
      });
    }
    throw toRackError(error, doing);
  }
}
