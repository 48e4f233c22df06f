/**
 * A release's template as the release tools see it: read from wherever the catalog says it lives, and
 * checked against the rack template contract (docs/architecture.md) before it may be published or trusted.
 */
import type { AwsTarget } from '../aws/clients.js';
import type { Context } from '../context.js';
import { isRackError } from '../errors.js';
import { contractProblems } from '../core/rackContract.js';
import { parseTemplate, type RackTemplate } from '../core/template.js';
import type { TemplateLocation } from '../core/schemas.js';
import { grouped, TEMPLATE_URL_LIMIT } from '../core/templateSize.js';
import type { ChannelSource } from '../sources/source.js';

const MAX_REDIRECTS = 5;
const FETCH_TIMEOUT_MS = 30_000;

/**
 * The template's bytes, or why they cannot be read (a phrase, e.g. "https://… answered HTTP 404"). An s3://
 * template is read with the credentials and region of `target` (the rack it is for: its profile, its region)
 * when there is one, else with the command's (--profile, --region or AWS_REGION).
 */
export async function readTemplateAt(
  ctx: Context,
  source: ChannelSource | undefined,
  location: TemplateLocation,
  target?: AwsTarget,
): Promise<Buffer | string> {
  switch (location.kind) {
    case 'path': {
      const bytes = await source?.readChannelFile(location.path).catch((error: Error) => error.message);
      return bytes ?? `${location.path} is not in the channels directory`;
    }
    case 'https':
      return fetchHttps(location.url);
    case 's3':
      return fetchS3(ctx, location.bucket, location.key, target);
  }
}

/**
 * Why a template fetched from a URL is refused: it is larger than TEMPLATE_URL_LIMIT, the most CloudFormation
 * takes through TemplateURL, so a longer answer is not a template and is not read to its end. Its size is
 * known only when the answer declares it, which is why this is not core's tooLargeProblem.
 */
const tooLarge = (what: string, size?: number) =>
  `${what} is larger than ${grouped(TEMPLATE_URL_LIMIT)} bytes${size ? ` (${size} bytes)` : ''}, the most CloudFormation accepts for a template`;

/**
 * Redirects are followed on the same host only (scheme, name and port): a template host cannot send rack,
 * with whatever its request carries, to another server; a template that moved is republished by its URL.
 */
async function fetchHttps(url: string): Promise<Buffer | string> {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  const origin = new URL(url);
  let current = origin;
  try {
    for (let redirects = 0; ; redirects += 1) {
      const response = await fetch(current, { signal, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        const next = new URL(location, current);
        if (next.protocol !== origin.protocol || next.host !== origin.host) {
          return `${url} redirects to ${next.protocol}//${next.host}, another host; rack follows redirects on the same host only`;
        }
        if (redirects >= MAX_REDIRECTS) return `${url} redirects more than ${MAX_REDIRECTS} times`;
        current = next;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        return `${url} answered HTTP ${response.status}`;
      }
      return await readLimited(response, url);
    }
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return `${url} could not be fetched: ${cause ?? (error as Error).message}`;
  }
}

/** The body, unless it is (or says it is) larger than TEMPLATE_URL_LIMIT: reading stops there. */
async function readLimited(response: Response, url: string): Promise<Buffer | string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > TEMPLATE_URL_LIMIT) {
    await response.body?.cancel();
    return tooLarge(url, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    // Leaving the loop cancels the stream: the rest is never downloaded.
    if (size > TEMPLATE_URL_LIMIT) return tooLarge(url);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

async function fetchS3(ctx: Context, bucket: string, key: string, target?: AwsTarget): Promise<Buffer | string> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const region =
    target?.region ?? ctx.options.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const url = `s3://${bucket}/${key}`;
  try {
    const s3 = await ctx.aws({ region, ...(target?.profile ? { profile: target.profile } : {}) }).s3();
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((out.ContentLength ?? 0) > TEMPLATE_URL_LIMIT) {
      await out.Body?.transformToWebStream().cancel();
      return tooLarge(url, out.ContentLength);
    }
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (error) {
    return `${url} could not be read: ${(error as Error).name}: ${(error as Error).message}`;
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
