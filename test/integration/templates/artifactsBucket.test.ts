/**
 * The artifacts bucket rack owns, on the harness with `expected-bucket-owner` and `template-body-limit`: a
 * bucket of its name that another account holds is refused before anything is written; the bucket rack
 * creates blocks public access, enforces bucket-owner ownership, encrypts and expires templates after 7 days
 * (an older bucket gets the configuration, keeping its own lifecycle rules); and an object whose digest is
 * not the verified one, by its stored checksum or by its bytes, never reaches CloudFormation.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { repoRoot, runRack, tempHome } from '../../harness/runRack.js';
import { describeStack } from '../install/fixtures.js';

const PASSWORD = 'artifacts-Secret-1';
const ACCOUNT = '123456789012';
const BUCKET = `rack-artifacts-${ACCOUNT}-us-east-1`;
const DIGEST_2_0_0 = createHash('sha256')
  .update(readFileSync(path.join(repoRoot, 'channels/templates/rack-2.0.0.yaml')))
  .digest('hex');
const KEY = `templates/${DIGEST_2_0_0}`;

let aws: LocalAws;
let home: string;

beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(async () => {
  await aws.reset();
  home = tempHome('rack-artifacts-');
});

const s3 = (credentials = aws.clientConfig().credentials) =>
  new S3Client({ ...aws.clientConfig(), credentials, forcePathStyle: true });
const rack = (...args: string[]) => runRack(args, { env: { ...aws.env(), RACK_HOME: home } });
const install = (name: string, version: string) =>
  rack(
    'install',
    name,
    '--stack',
    `${name}-rack`,
    '--version',
    version,
    '--channel',
    'unstable',
    '--param',
    `Password=${PASSWORD}`,
    '--yes',
    '--json',
  );
/** How often the bucket's lifecycle was read before the first upload since request `since`. */
function lifecycleReadsBeforeUpload(since: number): number {
  const actions = aws.proxy.requests
    .slice(since)
    .filter((r) => r.service === 's3')
    .map((r) => r.action);
  const upload = actions.indexOf('PutObject');
  return actions.slice(0, upload).filter((action) => action === 'GetBucketLifecycleConfiguration').length;
}
const cfnWrites = () =>
  aws.proxy.seen({ service: 'cloudformation', action: /^(CreateStack|CreateChangeSet|ExecuteChangeSet)$/ });

/** Credentials of another account: a role moto lets this one assume there. */
async function otherAccount() {
  const sts = new STSClient(aws.clientConfig());
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/squatter', RoleSessionName: 'squatter' }),
  );
  return {
    accessKeyId: Credentials!.AccessKeyId!,
    secretAccessKey: Credentials!.SecretAccessKey!,
    sessionToken: Credentials!.SessionToken!,
  };
}

describe('a bucket of its name that another account owns', () => {
  it('is refused (exit 3) with the reason, and nothing is uploaded or created', async () => {
    const squatter = s3(await otherAccount());
    await squatter.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const writesBefore = cfnWrites().length;

    const result = await install('big', '2.0.0');
    expect(result.code).toBe(3);
    expect(result.json().error.message).toBe(
      `The artifacts bucket ${BUCKET} is not this account's (${ACCOUNT}): S3 denied access to it for the expected owner (403).`,
    );
    expect(result.json().error.untouched).toBe('Nothing was uploaded and no stack was changed.');
    expect((await squatter.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).toEqual([]);
    expect(aws.proxy.seen({ service: 's3', action: 'PutObject' })).toEqual([]);
    expect(cfnWrites()).toHaveLength(writesBefore);
    expect(await describeStack(aws, 'big-rack')).toBeUndefined();
  });

  it('refuses an update to a large release too, leaving the rack as it was', async () => {
    expect((await install('small', '1.4.0')).code).toBe(0);
    const squatter = s3(await otherAccount());
    await squatter.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const writesBefore = cfnWrites().length;

    const result = await rack('update', '--rack', 'small', '--version', '2.0.0', '--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`The artifacts bucket ${BUCKET} is not this account's`);
    expect(cfnWrites()).toHaveLength(writesBefore);
    expect((await aws.stackParameters('small-rack')).Version).toBe('1.4.0');
  });

  it('is refused when it appears between the check and the creation (BucketAlreadyExists)', async () => {
    const squatter = s3(await otherAccount());
    // The first HeadBucket sees no bucket; the squatter creates it before rack's CreateBucket.
    aws.proxy.inject({
      service: 's3',
      action: 'CreateBucket',
      times: 1,
      fault: {
        type: 'handle',
        handler: async (_request, _body, forward) => {
          await squatter.send(new CreateBucketCommand({ Bucket: BUCKET }));
          return forward();
        },
      },
    });
    const result = await install('late', '2.0.0');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `The artifacts bucket ${BUCKET} is not this account's (${ACCOUNT}): another account created a bucket of that name.`,
    );
    expect(aws.proxy.seen({ service: 's3', action: 'PutObject' })).toEqual([]);
    expect(await describeStack(aws, 'late-rack')).toBeUndefined();
  });
});

describe('the bucket rack creates', () => {
  it('blocks public access, enforces bucket-owner ownership, encrypts, and expires templates after 7 days', async () => {
    const since = aws.proxy.requests.length;
    const result = await install('big', '2.0.0');
    expect(result.code, result.stderr).toBe(0);
    // Just created, it has no lifecycle rules to read.
    expect(lifecycleReadsBeforeUpload(since)).toBe(0);
    const client = s3();
    const owner = { Bucket: BUCKET, ExpectedBucketOwner: ACCOUNT };
    expect((await client.send(new GetPublicAccessBlockCommand(owner))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await client.send(new GetBucketOwnershipControlsCommand(owner))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: 'BucketOwnerEnforced' },
    ]);
    const encryption = await client.send(new GetBucketEncryptionCommand(owner));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    const lifecycle = await client.send(new GetBucketLifecycleConfigurationCommand(owner));
    expect(lifecycle.Rules).toEqual([
      expect.objectContaining({
        ID: 'rack-expire-templates',
        Status: 'Enabled',
        Filter: { Prefix: 'templates/' },
        Expiration: { Days: 7 },
      }),
    ]);
    // Keyed by the template's sha256, with S3's own checksum of it.
    const head = await client.send(new HeadObjectCommand({ ...owner, Key: KEY, ChecksumMode: 'ENABLED' }));
    expect(Buffer.from(head.ChecksumSHA256!, 'base64').toString('hex')).toBe(DIGEST_2_0_0);
    expect(head.ServerSideEncryption).toBe('AES256');
  });

  it('an existing bucket without the expiry rule is configured again, keeping its other lifecycle rules', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'keep-logs-a-year', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 365 } },
          ],
        },
      }),
    );
    const since = aws.proxy.requests.length;
    expect((await install('big', '2.0.0')).code).toBe(0);
    // Read once: whether rack's rule is there, and the rules to keep.
    expect(lifecycleReadsBeforeUpload(since)).toBe(1);
    const rules = (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules ?? [];
    expect(rules.map((r) => [r.ID, r.Expiration?.Days])).toEqual([
      ['keep-logs-a-year', 365],
      ['rack-expire-templates', 7],
    ]);
    expect(
      (await client.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration,
    ).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });

    // Configured once: a later use only checks.
    const puts = () => aws.proxy.seen({ service: 's3', action: /^PutBucket|^PutPublicAccessBlock$/ }).length;
    const before = puts();
    expect((await install('again', '2.0.0')).code).toBe(0);
    expect(puts()).toBe(before);
  });

  it('is deleted by nobody but its owner: rack never deletes it', async () => {
    expect((await install('big', '2.0.0')).code).toBe(0);
    expect((await rack('uninstall', 'big', '--yes')).code).toBe(0);
    expect(aws.proxy.seen({ service: 's3', action: 'DeleteBucket' }).map((r) => r.url)).not.toContainEqual(
      expect.stringContaining(BUCKET),
    );
    await s3()
      .send(new DeleteBucketCommand({ Bucket: BUCKET }))
      .catch(() => undefined);
  });
});

describe("the object's digest, read back before CloudFormation gets the URL", () => {
  /** Rewrites S3's answers for the template object: what the read-back sees. */
  function tamper(options: { checksum?: 'other' | 'none'; bytes?: string; bytesChecksum?: 'kept' | 'none' }) {
    aws.proxy.inject({
      name: 'tamper HeadObject',
      service: 's3',
      action: 'HeadObject',
      when: (request) => request.url.includes(KEY),
      fault: {
        type: 'handle',
        handler: async (_request, _body, forward) => {
          const answer = await forward();
          const headers = { ...answer.headers };
          if (options.checksum === 'none') delete headers['x-amz-checksum-sha256'];
          if (options.checksum === 'other') {
            headers['x-amz-checksum-sha256'] = createHash('sha256').update('something else').digest('base64');
          }
          return { ...answer, headers };
        },
      },
    });
    if (options.bytes !== undefined) {
      aws.proxy.inject({
        name: 'tamper GetObject',
        service: 's3',
        action: 'GetObject',
        when: (request) => request.url.includes(KEY),
        fault: {
          type: 'handle',
          handler: async (_request, _body, forward) => {
            const answer = await forward();
            const body = Buffer.from(options.bytes!);
            const headers: Record<string, string | string[]> = {
              ...answer.headers,
              'content-length': String(body.length),
            };
            if (options.bytesChecksum !== 'kept') delete headers['x-amz-checksum-sha256'];
            return { ...answer, body, headers };
          },
        },
      });
    }
  }

  it('refuses an object whose stored checksum is not the verified digest; no stack is created', async () => {
    tamper({ checksum: 'other' });
    const result = await install('big', '2.0.0');
    expect(result.code).toBe(3);
    expect(result.json().error).toMatchObject({
      message: `s3://${BUCKET}/${KEY} does not hold the template of release 2.0.0.`,
      untouched: 'No stack was changed: CloudFormation was not given the object.',
    });
    expect(result.json().error.problems[0]).toMatch(
      /^its sha256 is [0-9a-f]{64} \(read from its checksum\), the template's is /,
    );
    expect(aws.proxy.seen({ service: 'cloudformation', action: /^(GetTemplateSummary|CreateStack)$/ })).toEqual([]);
  });

  it('reads the bytes when S3 has no checksum for it, and refuses bytes that are not the template', async () => {
    tamper({ checksum: 'none', bytes: 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {}\n' });
    const result = await install('big', '2.0.0');
    expect(result.code, result.stdout).toBe(3);
    expect(result.json().error.problems[0]).toContain('(read from its bytes)');
    expect(aws.proxy.seen({ service: 'cloudformation', action: 'CreateStack' })).toEqual([]);
  });

  it('refuses bytes that do not match the checksum S3 sends with them', async () => {
    tamper({ checksum: 'none', bytes: 'Resources: {}\n', bytesChecksum: 'kept' });
    const result = await install('big', '2.0.0');
    expect(result.code, result.stdout).toBe(3);
    expect(result.json().error.message).toBe(`s3://${BUCKET}/${KEY} did not come back as S3 stored it.`);
    expect(aws.proxy.seen({ service: 'cloudformation', action: 'CreateStack' })).toEqual([]);
  });

  it('takes an object without a checksum whose bytes are the template', async () => {
    tamper({ checksum: 'none' });
    const result = await install('big', '2.0.0');
    expect(result.code, result.stderr).toBe(0);
    expect(aws.proxy.seen({ service: 's3', action: 'GetObject' }).length).toBeGreaterThan(0);
  });

  it('is checked before each change set: a tampered object stops an update at its change set', async () => {
    expect((await install('small', '1.4.0')).code).toBe(0);
    tamper({ checksum: 'other' });
    const result = await rack('update', '--rack', 'small', '--version', '2.0.0', '--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`does not hold the template of release 2.0.0`);
    expect(aws.proxy.seen({ service: 'cloudformation', action: 'CreateChangeSet' })).toEqual([]);
    expect((await aws.stackParameters('small-rack')).Version).toBe('1.4.0');
  });
});
