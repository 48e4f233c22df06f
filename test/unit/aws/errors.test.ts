import { describe, expect, it } from 'vitest';
import { assertRegion, toRackError } from '../../../src/aws/errors.js';

const context = { doing: 'reading stack s in us-east-1', untouched: 'Nothing was written.' };
const sdkError = (name: string, message: string, status?: number) =>
  Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('AWS errors as rack errors', () => {
  it.each([
    ['CredentialsProviderError', 'Could not load credentials from any providers', 'auth', 4],
    ['ExpiredToken', 'The security token included in the request is expired', 'auth', 4],
    ['AccessDenied', 'User is not authorized to perform cloudformation:DescribeStacks', 'auth', 4],
    ['Error', 'connect ECONNREFUSED 127.0.0.1:9', 'internal', 1],
    ['Error', 'getaddrinfo ENOTFOUND cloudformation.moon-1.amazonaws.com', 'internal', 1],
    ['ThrottlingException', 'Rate exceeded', 'internal', 1],
  ])('%s (%s) is %s, exit %i', (name, message, kind, code) => {
    const error = toRackError(sdkError(name, message), context);
    expect(error).toMatchObject({ kind, exitCode: code, untouched: 'Nothing was written.' });
    expect(error.message).toContain('reading stack s in us-east-1');
    expect(error.next).toBeTruthy();
  });

  it('says an unreachable endpoint is a network problem and names AWS_ENDPOINT_URL', () => {
    const error = toRackError(sdkError('Error', 'connect ECONNREFUSED 127.0.0.1:9'), context);
    expect(error.message).toBe(
      'Could not reach AWS while reading stack s in us-east-1 (connect ECONNREFUSED 127.0.0.1:9), even after retrying.',
    );
    expect(error.next).toContain('AWS_ENDPOINT_URL');
  });

  it('passes a RackError through unchanged', () => {
    const original = toRackError(sdkError('AccessDenied', 'no'), context);
    expect(toRackError(original, { doing: 'something else' })).toBe(original);
  });

  it('refuses a region name that is not one', () => {
    expect(() => assertRegion('moon')).toThrow(expect.objectContaining({ kind: 'usage' }));
    for (const region of ['us-east-1', 'eu-central-1', 'us-gov-west-1', 'ap-southeast-3'])
      expect(() => assertRegion(region)).not.toThrow();
  });
});
