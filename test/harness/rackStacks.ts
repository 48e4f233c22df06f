/** Creates rack stacks from the shipped templates on the local AWS, as an operator's account would have them. */
import { CloudFormationClient, CreateStackCommand, waitUntilStackCreateComplete } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalAws } from './localAws.js';
import { repoRoot } from './runRack.js';

export function templateBody(version: string): string {
  return readFileSync(path.join(repoRoot, 'channels', 'templates', `rack-${version}.yaml`), 'utf8');
}

/** CloudFormation's inline limit, which the harness enforces (`template-body-limit`). */
const INLINE_LIMIT = 51_200;
const HARNESS_BUCKET = 'harness-templates';

/**
 * How to hand a template to CloudFormation, as a test that is not about rack's own transport would: inline
 * while it fits, else from a bucket of the harness's own by its AWS-form URL.
 */
export async function templateArgument(
  aws: LocalAws,
  body: string,
): Promise<{ TemplateBody: string } | { TemplateURL: string }> {
  if (Buffer.byteLength(body, 'utf8') <= INLINE_LIMIT) return { TemplateBody: body };
  const s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
  const key = `${createHash('sha256').update(body).digest('hex')}.yaml`;
  await s3.send(new CreateBucketCommand({ Bucket: HARNESS_BUCKET })).catch((error: Error) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  await s3.send(new PutObjectCommand({ Bucket: HARNESS_BUCKET, Key: key, Body: body }));
  s3.destroy();
  return { TemplateURL: `https://${HARNESS_BUCKET}.s3.amazonaws.com/${key}` };
}

export interface RackStackOptions {
  stackName: string;
  version: string;
  password: string;
  parameters?: Record<string, string>;
}

export async function createRackStack(aws: LocalAws, options: RackStackOptions): Promise<void> {
  const cfn = new CloudFormationClient(aws.clientConfig());
  const parameters = { Version: options.version, Password: options.password, ...options.parameters };
  await cfn.send(
    new CreateStackCommand({
      StackName: options.stackName,
      ...(await templateArgument(aws, templateBody(options.version))),
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    }),
  );
  await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 60, minDelay: 1 }, { StackName: options.stackName });
}
