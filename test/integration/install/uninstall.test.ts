import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Prompts } from '../../../src/io/prompts.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { runRack, tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { describeStack, historyOf, registeredNames, SLIM_TEMPLATE, slimChannels } from './fixtures.js';

const PASSWORD = 'uninstall-Secret-42';
const DELETES = /^(DeleteObjects|DeleteObject|DeleteStack|DeleteBucket|UpdateTerminationProtection)$/;
let aws: LocalAws;
let timelines: Timelines;
let channels: string;
let home: string;
let s3: S3Client;
const env = () => ({ ...aws.env(), RACK_HOME: home });

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
  channels = slimChannels();
  timelines = scriptTimelines(aws);
});
afterEach(() => timelines.clear());
beforeEach(() => {
  home = tempHome();
});
afterAll(async () => aws?.stop());

/** A rack installed by rack itself (from the slim release), with its settings bucket's name. */
async function installed(name: string, extra: string[] = []): Promise<string> {
  const result = await runRack(
    [
      'install',
      name,
      '--stack',
      `${name}-rack`,
      '--channels',
      channels,
      '--param',
      `Password=${PASSWORD}`,
      '--yes',
      ...extra,
    ],
    { env: env() },
  );
  expect(result.code, result.stderr).toBe(0);
  return settingsBucketOf(`${name}-rack`);
}

async function settingsBucketOf(stackName: string): Promise<string> {
  return (await describeStack(aws, stackName))!.Outputs!.find((o) => o.OutputKey === 'SettingsBucket')!.OutputValue!;
}

/** A rack stack made outside rack (protection can only be set at creation here: moto lacks UpdateTerminationProtection). */
async function createdOutside(stackName: string, protect: boolean): Promise<void> {
  const cfn = new CloudFormationClient(aws.clientConfig());
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: SLIM_TEMPLATE,
      Parameters: [
        { ParameterKey: 'Version', ParameterValue: '1.3.1' },
        { ParameterKey: 'Password', ParameterValue: PASSWORD },
      ],
      EnableTerminationProtection: protect,
    }),
  );
  await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 60, minDelay: 1 }, { StackName: stackName });
}

async function objectCount(bucket: string): Promise<number> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (out.Versions?.length ?? 0) + (out.DeleteMarkers?.length ?? 0);
}

describe('rack uninstall', () => {
  it('empties the settings bucket (versions and delete markers too), deletes the stack, forgets the rack and keeps its history', async () => {
    const bucket = await installed('doomed');
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keys/rack.pem', Body: 'private key v1' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keys/rack.pem', Body: 'private key v2' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'settings.json', Body: '{}' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'settings.json' }));
    expect(await objectCount(bucket)).toBe(4);

    // What the bucket holds at the moment DeleteStack arrives: on AWS, anything left makes the deletion fail.
    const leftAtDeleteStack: number[] = [];
    aws.proxy.inject({
      service: 'cloudformation',
      action: 'DeleteStack',
      times: 1,
      fault: {
        type: 'handle',
        handler: async (_request, _body, forward) => (leftAtDeleteStack.push(await objectCount(bucket)), forward()),
      },
    });
    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'doomed', '--yes'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`The settings bucket ${bucket} holds the rack's keys`);
    expect(result.stderr).toContain('4 objects');
    expect(result.stdout).toContain('Uninstalled doomed: deleted stack doomed-rack in us-east-1 and 4 objects');

    const actions = aws.proxy.requests.slice(mark).map((r) => r.action);
    const emptied = actions.lastIndexOf('DeleteObjects');
    expect(emptied).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf('DeleteStack')).toBeGreaterThan(emptied);
    expect(leftAtDeleteStack).toEqual([0]);
    expect(await describeStack(aws, 'doomed-rack')).toBeUndefined();
    expect(registeredNames(home)).not.toContain('doomed');
    expect(historyOf(home, 'doomed')).toEqual([
      expect.objectContaining({ operation: 'install', result: 'succeeded', to: '1.3.1' }),
      expect.objectContaining({ operation: 'uninstall', result: 'succeeded', from: '1.3.1' }),
    ]);
  });

  it('uninstalls a rack installed from the shipped channels: the bucket emptied, then the whole stack deleted', async () => {
    const install = await runRack(
      [
        'install',
        'shipped',
        '--stack',
        'shipped-rack',
        '--version',
        '1.3.1',
        '--param',
        `Password=${PASSWORD}`,
        '--yes',
      ],
      { env: env() },
    );
    expect(install.code, install.stderr).toBe(0);
    const stack = (await describeStack(aws, 'shipped-rack'))!;
    const bucket = await settingsBucketOf('shipped-rack');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keys/rack.pem', Body: 'private key' }));

    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'shipped', '--yes'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Uninstalled shipped: deleted stack shipped-rack in us-east-1 and 1 object');
    const actions = aws.proxy.requests.slice(mark).map((r) => r.action);
    expect(actions.indexOf('DeleteStack')).toBeGreaterThan(actions.lastIndexOf('DeleteObjects'));
    expect(await describeStack(aws, 'shipped-rack')).toBeUndefined();
    // Deleted as a whole (the VPC with its route table too), not lost half way.
    expect((await describeStack(aws, stack.StackId!))?.StackStatus).toBe('DELETE_COMPLETE');
    expect(await objectCount(bucket).catch((error: Error) => error.name)).toBe('NoSuchBucket');
    expect(registeredNames(home)).not.toContain('shipped');
    expect(historyOf(home, 'shipped').map((e) => `${e.operation}:${e.result}`)).toEqual([
      'install:succeeded',
      'uninstall:succeeded',
    ]);
  });

  it('empties a bucket of more than 1000 objects in batches of 1000', async () => {
    const bucket = await installed('crowded');
    const keys = Array.from({ length: 1003 }, (_, i) => `data/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(
        keys.slice(i, i + 100).map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }))),
      );
    }
    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'crowded', '--yes', '--json'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      rack: 'crowded',
      outcome: 'uninstalled',
      objectsDeleted: 1003,
      settingsBucket: bucket,
      historyKept: true,
    });
    expect(aws.proxy.requests.slice(mark).filter((r) => r.action === 'DeleteObjects')).toHaveLength(2);
    expect(await describeStack(aws, 'crowded-rack')).toBeUndefined();
  }, 120_000);

  it('refuses a stack with termination protection (exit 3) and deletes nothing', async () => {
    await createdOutside('kept-rack', true);
    expect((await runRack(['racks', 'add', 'kept', '--stack', 'kept-rack'], { env: env() })).code).toBe(0);
    const bucket = await settingsBucketOf('kept-rack');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keys/rack.pem', Body: 'private key' }));

    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'kept', '--yes'], { env: env() });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('termination protection');
    expect(result.stderr).toContain(
      'update-termination-protection --no-enable-termination-protection --stack-name kept-rack',
    );
    expect(aws.proxy.requests.slice(mark).filter((r) => DELETES.test(r.action))).toEqual([]);
    expect((await describeStack(aws, 'kept-rack'))?.StackStatus).toBe('CREATE_COMPLETE');
    expect(await objectCount(bucket)).toBe(1);
    expect(registeredNames(home)).toContain('kept');
    expect(historyOf(home, 'kept')).toEqual([]);
  });

  it('refuses a stack installed with --protect', async () => {
    await installed('guarded', ['--protect']);
    const uninstall = await runRack(['uninstall', 'guarded', '--yes'], { env: env() });
    expect(uninstall.code, uninstall.stderr).toBe(3);
    expect((await describeStack(aws, 'guarded-rack'))?.StackStatus).toBe('CREATE_COMPLETE');
  });

  it('without --yes and without a terminal, refuses (exit 2) before any AWS call', async () => {
    await installed('quiet');
    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'quiet'], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(aws.proxy.requests.slice(mark)).toEqual([]);
    expect(registeredNames(home)).toContain('quiet');
  });

  it('asks on a terminal, naming the stack, the region and the bucket with the keys; a no deletes nothing', async () => {
    const bucket = await installed('asked');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keys/rack.pem', Body: 'private key' }));
    const questions: string[] = [];
    const prompts: Prompts = { text: async () => '', confirm: async (q) => (questions.push(q), false) };
    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'asked'], { env: env(), tty: true, prompts });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Uninstall rack asked: delete stack asked-rack in us-east-1 (release 1.3.1)');
    expect(result.stderr).toContain(`The settings bucket ${bucket} holds the rack's keys and private data`);
    expect(result.stderr).toContain('1 object');
    expect(questions).toEqual([`Delete stack asked-rack and everything in ${bucket}? This cannot be undone.`]);
    expect(aws.proxy.requests.slice(mark).filter((r) => DELETES.test(r.action))).toEqual([]);
    expect(await objectCount(bucket)).toBe(1);
    expect(registeredNames(home)).toContain('asked');
  });

  it('a deletion that fails ends in exit 6 with the rack still registered; running it again finishes the job', async () => {
    const bucket = await installed('stuck');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'keys/rack.pem', Body: 'private key' }));
    timelines.script({
      stackName: 'stuck-rack',
      operations: ['DeleteStack'],
      inProgressMs: 300,
      outcome: 'rollback',
      failure: {
        logicalId: 'EncryptionKey',
        reason: 'Resource handler returned message: "Access denied for kms:ScheduleKeyDeletion"',
      },
    });
    const failed = await runRack(['uninstall', 'stuck', '--yes'], { env: env() });
    expect(failed.code, failed.stderr).toBe(6);
    expect(failed.stderr).toContain('DELETE_FAILED');
    expect(failed.stderr).toContain('EncryptionKey');
    expect(failed.stderr).toContain('The rack is still registered');
    expect(registeredNames(home)).toContain('stuck');
    expect(historyOf(home, 'stuck').at(-1)).toMatchObject({ operation: 'uninstall', result: 'failed' });
    timelines.clear();

    const again = await runRack(['uninstall', 'stuck', '--yes'], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(await describeStack(aws, 'stuck-rack')).toBeUndefined();
    expect(registeredNames(home)).not.toContain('stuck');
    expect(historyOf(home, 'stuck').map((e) => `${e.operation}:${e.result}`)).toEqual([
      'install:succeeded',
      'uninstall:failed',
      'uninstall:succeeded',
    ]);
  });

  it('an unknown rack cannot be uninstalled (exit 2)', async () => {
    const result = await runRack(['uninstall', 'nobody', '--yes'], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No rack named "nobody"');
  });

  it('forgets a rack whose stack is already gone, keeping its history', async () => {
    await installed('ghost');
    const first = await runRack(['uninstall', 'ghost', '--yes'], { env: env() });
    expect(first.code, first.stderr).toBe(0);
    // Registered again by hand for a stack that no longer exists.
    await createdOutside('ghost-rack', false);
    expect((await runRack(['racks', 'add', 'ghost', '--stack', 'ghost-rack'], { env: env() })).code).toBe(0);
    await new CloudFormationClient(aws.clientConfig()).send(new DeleteStackCommand({ StackName: 'ghost-rack' }));

    const mark = aws.proxy.requests.length;
    const result = await runRack(['uninstall', 'ghost', '--yes'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('already gone');
    expect(aws.proxy.requests.slice(mark).filter((r) => DELETES.test(r.action))).toEqual([]);
    expect(registeredNames(home)).not.toContain('ghost');
    expect(historyOf(home, 'ghost').map((e) => e.operation)).toEqual(['install', 'uninstall', 'uninstall']);
    expect(historyOf(home, 'ghost').at(-1)?.note).toContain('no longer existed');
  });
});
