/**
 * The one way rack hands CloudFormation a template, for every call that sends one: GetTemplateSummary,
 * CreateStack and CreateChangeSet, whether for install, update, rollback, sync, a `--dry-run` preview or
 * the dashboard. Up to 51,200 bytes it goes inline. Above, it goes through rack's artifacts bucket under its
 * sha256, and the object's digest is read back and compared with the verified one before CloudFormation is
 * told where it is, so CloudFormation reads exactly the bytes rack checked. Above 1,000,000 bytes it is
 * refused. Call it right before the calls that use it: each change set gets its own check.
 */
import {
  accountId,
  artifactsBucketName,
  ensureArtifactsBucket,
  putTemplateObject,
  templateObjectDigest,
  templateUrl,
} from '../aws/artifacts.js';
import type { AwsClients } from '../aws/clients.js';
import type { Context } from '../context.js';
import { internalError, refused } from '../errors.js';
import { templateBytes, tooLargeProblem, transportFor } from '../core/templateSize.js';
import { sha256 } from '../core/digest.js';

/** A template whose bytes were checked against a digest (a release's, or what the stack itself returned). */
export interface VerifiedTemplate {
  body: string;
  sha256: string;
  /** What it is, for messages: "release 2.0.0". */
  origin: string;
}

/** What to send: a TemplateSource for the change set and summary calls, a StackTemplate for CreateStack. */
export type SentTemplate = { body: string } | { url: string; bucket: string; key: string };

export async function sendableTemplate(
  ctx: Context,
  aws: AwsClients,
  template: VerifiedTemplate,
  /** Called right before the upload (a write): the operation checks for an interrupt and opens its record. */
  beforeUpload?: (what: string) => Promise<void>,
): Promise<SentTemplate> {
  const bytes = templateBytes(template.body);
  const tooLarge = tooLargeProblem(`The template of ${template.origin}`, bytes);
  if (tooLarge) {
    throw refused(`${tooLarge}.`, {
      untouched: 'Nothing was written.',
      next: 'Make the template smaller (nested stacks, fewer comments), publish it as a new release, and try again.',
      details: { reason: 'template-too-large', bytes },
    });
  }
  if (transportFor(bytes) === 'inline') return { body: template.body };

  // The name of the object and what S3 must hold; a caller handing over other bytes is a bug, not a user error.
  if (sha256(template.body) !== template.sha256) {
    throw internalError(`The template of ${template.origin} does not match the digest it was verified against.`, {
      untouched: 'Nothing was written.',
    });
  }
  const region = aws.target.region;
  const account = await accountId(aws);
  const bucket = { name: artifactsBucketName(account, region), account, region };
  await beforeUpload?.(`uploading the template of ${template.origin} to s3://${bucket.name}`);
  await ensureArtifactsBucket(aws, bucket);
  const key = await putTemplateObject(aws, bucket, template);
  const stored = await templateObjectDigest(aws, bucket, key);
  if (stored.sha256 !== template.sha256) {
    throw refused(`s3://${bucket.name}/${key} does not hold the template of ${template.origin}.`, {
      problems: [`its sha256 is ${stored.sha256} (read from its ${stored.from}), the template's is ${template.sha256}`],
      untouched: 'No stack was changed: CloudFormation was not given the object.',
      next: `Something changed the object after rack uploaded it; find out what writes to s3://${bucket.name}, then run the command again.`,
      details: { reason: 'digest-mismatch', bucket: bucket.name, key },
    });
  }
  ctx.events.emit({
    type: 'step',
    text: `The template of ${template.origin} (${bytes.toLocaleString('en-US')} bytes, over CloudFormation's 51,200 inline) goes through s3://${bucket.name}/${key}; its sha256 there matches.`,
  });
  return { url: templateUrl(bucket.name, key, region), bucket: bucket.name, key };
}
