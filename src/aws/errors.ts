/**
 * Turns SDK errors into rack's error kinds. Classified by the error's `name` (the AWS error code) and
 * never by `instanceof`, which breaks across bundled copies of the SDK.
 */
import { authError, internalError, isRackError, type RackError, usageError } from '../errors.js';

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'TokenRefreshRequired',
  // EC2's answer to expired temporary credentials.
  'RequestExpired',
]);
const PERMISSION_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthFailure']);

export interface AwsErrorContext {
  /** What rack was doing, e.g. "reading stack rack-prod in eu-west-1". */
  doing: string;
  untouched?: string;
}

export function awsErrorName(error: unknown): string {
  return typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name ?? '') : '';
}

export function awsErrorMessage(error: unknown): string {
  return typeof error === 'object' && error !== null
    ? String((error as { message?: unknown }).message ?? '')
    : String(error);
}

/**
 * An error worth trying again after a pause: throttling, a server error, a dropped or timed-out connection.
 * Looks through a RackError to the AWS error it was made from. Credentials, permissions and validation
 * errors are not transient: waiting does not fix them.
 */
export function isTransientAwsError(error: unknown): boolean {
  const original = awsErrorIn(error);
  if (isRackError(original)) return false;
  const name = awsErrorName(original);
  if (CREDENTIAL_ERRORS.has(name) || PERMISSION_ERRORS.has(name)) return false;
  const status = (original as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (isThrottlingAwsError(original)) return true;
  return /RequestTimeout|TimeoutError|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|NetworkingError/i.test(
    `${name} ${awsErrorMessage(original)} ${(original as { code?: unknown })?.code ?? ''}`,
  );
}

/** AWS asking rack to slow down (throttling), looking through a RackError to the AWS error it was made from. */
export function isThrottlingAwsError(error: unknown): boolean {
  const original = awsErrorIn(error);
  return /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/i.test(
    `${awsErrorName(original)} ${awsErrorMessage(original)}`,
  );
}

const awsErrorIn = (error: unknown): unknown => (isRackError(error) && error.cause !== undefined ? error.cause : error);

export function isStackMissing(error: unknown): boolean {
  return awsErrorName(error) === 'ValidationError' && /does not exist/i.test(awsErrorMessage(error));
}

export function toRackError(error: unknown, context: AwsErrorContext): RackError {
  if (isRackError(error)) return error;
  const name = awsErrorName(error);
  const message = awsErrorMessage(error);
  if (CREDENTIAL_ERRORS.has(name) || /credential/i.test(name)) {
    return authError(`No usable AWS credentials while ${context.doing}: ${message}`, {
      untouched: context.untouched,
      next: 'Set credentials (AWS_PROFILE / --profile, `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and try again.',
      cause: error,
    });
  }
  if (PERMISSION_ERRORS.has(name)) {
    return authError(`AWS denied permission while ${context.doing}: ${message}`, {
      untouched: context.untouched,
      next: "Use a profile or role allowed to do this (see --profile, or the rack's --role-arn).",
      cause: error,
    });
  }
  if (name === 'UnknownEndpoint' || /Invalid region/i.test(message)) {
    return usageError(`Could not reach AWS while ${context.doing}: ${message}`, {
      untouched: context.untouched,
      next: 'Check the region (--region) and your network.',
      cause: error,
    });
  }
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|getaddrinfo|socket hang up/i.test(
      `${name} ${message}`,
    )
  ) {
    return internalError(`Could not reach AWS while ${context.doing} (${message}), even after retrying.`, {
      untouched: context.untouched,
      next: 'Check your network and the region; if AWS_ENDPOINT_URL is set, check that the endpoint it names is up.',
      cause: error,
    });
  }
  return internalError(`AWS call failed while ${context.doing}: ${name ? `${name}: ` : ''}${message}`, {
    untouched: context.untouched,
    next: 'Try again; if it keeps failing, run with --debug and report the output.',
    cause: error,
  });
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function assertRegion(region: string): void {
  if (!REGION.test(region)) {
    throw usageError(`"${region}" is not an AWS region name.`, {
      next: 'Pass a region such as us-east-1 or eu-west-1 with --region.',
    });
  }
}
