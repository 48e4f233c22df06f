/**
 * How a template of a given size reaches CloudFormation. Its quotas ("CloudFormation quotas", User Guide):
 * a template body passed in a request is at most 51,200 bytes; one read from S3 through a TemplateURL at
 * most 1 MB, which CloudFormation counts as 1,000,000 bytes ("Template may not exceed 1000000 bytes in
 * size."). The same rule holds for every call that takes a template: GetTemplateSummary, ValidateTemplate,
 * CreateStack, CreateChangeSet.
 */

export const TEMPLATE_BODY_LIMIT = 51_200;
export const TEMPLATE_URL_LIMIT = 1_000_000;

/** Inline in the request, through rack's artifacts bucket, or not at all. */
export type TemplateTransport = 'inline' | 'artifacts-bucket' | 'too-large';

export function templateBytes(body: string | Buffer): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}

export function transportFor(bytes: number): TemplateTransport {
  if (bytes <= TEMPLATE_BODY_LIMIT) return 'inline';
  if (bytes <= TEMPLATE_URL_LIMIT) return 'artifacts-bucket';
  return 'too-large';
}

/** A number of bytes as messages write it: 1,000,000. */
export const grouped = (n: number) => n.toLocaleString('en-US');

/** Why a template cannot be sent at all, naming it and its size; undefined when it can. */
export function tooLargeProblem(what: string, bytes: number): string | undefined {
  if (transportFor(bytes) !== 'too-large') return undefined;
  return `${what} is ${grouped(bytes)} bytes; CloudFormation takes at most ${grouped(TEMPLATE_URL_LIMIT)} bytes of template, even through S3`;
}
