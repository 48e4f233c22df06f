/**
 * Releases whose template lives in S3 (on the local AWS): publish reads the object for its digest and
 * leaves it where it is; verify reads it again and notices when it changed. (https:// templates are tested
 * only for their refusals: the schema accepts https alone, and a loopback server would need a trusted
 * certificate.)
 */
import { PutObjectCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { fixedClock, newTemplate, snapshot, workspace } from './fixtures.js';

const BUCKET = 'rack-releases';
let aws: LocalAws;
let s3: S3Client;

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => aws?.stop());

describe('a template in S3', () => {
  it('is published by its URL with the digest of its bytes, and verified against them', async () => {
    const ws = await workspace();
    const body = await newTemplate('1.5.0');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'rack-1.5.0.yaml', Body: body }));
    const url = `s3://${BUCKET}/rack-1.5.0.yaml`;
    const rack = (args: string[]) =>
      ws.rack([...args, '--channels', ws.channels], { env: aws.env(), clock: fixedClock('2026-12-01T12:00:00Z') });

    const published = await rack(['channel', 'publish', '1.5.0', '--template', url, '--json']);
    expect(published.code, published.stderr).toBe(0);
    const digest = createHash('sha256').update(body).digest('hex');
    expect(published.json()).toMatchObject({ template: url, sha256: digest });
    expect(published.json().copiedTo).toBeUndefined();
    expect(await ws.read('catalog.yaml')).toContain(
      `  - version: 1.5.0\n    template: ${url}\n    sha256: ${digest}\n`,
    );
    expect((await rack(['channel', 'verify'])).code).toBe(0);

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'rack-1.5.0.yaml', Body: `${body}# changed\n` }));
    const changed = await rack(['channel', 'verify']);
    expect(changed.code).toBe(3);
    expect(changed.stderr).toMatch(
      / {2}- channels\/catalog\.yaml:\d+: releases\[6\]\.sha256: does not match s3:\/\/rack-releases\/rack-1\.5\.0\.yaml, whose sha256 is [0-9a-f]{64}\n/,
    );
  });

  it('is refused when the object cannot be read, and nothing is written', async () => {
    const ws = await workspace();
    const before = await snapshot(ws.channels);
    const result = await ws.rack(
      ['channel', 'publish', '1.5.0', '--template', `s3://${BUCKET}/missing.yaml`, '--channels', ws.channels],
      { env: aws.env() },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `The template cannot be read: s3://${BUCKET}/missing.yaml could not be read: NoSuchKey`,
    );
    expect(await snapshot(ws.channels)).toEqual(before);
  });
});
