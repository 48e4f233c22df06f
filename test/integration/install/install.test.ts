import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Prompts } from '../../../src/io/prompts.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { captureBodies, channelsCopy, describeStack, historyOf, registeredNames } from './fixtures.js';

const PASSWORD = 'install-Secret-42';
let aws: LocalAws;
let timelines: Timelines;
let home: string;
const env = () => ({ ...aws.env(), RACK_HOME: home });
const WRITES = /^(CreateStack|CreateBucket|PutObject|CreateChangeSet|ExecuteChangeSet|UpdateStack)$/;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
  home = tempHome();
});
afterEach(() => timelines.clear());
afterAll(async () => aws?.stop());

/** Runs a command expected to be refused, and checks it wrote nothing to AWS and registered nothing. */
async function refusedWithoutWrites(args: string[], code: number, options: { env?: Record<string, string> } = {}) {
  const mark = aws.proxy.requests.length;
  const racksBefore = registeredNames(home);
  const result = await runRack([...args, '--debug'], { env: { ...env(), ...options.env } });
  expect(result.code, result.stderr).toBe(code);
  expect(
    aws.proxy.requests
      .slice(mark)
      .filter((r) => WRITES.test(r.action))
      .map((r) => r.action),
  ).toEqual([]);
  expect(registeredNames(home)).toEqual(racksBefore);
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return { ...result, requests: aws.proxy.requests.slice(mark) };
}

describe('rack install', () => {
  it('creates the stable release with the given password, registers the rack and records the install', async () => {
    const bodies = captureBodies(aws, 'CreateStack');
    const result = await runRack(
      ['install', 'prod', '--stack', 'prod-rack', '--param', `Password=${PASSWORD}`, '--yes', '--debug'],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Installed rack prod: release 1.3.1 on stack prod-rack');
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(result.stderr).toMatch(/Password \(NoEcho\)\s+\*\*\*\*\s+--param/);
    expect(result.stderr).toContain('CREATE_COMPLETE');

    const stored = await aws.stackParameters('prod-rack');
    expect(stored).toMatchObject({ Version: '1.3.1', Password: PASSWORD });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('TemplateBody=');
    expect(bodies[0]).not.toContain('TemplateURL=');
    expect(bodies[0]).toContain('Capabilities.member.1=CAPABILITY_IAM');
    expect(bodies[0]).toContain('Capabilities.member.2=CAPABILITY_NAMED_IAM');

    const stack = await describeStack(aws, 'prod-rack');
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    expect(Object.fromEntries((stack?.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      'rack:name': 'prod',
      'rack:version': '1.3.1',
      // The install's history entry: a retried CreateStack recognises the stack it made by it.
      'rack:operation': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(stack?.EnableTerminationProtection ?? false).toBe(false);

    const shown = await runRack(['racks', 'show', 'prod', '--json'], { env: env() });
    expect(shown.json()).toMatchObject({
      rack: { name: 'prod', stack: 'prod-rack', region: 'us-east-1', channel: 'stable' },
      version: '1.3.1',
    });
    expect(historyOf(home, 'prod')).toEqual([
      expect.objectContaining({ operation: 'install', to: '1.3.1', result: 'succeeded' }),
    ]);
    const history = await runRack(['history', '--rack', 'prod', '--json'], { env: env() });
    expect(JSON.stringify(history.json())).not.toContain(PASSWORD);
  });

  it('generates the NoEcho secret a migration asks for (1.4.0: WebhookSecret), and never prints it', async () => {
    const result = await runRack(
      [
        'install',
        'staging',
        '--stack',
        'staging-rack',
        '--channel',
        'unstable',
        '--param',
        `Password=${PASSWORD}`,
        '--yes',
        '--json',
        '--debug',
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const stored = await aws.stackParameters('staging-rack');
    // unstable's newest release is 2.0.0, over 51,200 bytes: created from the artifacts bucket.
    expect(stored.Version).toBe('2.0.0');
    expect(stored.WebhookSecret).toMatch(/^[!-~]{32,}$/);
    expect(result.stdout + result.stderr).not.toContain(stored.WebhookSecret);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    const out = result.json();
    expect(out).toMatchObject({
      rack: 'staging',
      version: '2.0.0',
      channel: 'unstable',
      outcome: 'installed',
      templateVia: 'artifacts-bucket',
    });
    expect(out.parameters).toContainEqual({
      key: 'WebhookSecret',
      noEcho: true,
      source: 'generated',
      display: '****',
      generatedBy: '1.4.0',
    });
    expect(out.parameters).toContainEqual({ key: 'InstanceCount', noEcho: false, source: 'default', display: '3' });

    // Each rack gets its own secret.
    const other = await runRack(
      [
        'install',
        'staging2',
        '--stack',
        'staging2-rack',
        '--version',
        '1.4.0',
        '--channel',
        'unstable',
        '--param',
        `Password=${PASSWORD}`,
        '--yes',
      ],
      { env: env() },
    );
    expect(other.code, other.stderr).toBe(0);
    expect((await aws.stackParameters('staging2-rack')).WebhookSecret).not.toBe(stored.WebhookSecret);
  });

  it('a WebhookSecret given with --param is used instead of a generated one', async () => {
    const result = await runRack(
      [
        'install',
        'given',
        '--stack',
        'given-rack',
        '--version',
        '1.4.0',
        '--param',
        `Password=${PASSWORD}`,
        '--param',
        'WebhookSecret=given-webhook-secret-123',
        '--yes',
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    // Not in stable: installed all the same, with a warning about the channel it follows.
    expect(result.stderr).toContain('1.4.0 is not in stable');
    expect((await aws.stackParameters('given-rack')).WebhookSecret).toBe('given-webhook-secret-123');
    expect(result.stdout + result.stderr).not.toContain('given-webhook-secret-123');
  });

  it('refuses a missing required value without a terminal, naming --param, and creates nothing', async () => {
    const result = await refusedWithoutWrites(['install', 'nopass', '--stack', 'nopass-rack', '--yes'], 2);
    expect(result.stderr).toContain('--param Password=<value>');
    expect(await describeStack(aws, 'nopass-rack')).toBeUndefined();
  });

  it('without --yes and without a terminal, refuses before any AWS call', async () => {
    const result = await refusedWithoutWrites(
      ['install', 'noyes', '--stack', 'noyes-rack', '--param', `Password=${PASSWORD}`],
      2,
    );
    expect(result.stderr).toContain('--yes');
    expect(result.requests).toEqual([]);
  });

  it('asks for a missing value on a terminal, hidden for NoEcho, asks again after an invalid answer', async () => {
    const asked: Array<{ question: string; secret?: boolean }> = [];
    const answers = ['Xq9z!', 'typed-Secret-77'];
    const prompts: Prompts = {
      text: async (question, options) => {
        asked.push({ question, secret: options?.secret });
        return answers.shift()!;
      },
      confirm: async (question) => {
        asked.push({ question });
        return true;
      },
    };
    const result = await runRack(['install', 'typed', '--stack', 'typed-rack'], { env: env(), tty: true, prompts });
    expect(result.code, result.stderr).toBe(0);
    expect(asked.map((a) => a.question)).toEqual([
      expect.stringMatching(/^Password \(Password of the rack API\), hidden: $/),
      expect.stringMatching(/^Password/),
      'Create stack typed-rack in us-east-1 and register it as typed?',
    ]);
    expect(asked[0]!.secret).toBe(true);
    expect(result.stderr).toContain('shorter than 8 characters');
    expect(result.stderr).toMatch(/Password \(NoEcho\)\s+\*\*\*\*\s+typed/);
    expect(result.stdout + result.stderr).not.toContain('typed-Secret-77');
    expect(result.stdout + result.stderr).not.toContain('Xq9z!');
    expect((await aws.stackParameters('typed-rack')).Password).toBe('typed-Secret-77');
  });

  it('declining the confirmation creates nothing', async () => {
    const prompts: Prompts = { text: async () => '', confirm: async () => false };
    const mark = aws.proxy.requests.length;
    const result = await runRack(
      ['install', 'declined', '--stack', 'declined-rack', '--param', `Password=${PASSWORD}`],
      { env: env(), tty: true, prompts },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Declined at the confirmation prompt.');
    expect(aws.proxy.requests.slice(mark).filter((r) => WRITES.test(r.action))).toEqual([]);
    expect(await describeStack(aws, 'declined-rack')).toBeUndefined();
    expect(registeredNames(home)).not.toContain('declined');
  });

  it('refuses a template that does not match its digest (exit 3) before any AWS call', async () => {
    const channels = channelsCopy({
      version: '1.3.1',
      change: (body) => body.replace('MaxSize: "21"', 'MaxSize: "22"'),
    });
    const result = await refusedWithoutWrites(
      [
        'install',
        'tampered',
        '--stack',
        'tampered-rack',
        '--channels',
        channels,
        '--param',
        `Password=${PASSWORD}`,
        '--yes',
      ],
      3,
    );
    expect(result.stderr).toContain('does not match its digest');
    expect(result.requests).toEqual([]);
    expect(await describeStack(aws, 'tampered-rack')).toBeUndefined();
  });

  it('uploads a template too large to pass inline to the artifacts bucket and passes its AWS-form URL', async () => {
    const padding = `\n# ${'padding to exceed the inline template limit '.repeat(20)}`.repeat(60);
    const channels = channelsCopy({ version: '1.3.1', change: (body) => body + padding, fixDigest: true });
    const bodies = captureBodies(aws, 'CreateStack');
    const result = await runRack(
      [
        'install',
        'large',
        '--stack',
        'large-rack',
        '--channels',
        channels,
        '--param',
        `Password=${PASSWORD}`,
        '--yes',
        '--json',
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const url = result.json().templateUrl as string;
    // Keyed by the template's digest, which is the catalog's.
    const digest = /sha256: ([0-9a-f]{64})\n/.exec(
      readFileSync(path.join(channels, 'catalog.yaml'), 'utf8').split('version: 1.3.1')[1]!,
    )![1];
    expect(url).toBe(`https://rack-artifacts-123456789012-us-east-1.s3.amazonaws.com/templates/${digest}`);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain(`TemplateURL=${url}`);
    expect(bodies[0]).not.toContain('TemplateBody=');
    const [, bucket, key] = /^https:\/\/([^.]+)\.s3\.amazonaws\.com\/(.+)$/.exec(url)!;
    const s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBeGreaterThan(51_200);
    expect(head.ServerSideEncryption).toBe('AES256');
    expect((await describeStack(aws, 'large-rack'))?.StackStatus).toBe('CREATE_COMPLETE');
    expect((await aws.stackParameters('large-rack')).Password).toBe(PASSWORD);
  });

  it('follows a creation that takes a while, showing its progress', async () => {
    const creation = timelines.script({
      stackName: 'slow-rack',
      operations: ['CreateStack'],
      inProgressMs: 600,
      outcome: 'complete',
      resourceEvents: 4,
    });
    const result = await runRack(
      ['install', 'slow', '--stack', 'slow-rack', '--param', `Password=${PASSWORD}`, '--yes'],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await creation.finished).toMatchObject({ status: 'CREATE_COMPLETE' });
    expect(result.stderr).toMatch(/slow-rack CREATE_IN_PROGRESS/);
    expect(result.stderr.match(/^\[slow\] .* CREATE_(IN_PROGRESS|COMPLETE)$/gm)?.length).toBeGreaterThanOrEqual(4);
    expect(result.stderr).toMatch(/slow-rack CREATE_COMPLETE/);
    expect(registeredNames(home)).toContain('slow');
  });

  it('a failed creation ends in exit 6 naming the failing resource; the rack is not registered, the attempt is recorded', async () => {
    timelines.script({
      stackName: 'failed-rack',
      operations: ['CreateStack'],
      inProgressMs: 300,
      outcome: 'rollback',
      failure: {
        logicalId: 'AutoScalingGroup',
        reason: 'You have requested more instances than your current instance limit',
      },
    });
    const result = await runRack(
      ['install', 'failed', '--stack', 'failed-rack', '--param', `Password=${PASSWORD}`, '--yes', '--json'],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(6);
    expect(result.stderr).toContain('ROLLBACK_COMPLETE');
    expect(result.stderr).toContain(
      'AutoScalingGroup (AWS::AutoScaling::AutoScalingGroup): You have requested more instances',
    );
    expect(result.stderr).toContain('aws cloudformation delete-stack --stack-name failed-rack --region us-east-1');
    expect(result.json().error).toMatchObject({
      kind: 'failed',
      details: { status: 'ROLLBACK_COMPLETE', firstFailure: { logicalId: 'AutoScalingGroup' } },
    });
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(registeredNames(home)).not.toContain('failed');
    expect(historyOf(home, 'failed')).toEqual([
      expect.objectContaining({ operation: 'install', to: '1.3.1', result: 'rolled-back' }),
    ]);
  });

  it('turns termination protection on with --protect', async () => {
    const result = await runRack(
      ['install', 'guarded', '--stack', 'guarded-rack', '--param', `Password=${PASSWORD}`, '--protect', '--yes'],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect((await describeStack(aws, 'guarded-rack'))?.EnableTerminationProtection).toBe(true);
  });

  it('refuses what cannot be installed, each with its own code, writing nothing', async () => {
    const base = ['--param', `Password=${PASSWORD}`, '--yes'];
    expect((await refusedWithoutWrites(['install', 'prod', '--stack', 'other-rack', ...base], 2)).stderr).toContain(
      'already registered',
    );
    await createRackStack(aws, { stackName: 'existing-rack', version: '1.0.0', password: PASSWORD });
    expect((await refusedWithoutWrites(['install', 'fresh', '--stack', 'existing-rack', ...base], 2)).stderr).toContain(
      'already exists',
    );
    expect(
      (await refusedWithoutWrites(['install', 'v', '--stack', 'v-rack', '--param', 'Version=9.9.9', ...base], 3))
        .stderr,
    ).toContain('--version');
    expect(
      (await refusedWithoutWrites(['install', 'y', '--stack', 'y-rack', '--version', '1.3.0', ...base], 3)).stderr,
    ).toContain('Use 1.3.1 instead, which fixes it');
    expect(
      (await refusedWithoutWrites(['install', 'u', '--stack', 'u-rack', '--version', '7.0.0', ...base], 3)).stderr,
    ).toContain('not a release');
    expect(
      (
        await refusedWithoutWrites(
          ['install', 'c', '--stack', 'c-rack', '--version', '1.4.0', '--channel', 'stable', ...base],
          3,
        )
      ).stderr,
    ).toContain('not in the channel stable');
    expect(
      (await refusedWithoutWrites(['install', 'n', '--stack', 'n-rack', '--channel', 'nightly', ...base], 2)).stderr,
    ).toContain('no channel named');
    const invalid = await refusedWithoutWrites(
      [
        'install',
        'i',
        '--stack',
        'i-rack',
        '--param',
        'InstanceType=t2.nano',
        '--param',
        'Bogus=1',
        '--param',
        'Password=Xq9z!',
        '--yes',
      ],
      3,
    );
    expect(invalid.stderr).toContain('3 problems');
    expect(invalid.stderr).toContain('not one of the allowed values');
    expect(invalid.stderr).toContain('Unknown parameter Bogus');
    expect(invalid.stderr).not.toContain('Xq9z!');
    expect((await refusedWithoutWrites(['install', 'bad name', '--stack', 'b-rack', ...base], 2)).stderr).toContain(
      'not a valid rack name',
    );
  });
});
