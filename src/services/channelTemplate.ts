/**
 * A release's template as the release tools see it: read from wherever the catalog says it lives, and
 * checked against the rack template contract (docs/architecture.md) before it may be published or trusted.
 */
import type { Context } from '../context.js';
import { isRackError } from '../errors.js';
import { contractProblems } from '../core/rackContract.js';
import { parseTemplate, type RackTemplate } from '../core/template.js';
import type { TemplateLocation } from '../core/schemas.js';
import type { ChannelSource } from '../sources/source.js';

/** The template's bytes, or why they cannot be read (a phrase, e.g. "https://… answered HTTP 404"). */
export async function readTemplateAt(
  ctx: Context,
  source: ChannelSource | undefined,
  location: TemplateLocation,
): Promise<Buffer | string> {
  switch (location.kind) {
    case 'path': {
      const bytes = await source?.readChannelFile(location.path).catch((error: Error) => error.message);
      return bytes ?? `${location.path} is not in the channels directory`;
    }
    case 'https':
      return fetchHttps(location.url);
    case 's3':
      return fetchS3(ctx, location.bucket, location.key);
  }
}

async function fetchHttps(url: string): Promise<Buffer | string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
    if (!response.ok) return `${url} answered HTTP ${response.status}`;
    return Buffer.from(await response.arrayBuffer());
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return `${url} could not be fetched: ${cause ?? (error as Error).message}`;
  }
}

async function fetchS3(ctx: Context, bucket: string, key: string): Promise<Buffer | string> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const region = ctx.options.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  try {
    const s3 = await ctx.aws({ region }).s3();
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (error) {
    return `s3://${bucket}/${key} could not be read: ${(error as Error).name}: ${(error as Error).message}`;
  }
}

export interface TemplateCheck {
  template?: RackTemplate;
  /** What keeps it from being a rack template, each a phrase: "it lacks the Version parameter". */
  problems: string[];
}

/** Parses a template and checks the rack template contract: Version and Key, one auto-scaling group, the two outputs. */
export function checkRackTemplate(body: string, origin: string): TemplateCheck {
  let template: RackTemplate;
  try {
    template = parseTemplate(body, origin);
  } catch (error) {
    if (!isRackError(error)) throw error;
    const marker = ' is not valid: ';
    const at = error.message.indexOf(marker);
    const reason = (at === -1 ? error.message : error.message.slice(at + marker.length)).replace(/\.$/, '');
    return { problems: [reason.startsWith('it ') ? reason : `it is not a valid template: ${reason}`] };
  }
  return { template, problems: contractProblems(template) };
}
