/**
 * How an AWS SDK request looks on the wire: which service and operation it is, and how that service
 * spells an error. The fault proxy uses it to name what it saw and to answer in a form the SDK parses
 * exactly as it parses AWS's own errors (so its retry classification is the real one).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';

/**
 * `query`: form-encoded `Action=` bodies, XML `ErrorResponse` errors (CloudFormation, AutoScaling, STS).
 * `ec2`: the same requests, but errors as `<Response><Errors>`. `json`: `X-Amz-Target` and
 * `{"__type"}` errors (ECS, KMS). `s3`: REST-XML with `<Error>` bodies. `rest`: anything else.
 */
export type WireProtocol = 'query' | 'ec2' | 'json' | 's3' | 'rest';

export interface WireIdentity {
  /** The SigV4 signing name: `cloudformation`, `ec2`, `autoscaling`, `sts`, `ecs`, `kms`, `s3`, … */
  service: string;
  /** The signing region, when the request was signed. */
  region?: string;
  /** The operation: `DescribeStacks`, `ListClusters`, `PutObject`; `<METHOD> <path>` when unknown. */
  action: string;
  protocol: WireProtocol;
  /** The form parameters of a query-protocol request (empty otherwise), e.g. `form.get('StackName')`. */
  form: URLSearchParams;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** For requests that carry no signature, the JSON target prefixes of the services rack uses. */
const TARGET_PREFIXES: Record<string, string> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  TrentService: 'kms',
};

export function identify(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): WireIdentity {
  const parsed = new URL(url, 'http://proxy.invalid');
  const scope = signingScope(headers, parsed);
  const target = header(headers, 'x-amz-target');
  if (target !== undefined) {
    const [prefix = '', operation = target] = target.split('.');
    const service = scope?.service ?? TARGET_PREFIXES[prefix] ?? prefix;
    return { service, region: scope?.region, action: operation, protocol: 'json', form: new URLSearchParams() };
  }
  const service = scope?.service ?? 'unknown';
  if (service === 's3') {
    return {
      service,
      region: scope?.region,
      action: s3Operation(method, parsed, headers),
      protocol: 's3',
      form: new URLSearchParams(),
    };
  }
  const form = formOf(headers, body, parsed);
  const action = form.get('Action');
  if (action !== null) {
    return { service, region: scope?.region, action, protocol: service === 'ec2' ? 'ec2' : 'query', form };
  }
  return { service, region: scope?.region, action: `${method} ${parsed.pathname}`, protocol: 'rest', form };
}

function signingScope(headers: IncomingHttpHeaders, url: URL): { region: string; service: string } | undefined {
  const credential = header(headers, 'authorization') ?? `Credential=${url.searchParams.get('X-Amz-Credential') ?? ''}`;
  const match = CREDENTIAL_SCOPE.exec(credential);
  return match?.[1] !== undefined && match[2] !== undefined ? { region: match[1], service: match[2] } : undefined;
}

function formOf(headers: IncomingHttpHeaders, body: Buffer, url: URL): URLSearchParams {
  const contentType = header(headers, 'content-type') ?? '';
  if (contentType.includes('application/x-www-form-urlencoded')) return new URLSearchParams(body.toString('utf8'));
  return new URLSearchParams(url.search);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// --- S3 operation names (path-style requests, as tests send them with forcePathStyle) -----------------------

const BUCKET_SUBRESOURCES: Record<string, string> = {
  acl: 'Acl',
  cors: 'Cors',
  encryption: 'Encryption',
  lifecycle: 'LifecycleConfiguration',
  logging: 'Logging',
  notification: 'NotificationConfiguration',
  'object-lock': 'ObjectLockConfiguration',
  ownershipControls: 'OwnershipControls',
  policy: 'Policy',
  publicAccessBlock: 'PublicAccessBlock',
  replication: 'Replication',
  tagging: 'Tagging',
  versioning: 'Versioning',
  website: 'Website',
};

const VERBS: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete' };

function s3Operation(method: string, url: URL, headers: IncomingHttpHeaders): string {
  const [bucket = '', ...keyParts] = url.pathname.replace(/^\//, '').split('/');
  const query = url.searchParams;
  const fallback = `${method} ${url.pathname}`;
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : fallback;
  if (keyParts.length === 0 || keyParts.join('/') === '') return s3BucketOperation(method, query) ?? fallback;
  return s3ObjectOperation(method, query, headers) ?? fallback;
}

function s3BucketOperation(method: string, query: URLSearchParams): string | undefined {
  if (method === 'GET' && query.has('location')) return 'GetBucketLocation';
  if (method === 'GET' && query.has('versions')) return 'ListObjectVersions';
  if (method === 'GET' && query.has('uploads')) return 'ListMultipartUploads';
  if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
  for (const [name, suffix] of Object.entries(BUCKET_SUBRESOURCES)) {
    const verb = VERBS[method];
    if (query.has(name)) return verb === undefined ? undefined : `${verb}Bucket${suffix}`;
  }
  if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
  const plain: Record<string, string> = { PUT: 'CreateBucket', HEAD: 'HeadBucket', DELETE: 'DeleteBucket' };
  return plain[method];
}

function s3ObjectOperation(method: string, query: URLSearchParams, headers: IncomingHttpHeaders): string | undefined {
  if (query.has('tagging')) return VERBS[method] === undefined ? undefined : `${VERBS[method]}ObjectTagging`;
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (query.has('uploadId')) {
    const multipart: Record<string, string> = {
      PUT: 'UploadPart',
      POST: 'CompleteMultipartUpload',
      DELETE: 'AbortMultipartUpload',
      GET: 'ListParts',
    };
    return multipart[method];
  }
  if (method === 'PUT' && header(headers, 'x-amz-copy-source') !== undefined) return 'CopyObject';
  const plain: Record<string, string> = {
    PUT: 'PutObject',
    GET: 'GetObject',
    HEAD: 'HeadObject',
    DELETE: 'DeleteObject',
  };
  return plain[method];
}

// --- errors in each service's own format ---------------------------------------------------------------------

/** What AWS answers when it throttles: the code and status each protocol uses. */
export function throttleError(protocol: WireProtocol, message = 'Rate exceeded'): WireResponse {
  switch (protocol) {
    case 'ec2':
      return awsError(protocol, 503, 'RequestLimitExceeded', message);
    case 's3':
      return awsError(protocol, 503, 'SlowDown', message);
    case 'json':
    case 'rest':
      return awsError(protocol, 400, 'ThrottlingException', message);
    case 'query':
      return awsError(protocol, 400, 'Throttling', message);
  }
}

/**
 * What AWS answers a request signed with temporary credentials that have expired, in each protocol's own
 * form: query services (CloudFormation, STS, AutoScaling, IAM, SQS) `ExpiredToken` 403; JSON services (ECS,
 * KMS, DynamoDB) `ExpiredTokenException` 400; S3 `ExpiredToken` 400 "The provided token has expired.";
 * EC2 `RequestExpired` 400 (EC2's documented code when temporary credentials have expired).
 */
export function expiredTokenError(protocol: WireProtocol, message?: string): WireResponse {
  const expired = 'The security token included in the request is expired';
  switch (protocol) {
    case 'ec2':
      return awsError(protocol, 400, 'RequestExpired', message ?? 'Request has expired.');
    case 's3':
      return awsError(protocol, 400, 'ExpiredToken', message ?? 'The provided token has expired.');
    case 'json':
    case 'rest':
      return awsError(protocol, 400, 'ExpiredTokenException', message ?? expired);
    case 'query':
      return awsError(protocol, 403, 'ExpiredToken', message ?? expired);
  }
}

/** The code each protocol's services use for a server-side failure with this status. */
export function serverErrorCode(protocol: WireProtocol, status: number): string {
  const unavailable = status === 503;
  switch (protocol) {
    case 'ec2':
      return unavailable ? 'Unavailable' : 'InternalError';
    case 's3':
      return unavailable ? 'ServiceUnavailable' : 'InternalError';
    case 'json':
    case 'rest':
      return unavailable ? 'ServiceUnavailableException' : 'InternalFailure';
    case 'query':
      return unavailable ? 'ServiceUnavailable' : 'InternalFailure';
  }
}

/** An error response in the protocol's own wire format, as AWS would send it. */
export function awsError(protocol: WireProtocol, status: number, code: string, message: string): WireResponse {
  const requestId = randomUUID();
  const text = escapeXml(message);
  switch (protocol) {
    case 'json':
    case 'rest':
      return {
        status,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': code,
        },
        body: Buffer.from(JSON.stringify({ __type: code, message })),
      };
    case 'ec2':
      return xml(
        status,
        requestId,
        `<Response><Errors><Error><Code>${code}</Code><Message>${text}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
    case 's3':
      return xml(
        status,
        requestId,
        `<Error><Code>${code}</Code><Message>${text}</Message><RequestId>${requestId}</RequestId></Error>`,
      );
    case 'query': {
      const type = status >= 500 ? 'Receiver' : 'Sender';
      return xml(
        status,
        requestId,
        `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${text}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  }
}

function xml(status: number, requestId: string, document: string): WireResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'x-amz-request-id': requestId },
    body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${document}`),
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
