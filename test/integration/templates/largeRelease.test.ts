/**
 * A release whose template is over CloudFormation's 51,200-byte inline limit, through every command, on the
 * harness with the limit on (`template-body-limit`): published, installed, updated to (two hops, the second
 * one large), previewed with --dry-run, parameters set, rolled back and uninstalled. Every template goes through the
 * artifacts bucket rack owns: every request to it names the expected owner, and the uploaded object's digest is
 * read back before each change set and stack that uses it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import type { ProxiedRequest } from '../../harness/proxy.js';
import { runRack, tempHome } from '../../harness/runRack.js';
import { fixedClock, workspace, type Workspace } from '../channels/fixtures.js';
import { describeStack } from '../install/fixtures.js';

const PASSWORD = 'large-release-Secret-1';
const ACCOUNT = '123456789012';
const BUCKET = `rack-artifacts-${ACCOUNT}-us-east-1`;

let aws: LocalAws;
let ws: Workspace;
let home: string;
/** Every S3 request to the artifacts bucket and every CloudFormation call that sends a template, in order. */
const calls: Array<{ action: string; path: string; owner?: string; template?: string }> = [];

beforeAll(async () => {
  [aws, ws] = await Promise.all([startLocalAws(), workspace()]);
  home = tempHome('rack-large-');
  aws.proxy.inject({
    name: 'record template traffic',
    when: (request: ProxiedRequest) => request.service === 's3' || request.service === 'cloudformation',
    fault: {
      type: 'handle',
      handler: async (request, body, forward) => {
        if (request.service === 's3' && request.url.includes(BUCKET)) {
          const owner = request.headers['x-amz-expected-bucket-owner'];
          calls.push({ action: request.action, path: request.url.split('?')[0]!, owner: String(owner ?? '') });
        } else if (request.service === 'cloudformation') {
          const form = new URLSearchParams(body.toString('utf8'));
          const template = form.get('TemplateURL') ?? (form.has('TemplateBody') ? 'inline' : undefined);
          if (template !== undefined) calls.push({ action: request.action, path: '', template });
        }
        return forward();
      },
    },
  });
});
afterAll(async () => {
  await aws?.stop();
});

const env = () => ({ ...aws.env(), RACK_HOME: home, RACK_CHANNELS: ws.channels, RACK_HEALTH_TIMEOUT: '60' });
const rack = (...args: string[]) => runRack(args, { env: env() });

/** The index of the last call before `before` that matches (-1 if none). */
function lastBefore(before: number, match: (call: (typeof calls)[number]) => boolean): number {
  for (let i = before - 1; i >= 0; i--) if (match(calls[i]!)) return i;
  return -1;
}

describe('a release over 51,200 bytes', () => {
  it('is published like any other', async () => {
    const shipped = readFileSync(path.join(ws.channels, 'templates/rack-2.0.0.yaml'), 'utf8');
    // 2.1.0: the API's down alarm reacts a minute sooner.
    const body = shipped
      .replace('Description: rack 2.0.0 -', 'Description: rack 2.1.0 -')
      .replace(
        '      EvaluationPeriods: 3\n      DatapointsToAlarm: 2\n',
        '      EvaluationPeriods: 2\n      DatapointsToAlarm: 2\n',
      );
    expect(body).not.toBe(shipped);
    expect(Buffer.byteLength(body)).toBeGreaterThan(51_200);
    const file = path.join(ws.root, 'rack-2.1.0.yaml');
    writeFileSync(file, body);
    const published = await ws.rack(
      ['channel', 'publish', '2.1.0', '--template', file, '--notes', 'Faster API alarm', '--channels', ws.channels],
      { clock: fixedClock('2026-12-05T10:00:00Z') },
    );
    expect(published.code, published.stderr).toBe(0);
    expect((await ws.rack(['channel', 'verify', '--channels', ws.channels])).code).toBe(0);
  });

  it('a rack is installed small, then updated in two hops whose second is large', async () => {
    const installed = await rack(
      'install',
      'big',
      '--stack',
      'big-rack',
      '--version',
      '1.1.0',
      '--channel',
      'unstable',
      '--param',
      `Password=${PASSWORD}`,
      '--yes',
      '--json',
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.json()).toMatchObject({ version: '1.1.0', templateVia: 'body' });

    const updated = await rack('update', '--version', '2.0.0', '--yes', '--json');
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.json()).toMatchObject({ outcome: 'updated', reached: '2.0.0', path: ['1.2.0', '2.0.0'] });
    expect(updated.json().hops.map((h: { to: string; result: string }) => [h.to, h.result])).toEqual([
      ['1.2.0', 'succeeded'],
      ['2.0.0', 'succeeded'],
    ]);
    const stored = await aws.stackParameters('big-rack');
    expect(stored).toMatchObject({ Version: '2.0.0', Password: PASSWORD, LogRetentionDays: '7' });
    // The 1.4.0 migration, crossed on the way, drew the new secret.
    expect(stored.WebhookSecret).toMatch(/^[!-~]{16,}$/);
  });

  it('an update to it is shown with --dry-run, through the bucket, and nothing is executed', async () => {
    const before = aws.proxy.seen({ action: 'ExecuteChangeSet' }).length;
    const dry = await rack('update', '--version', '2.1.0', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toMatchObject({ outcome: 'dry-run', from: '2.0.0', target: '2.1.0', path: ['2.1.0'] });
    expect(dry.json().hops[0].changeSet).toMatch(/^rack-update-2-1-0-/);
    expect(aws.proxy.seen({ action: 'ExecuteChangeSet' })).toHaveLength(before);
    expect((await aws.stackParameters('big-rack')).Version).toBe('2.0.0');
    expect(calls.filter((c) => c.action === 'CreateChangeSet').at(-1)?.template).toMatch(
      new RegExp(`^https://${BUCKET}\\.s3\\.amazonaws\\.com/templates/[0-9a-f]{64}$`),
    );
  });

  it('a refusal of what the template itself rules out comes before the upload: nothing is written anywhere', async () => {
    const mark = calls.length;
    const writesBefore = aws.proxy.requests.length;
    const refused = await rack('update', '--version', '2.1.0', '--param', 'InstanceType=t2.nano', '--yes');
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('InstanceType');
    expect(calls.slice(mark).filter((c) => c.action === 'PutObject' || c.action === 'CreateBucket')).toEqual([]);
    const writes = aws.proxy.requests.slice(writesBefore).filter((r) => /^(Put|Create|Execute|Delete)/.test(r.action));
    expect(writes.map((r) => r.action)).toEqual([]);
    expect((await aws.stackParameters('big-rack')).Version).toBe('2.0.0');
  });

  it('the rack is updated to the published large release, its parameters set, and rolled back', async () => {
    const updated = await rack('update', '--version', '2.1.0', '--yes');
    expect(updated.code, updated.stderr).toBe(0);
    expect((await aws.stackParameters('big-rack')).Version).toBe('2.1.0');

    const preview = await rack('params', 'set', 'InstanceCount=2', 'AlarmEmail=ops@example.com', '--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    const set = await rack('params', 'set', 'InstanceCount=2', 'AlarmEmail=ops@example.com', '--yes');
    expect(set.code, set.stderr).toBe(0);
    expect(await aws.stackParameters('big-rack')).toMatchObject({
      Version: '2.1.0',
      InstanceCount: '2',
      AlarmEmail: 'ops@example.com',
      Password: PASSWORD,
    });

    const rolledBack = await rack('rollback', '--yes', '--json');
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.json()).toMatchObject({ outcome: 'rolled-back', from: '2.1.0', target: '2.0.0' });
    expect(await aws.stackParameters('big-rack')).toMatchObject({
      Version: '2.0.0',
      InstanceCount: '2',
      Password: PASSWORD,
    });
  });

  it('is installed as a new rack straight from the bucket', async () => {
    const installed = await rack(
      'install',
      'big2',
      '--stack',
      'big2-rack',
      '--version',
      '2.1.0',
      '--channel',
      'unstable',
      '--param',
      `Password=${PASSWORD}`,
      '--yes',
      '--json',
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.json()).toMatchObject({ version: '2.1.0', templateVia: 'artifacts-bucket' });
    expect(installed.json().templateUrl).toMatch(new RegExp(`^https://${BUCKET}\\.s3\\.amazonaws\\.com/templates/`));
    expect(await aws.stackParameters('big2-rack')).toMatchObject({ Version: '2.1.0', Password: PASSWORD });
  });

  it('a rack on it is uninstalled whole', async () => {
    const result = await rack('uninstall', 'big2', '--yes');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Uninstalled big2: deleted stack big2-rack');
    expect(await describeStack(aws, 'big2-rack')).toBeUndefined();
    expect(
      (await rack('racks', 'list', '--json')).json().racks.map((r: { rack: { name: string } }) => r.rack.name),
    ).toEqual(['big']);
  });

  it('sent inline only what fits, and read back each uploaded object before each change set or stack', () => {
    const uses = calls.filter((c) => c.action === 'CreateChangeSet' || c.action === 'CreateStack');
    // Inline: the install of 1.1.0 and the change set of the first hop, to 1.2.0. Through the bucket: the
    // second hop, the dry run, the update to 2.1.0, the rollback to 2.0.0 (params set keeps the template),
    // and the new rack.
    expect(uses.map((c) => `${c.action} ${c.template === 'inline' ? 'inline' : 'bucket'}`)).toEqual([
      'CreateStack inline',
      'CreateChangeSet inline',
      'CreateChangeSet bucket',
      'CreateChangeSet bucket',
      'CreateChangeSet bucket',
      'CreateChangeSet bucket',
      'CreateStack bucket',
    ]);
    for (const [index, call] of calls.entries()) {
      if (call.action !== 'CreateChangeSet' && call.action !== 'CreateStack') continue;
      if (call.template === 'inline') continue;
      const key = new URL(call.template!).pathname;
      // Between the previous change set or stack and this one: the template uploaded, then its digest read back.
      const previous = lastBefore(index, (c) => c.action === 'CreateChangeSet' || c.action === 'CreateStack');
      const upload = lastBefore(index, (c) => c.action === 'PutObject' && c.path.endsWith(key));
      const check = lastBefore(index, (c) => c.action === 'HeadObject' && c.path.endsWith(key));
      expect(upload, `${call.action} #${index} uploaded since the previous one`).toBeGreaterThan(previous);
      expect(check, `${call.action} #${index} read back after its upload`).toBeGreaterThan(upload);
    }
  });

  it('named the bucket owner in every request to the bucket', () => {
    const toBucket = calls.filter((c) => c.path.includes(BUCKET));
    expect(toBucket.length).toBeGreaterThan(10);
    expect(toBucket.filter((c) => c.action !== 'CreateBucket' && c.owner !== ACCOUNT)).toEqual([]);
  });
});
