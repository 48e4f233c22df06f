/**
 * Creating and deleting whole stacks, and a rack's settings bucket, which must be empty before
 * CloudFormation can delete it. (A template too large to send inline goes through aws/artifacts.)
 */
import { randomUUID } from 'node:crypto';
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  type Parameter,
  type Tag,
} from '@aws-sdk/client-cloudformation';
import type { DeleteObjectsCommandOutput } from '@aws-sdk/client-s3';
import type { AwsClients } from './clients.js';
import { usageError } from '../errors.js';
import { awsErrorName, toRackError } from './errors.js';

export type StackTemplate = { body: string } | { url: string };

export interface CreateStackInput {
  stackName: string;
  template: StackTemplate;
  parameters: Parameter[];
  tags: Record<string, string>;
  terminationProtection: boolean;
  roleArn?: string;
}

/** Starts the creation; returns the stack id. Follow it with services/stackWait. */
export async function createStack(aws: AwsClients, input: CreateStackInput): Promise<string> {
  const cfn = await aws.cloudformation();
  const tags: Tag[] = Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value }));
  try {
    const out = await cfn.send(
      new CreateStackCommand({
        StackName: input.stackName,
        ...('body' in input.template ? { TemplateBody: input.template.body } : { TemplateURL: input.template.url }),
        Parameters: input.parameters,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
        Tags: tags,
        EnableTerminationProtection: input.terminationProtection,
        // The SDK's retries resend the same token, so a retry after a lost answer is recognised as the same
        // request instead of failing with AlreadyExists.
        ClientRequestToken: `rack-create-${randomUUID()}`,
        ...(input.roleArn ? { RoleARN: input.roleArn } : {}),
      }),
    );
    return out.StackId ?? input.stackName;
  } catch (error) {
    if (awsErrorName(error) === 'AlreadyExistsException') {
      // A retry after a lost answer, on an endpoint that ignores ClientRequestToken: the stack carrying this
      // operation's tag is the one its first attempt created.
      const mine = input.tags['rack:operation'] ? await stackTaggedWith(aws, input) : undefined;
      if (mine) return mine;
      throw usageError(`Stack "${input.stackName}" already exists in ${aws.target.region}.`, {
        untouched: 'No stack was created; the existing one was left as it is.',
        next: `Choose another --stack, or register the existing one with \`rack racks add <name> --stack ${input.stackName}\`.`,
      });
    }
    throw toRackError(error, { doing: `creating stack ${input.stackName}`, untouched: 'No stack was created.' });
  }
}

async function stackTaggedWith(aws: AwsClients, input: CreateStackInput): Promise<string | undefined> {
  const cfn = await aws.cloudformation();
  const out = await cfn.send(new DescribeStacksCommand({ StackName: input.stackName })).catch(() => undefined);
  const stack = out?.Stacks?.[0];
  const tag = stack?.Tags?.find((t) => t.Key === 'rack:operation')?.Value;
  return tag === input.tags['rack:operation'] ? stack?.StackId : undefined;
}

export async function deleteStack(aws: AwsClients, stackName: string, roleArn?: string): Promise<void> {
  const cfn = await aws.cloudformation();
  try {
    await cfn.send(
      new DeleteStackCommand({
        StackName: stackName,
        ClientRequestToken: `rack-delete-${randomUUID()}`,
        ...(roleArn ? { RoleARN: roleArn } : {}),
      }),
    );
  } catch (error) {
    throw toRackError(error, { doing: `deleting stack ${stackName}` });
  }
}

const isMissingBucket = (error: unknown) => {
  const name = awsErrorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchBucket' || name === 'NotFound' || status === 404;
};

interface ObjectVersion {
  Key: string;
  VersionId?: string;
}

/** Every object version and delete marker of the bucket, page by page; undefined when there is no bucket. */
async function* bucketPages(aws: AwsClients, bucket: string): AsyncGenerator<ObjectVersion[]> {
  const s3 = await aws.s3();
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const out = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
    );
    const page = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]
      .filter((v): v is typeof v & { Key: string } => v.Key !== undefined)
      .map((v) => ({ Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) }));
    yield page;
    if (!out.IsTruncated) return;
    keyMarker = out.NextKeyMarker;
    versionIdMarker = out.NextVersionIdMarker;
  }
}

/** How many object versions and delete markers the bucket holds; undefined when the bucket is gone. */
export async function countBucketObjects(aws: AwsClients, bucket: string): Promise<number | undefined> {
  let count = 0;
  try {
    for await (const page of bucketPages(aws, bucket)) count += page.length;
  } catch (error) {
    if (isMissingBucket(error)) return undefined;
    throw toRackError(error, { doing: `listing the objects of s3://${bucket}`, untouched: 'Nothing was deleted.' });
  }
  return count;
}

/**
 * Deletes every object version and delete marker, in batches of 1000 (DeleteObjects' limit), until the
 * listing comes back empty. Returns how many were deleted; a bucket that is gone counts as empty.
 */
export async function emptyBucket(aws: AwsClients, bucket: string): Promise<number> {
  const s3 = await aws.s3();
  const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  const doing = { doing: `emptying s3://${bucket}` };
  let deleted = 0;
  // Listing again after each round: objects written meanwhile are deleted too, not left behind. The
  // rounds are bounded so that a bucket something keeps writing to ends in an error, not a loop.
  for (let rounds = 0; ; rounds++) {
    const round: ObjectVersion[] = [];
    try {
      for await (const page of bucketPages(aws, bucket)) round.push(...page);
    } catch (error) {
      if (isMissingBucket(error)) return deleted;
      throw toRackError(error, doing);
    }
    if (round.length === 0) return deleted;
    if (rounds === 10) {
      throw toRackError(
        new Error(`objects keep appearing after ${deleted} were deleted; something is still writing to it`),
        doing,
      );
    }
    for (let start = 0; start < round.length; start += 1000) {
      const batch = round.slice(start, start + 1000);
      let out: DeleteObjectsCommandOutput;
      try {
        out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
      } catch (error) {
        throw toRackError(error, doing);
      }
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw toRackError(
          Object.assign(
            new Error(
              `${failed.length} objects could not be deleted; first ${first.Key}: ${first.Message ?? first.Code}`,
            ),
            { name: first.Code ?? 'DeleteObjectsFailed' },
          ),
          doing,
        );
      }
      deleted += batch.length;
    }
  }
}
