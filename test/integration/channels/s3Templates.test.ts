/**
 * Releases whose template lives in S3 (on the local AWS): publish reads the object for its digest and
 * leaves it where it is; verify reads it again and notices when it changed; a command for a rack reads it
 * with the rack's profile and region. (https:// templates: httpsTemplates.test.ts.)
 */
import { CloudFormationClient, CreateStackCommand, waitUntilStackCreateComplete } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { templateBody } from '../../harness/rackStacks.js';
import { runRackBinary } from '../../harness/runRack.js';
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

describe("a release's template in S3, for a rack", () => {
  it("is read with the rack's profile and region, not the default ones", async () => {
    const ws = await workspace();
    // The rack lives in eu-west-1 and is reached with the named profile `racks`; the default profile and
    // AWS_REGION point elsewhere.
    await writeFile(
      path.join(ws.root, 'credentials'),
      '[default]\naws_access_key_id = AKIADEFAULTPROFILE\naws_secret_access_key = default-secret\n\n' +
        '[racks]\naws_access_key_id = AKIARACKSPROFILE\naws_secret_access_key = racks-secret\n',
    );
    await writeFile(
      path.join(ws.root, 'config'),
      '[default]\nregion = us-east-1\n\n[profile racks]\nregion = us-west-2\n',
    );
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...rest } = aws.env();
    const env = {
      ...rest,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: path.join(ws.root, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(ws.root, 'credentials'),
    };

    const cfn = new CloudFormationClient({ ...aws.clientConfig(), region: 'eu-west-1' });
    await cfn.send(
      new CreateStackCommand({
        StackName: 'eu-prod',
        TemplateBody: templateBody('1.2.0'),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'Version', ParameterValue: '1.2.0' },
          { ParameterKey: 'Password', ParameterValue: 'eu-prod-Secret-1' },
        ],
      }),
    );
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 60, minDelay: 1 }, { StackName: 'eu-prod' });
    // The release the update goes to has its template in S3 (the same bytes, so the digest holds).
    const shipped = await readFile(path.join(ws.channels, 'templates/rack-1.3.1.yaml'));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'rack-1.3.1.yaml', Body: shipped }));
    const catalog = path.join(ws.channels, 'catalog.yaml');
    await writeFile(
      catalog,
      (await readFile(catalog, 'utf8')).replace(
        'template: templates/rack-1.3.1.yaml',
        `template: s3://${BUCKET}/rack-1.3.1.yaml`,
      ),
    );

    // The binary: the SDK reads profiles from its own process's environment.
    const rack = (...args: string[]) =>
      runRackBinary([...args, '--channels', ws.channels], { ...env, RACK_HOME: ws.home });
    const added = await rack(
      'racks',
      'add',
      'prod',
      '--stack',
      'eu-prod',
      '--region',
      'eu-west-1',
      '--profile',
      'racks',
    );
    expect(added.code, added.stderr).toBe(0);

    const signed: string[] = [];
    aws.proxy.inject({
      service: 's3',
      action: 'GetObject',
      fault: {
        type: 'handle',
        handler: async (request, _body, forward) => {
          // SigV4: Credential=<access key>/<date>/<region>/s3/aws4_request
          const credential = /Credential=([^/]+)\/[^/]+\/([^/]+)\/s3\//.exec(String(request.headers.authorization));
          signed.push(credential ? `${credential[1]} ${credential[2]}` : 'unsigned');
          return forward();
        },
      },
    });
    try {
      const planned = await rack('update', '--dry-run');
      expect(planned.code, planned.stderr).toBe(0);
      expect(planned.stdout + planned.stderr).toContain('1.3.1');
    } finally {
      aws.proxy.clear();
    }
    expect(signed).toEqual(['AKIARACKSPROFILE eu-west-1']);
  });
});
