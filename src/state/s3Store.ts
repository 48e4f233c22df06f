/**
 * The state store for teams: an S3 prefix (RACK_STATE=s3://bucket/prefix) holding the registry, history
 * and locks, so two operators on two machines see one truth. Compare-and-swap uses S3 conditional
 * writes: If-None-Match: * to create, If-Match: <etag> to replace. The S3 SDK loads on first use, so that
 * the context can offer this store without every command paying for it.
 */
import type { AwsClients } from '../aws/clients.js';
import { awsErrorName, isTransientAwsError, toRackError } from '../aws/errors.js';
import { usageError } from '../errors.js';
import type { StateStore } from './store.js';

function parseStateUrl(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) {
    throw usageError(`RACK_STATE must look like s3://bucket/prefix, not "${url}".`, {
      next: 'Set RACK_STATE=s3://<bucket>/<prefix>, or unset it to keep state on this machine.',
    });
  }
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/\/+$/, '') };
}

const isConflict = (error: unknown) => {
  const name = awsErrorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409;
};

const isMissing = (error: unknown) => {
  const name = awsErrorName(error);
  return (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
};

const sdk = () => import('@aws-sdk/client-s3');

/** How long one state read or write keeps trying through throttling, 5xx and dropped connections. */
const STATE_RETRY_MS = 45_000;

/**
 * Tries `call` again while it fails transiently, with backoff and jitter, for up to `budgetMs`: a state
 * store that is unreachable for a while must not end an operation that CloudFormation is running. A
 * conditional write retried after a lost answer comes back as a conflict; callers re-read and see their
 * own write (locks, history and the registry all check for that).
 */
async function retrying<T>(call: () => Promise<T>, budgetMs: number): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransientAwsError(error) || Date.now() >= deadline) throw error;
      const pause = Math.min(5000, 250 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
    }
  }
}

export function createS3Store(url: string, aws: AwsClients, options: { retryMs?: number } = {}): StateStore {
  const budget = options.retryMs ?? STATE_RETRY_MS;
  const { bucket, prefix } = parseStateUrl(url);
  const objectKey = (key: string) => (prefix ? `${prefix}/${key}` : key);
  const doing = (what: string, key: string) => ({ doing: `${what} s3://${bucket}/${objectKey(key)} (RACK_STATE)` });

  // One read, without retries: `get` retries it, and so does `delete` around its read and its delete.
  const getOnce: StateStore['get'] = async (key) => {
    const [s3, { GetObjectCommand }] = await Promise.all([aws.s3(), sdk()]);
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return { text: (await out.Body?.transformToString('utf8')) ?? '', version: out.ETag ?? '' };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw toRackError(error, doing('reading', key));
    }
  };

  return {
    location: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    describe: (key) => `s3://${bucket}/${objectKey(key)}`,
    get: (key) => retrying(() => getOnce(key), budget),
    put: (key, text, expect) =>
      retrying(async () => {
        const [s3, { PutObjectCommand }] = await Promise.all([aws.s3(), sdk()]);
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: objectKey(key),
              Body: text,
              ContentType: 'application/json',
              ServerSideEncryption: 'AES256',
              ...(expect === null ? { IfNoneMatch: '*' } : { IfMatch: expect }),
            }),
          );
          return true;
        } catch (error) {
          if (isConflict(error)) return false;
          throw toRackError(error, doing('writing', key));
        }
      }, budget),
    delete: (key, expect) =>
      retrying(async () => {
        const [s3, { DeleteObjectCommand }] = await Promise.all([aws.s3(), sdk()]);
        // Not every S3 implementation honours If-Match on delete; check the version first as well.
        const current = await getOnce(key);
        if (!current || current.version !== expect) return false;
        try {
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key), IfMatch: expect }));
          return true;
        } catch (error) {
          if (isConflict(error)) return false;
          throw toRackError(error, doing('deleting', key));
        }
      }, budget),
    list: (listPrefix) =>
      retrying(async () => {
        const [s3, { ListObjectsV2Command }] = await Promise.all([aws.s3(), sdk()]);
        const keys: string[] = [];
        let token: string | undefined;
        do {
          const out = await s3
            .send(
              new ListObjectsV2Command({
                Bucket: bucket,
                Prefix: `${objectKey(listPrefix)}/`,
                ContinuationToken: token,
              }),
            )
            .catch((error) => {
              throw toRackError(error, doing('listing', listPrefix));
            });
          for (const item of out.Contents ?? [])
            if (item.Key) keys.push(prefix ? item.Key.slice(prefix.length + 1) : item.Key);
          token = out.NextContinuationToken;
        } while (token);
        return keys.sort();
      }, budget),
  };
}
