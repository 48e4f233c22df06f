/**
 * The corrections that make large templates behave as on AWS: `template-body-limit` (51,200 bytes inline,
 * 1,000,000 through TemplateURL, with AWS's own errors) and `expected-bucket-owner` (a bucket another account
 * owns is refused with 403 when the request names the expected owner). Plain moto accepts both.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  GetTemplateSummaryCommand,
  UpdateStackCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { SECRET, STACK_TEMPLATE } from './stackTemplate.js';

/** STACK_TEMPLATE with a Description long enough to make the template `bytes` long. */
function templateOf(bytes: number): string {
  const base = JSON.parse(STACK_TEMPLATE) as Record<string, unknown>;
  const shell = JSON.stringify({ ...base, Description: '' });
  return JSON.stringify({ ...base, Description: 'x'.repeat(bytes - Buffer.byteLength(shell)) });
}

const AT_LIMIT = templateOf(51_200);
const OVER_LIMIT = templateOf(51_201);
const OVER_URL_LIMIT = templateOf(1_000_001);
const password = [{ ParameterKey: 'Password', ParameterValue: SECRET }];

let corrected: LocalAws;
let plain: LocalAws;

beforeAll(async () => {
  [corrected, plain] = await Promise.all([
    startLocalAws(),
    startLocalAws({ without: ['template-body-limit', 'expected-bucket-owner'] }),
  ]);
});
afterAll(async () => {
  await Promise.all([corrected?.stop(), plain?.stop()]);
});

/** maxAttempts 1: what moto answers is what the test sees. */
const cloudFormation = (aws: LocalAws) => new CloudFormationClient({ ...aws.clientConfig(), maxAttempts: 1 });
const s3 = (aws: LocalAws, credentials = aws.clientConfig().credentials) =>
  new S3Client({ ...aws.clientConfig(), credentials, forcePathStyle: true, maxAttempts: 1 });

const LIMIT_ERROR =
  /^1 validation error detected: Value '\{.*\}' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200$/s;

describe('template-body-limit', () => {
  it('takes a template of exactly 51,200 bytes inline', async () => {
    expect(Buffer.byteLength(AT_LIMIT)).toBe(51_200);
    await cloudFormation(corrected).send(
      new CreateStackCommand({ StackName: 'at-limit', TemplateBody: AT_LIMIT, Parameters: password }),
    );
  });

  it("refuses one byte more with AWS's ValidationError, in every call that takes a TemplateBody", async () => {
    const cfn = cloudFormation(corrected);
    await cfn.send(new CreateStackCommand({ StackName: 'small', TemplateBody: STACK_TEMPLATE, Parameters: password }));
    const calls = [
      new CreateStackCommand({ StackName: 'too-large', TemplateBody: OVER_LIMIT, Parameters: password }),
      new UpdateStackCommand({ StackName: 'small', TemplateBody: OVER_LIMIT, Parameters: password }),
      new CreateChangeSetCommand({
        StackName: 'small',
        ChangeSetName: 'large',
        ChangeSetType: 'UPDATE',
        TemplateBody: OVER_LIMIT,
        Parameters: password,
      }),
      new ValidateTemplateCommand({ TemplateBody: OVER_LIMIT }),
      new GetTemplateSummaryCommand({ TemplateBody: OVER_LIMIT }),
    ];
    for (const call of calls) {
      const error = await cfn.send(call as never).then(
        () => undefined,
        (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
      );
      expect(error?.name, call.constructor.name).toBe('ValidationError');
      expect(error?.$metadata?.httpStatusCode).toBe(400);
      expect(error?.message).toMatch(LIMIT_ERROR);
    }
  });

  it('takes the same template through TemplateURL, and refuses an object over 1,000,000 bytes', async () => {
    const bucket = s3(corrected);
    await bucket.send(new CreateBucketCommand({ Bucket: 'templates' }));
    await bucket.send(new PutObjectCommand({ Bucket: 'templates', Key: 'large.json', Body: OVER_LIMIT }));
    await bucket.send(new PutObjectCommand({ Bucket: 'templates', Key: 'huge.json', Body: OVER_URL_LIMIT }));
    const cfn = cloudFormation(corrected);
    const summary = await cfn.send(
      new GetTemplateSummaryCommand({ TemplateURL: 'https://templates.s3.amazonaws.com/large.json' }),
    );
    expect(summary.Parameters?.find((p) => p.ParameterKey === 'Password')?.NoEcho).toBe(true);
    await cfn.send(
      new CreateStackCommand({
        StackName: 'large-by-url',
        TemplateURL: 'https://templates.s3.amazonaws.com/large.json',
        Parameters: password,
      }),
    );
    await expect(
      cfn.send(new ValidateTemplateCommand({ TemplateURL: 'https://templates.s3.amazonaws.com/huge.json' })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Template may not exceed 1000000 bytes in size.',
    });
  });

  it('is needed: plain moto takes any size inline', async () => {
    const cfn = cloudFormation(plain);
    await cfn.send(new CreateStackCommand({ StackName: 'too-large', TemplateBody: OVER_LIMIT, Parameters: password }));
    const summary = await cfn.send(new GetTemplateSummaryCommand({ TemplateBody: OVER_URL_LIMIT }));
    expect(summary.Parameters?.map((p) => p.ParameterKey)).toContain('Password');
  });
});

describe('expected-bucket-owner', () => {
  /** Credentials of another account (moto: a role assumed there) and that account's id. */
  async function otherAccount(aws: LocalAws) {
    const sts = new STSClient({ ...aws.clientConfig(), maxAttempts: 1 });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/other', RoleSessionName: 'other-account' }),
    );
    const credentials = {
      accessKeyId: Credentials!.AccessKeyId!,
      secretAccessKey: Credentials!.SecretAccessKey!,
      sessionToken: Credentials!.SessionToken!,
    };
    const mine = (await sts.send(new GetCallerIdentityCommand({}))).Account!;
    return { credentials, mine };
  }

  async function foreignBucket(aws: LocalAws, name: string) {
    const { credentials, mine } = await otherAccount(aws);
    await s3(aws, credentials).send(new CreateBucketCommand({ Bucket: name }));
    await s3(aws, credentials).send(new PutObjectCommand({ Bucket: name, Key: 'template.yaml', Body: 'theirs' }));
    return mine;
  }

  it('answers 403 when another account owns the bucket, and lets the owner through', async () => {
    const mine = await foreignBucket(corrected, 'foreign-artifacts');
    const client = s3(corrected);
    const status = (promise: Promise<unknown>) =>
      promise.then(
        () => 200,
        // A HEAD answer has no body, so its error has no code: only the status tells.
        (e: { $metadata?: { httpStatusCode?: number }; name?: string }) =>
          `${e.$metadata?.httpStatusCode} ${e.name === 'Unknown' ? '(no code)' : e.name}`,
      );
    expect(
      await status(client.send(new HeadBucketCommand({ Bucket: 'foreign-artifacts', ExpectedBucketOwner: mine }))),
    ).toBe('403 (no code)');
    expect(
      await status(
        client.send(
          new PutObjectCommand({ Bucket: 'foreign-artifacts', Key: 'x', Body: 'x', ExpectedBucketOwner: mine }),
        ),
      ),
    ).toBe('403 AccessDenied');
    expect(
      await status(
        client.send(
          new GetObjectCommand({ Bucket: 'foreign-artifacts', Key: 'template.yaml', ExpectedBucketOwner: mine }),
        ),
      ),
    ).toBe('403 AccessDenied');
    expect(
      await status(
        client.send(new HeadBucketCommand({ Bucket: 'foreign-artifacts', ExpectedBucketOwner: '111111111111' })),
      ),
    ).toBe(200);

    await client.send(new CreateBucketCommand({ Bucket: 'my-artifacts' }));
    expect(
      await status(client.send(new HeadBucketCommand({ Bucket: 'my-artifacts', ExpectedBucketOwner: mine }))),
    ).toBe(200);
  });

  it('is needed: plain moto lets any account write to the bucket whatever owner is expected', async () => {
    const mine = await foreignBucket(plain, 'foreign-artifacts');
    const client = s3(plain);
    await client.send(new HeadBucketCommand({ Bucket: 'foreign-artifacts', ExpectedBucketOwner: mine }));
    await client.send(
      new PutObjectCommand({ Bucket: 'foreign-artifacts', Key: 'x', Body: 'written', ExpectedBucketOwner: mine }),
    );
  });
});
