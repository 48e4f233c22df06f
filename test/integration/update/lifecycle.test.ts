/**
 * install → update across a barrier (two hops) → rollback undoing a migration → update again, with the
 * NoEcho Password intact throughout (read through the harness side door, never DescribeStacks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';

const PASSWORD = 'lifecycle-Secret-1';
let aws: LocalAws;
let home: string;
const env = () => ({ ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '20' });
const rack = (...args: string[]) => runRack(args, { env: env() });

beforeAll(async () => {
  aws = await startLocalAws();
  home = tempHome();
  await createRackStack(aws, {
    stackName: 'life-rack',
    version: '1.1.0',
    password: PASSWORD,
    parameters: { LogRetention: '14' },
  });
  expect((await rack('racks', 'add', 'prod', '--stack', 'life-rack')).code).toBe(0);
});
afterAll(async () => aws?.stop());

describe('an update lifecycle', () => {
  it('shows the whole path in a dry run and changes nothing', async () => {
    const result = await rack('update', '--dry-run', '--json');
    expect(result.code, result.stderr).toBe(0);
    const plan = result.json();
    expect(plan).toMatchObject({ from: '1.1.0', target: '1.3.1', path: ['1.2.0', '1.3.1'], outcome: 'dry-run' });
    expect(plan.hops[0]).toMatchObject({ barrier: true, notes: expect.stringContaining('LogRetentionDays') });
    expect(plan.hops[0].parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'LogRetentionDays', displayNew: '14', source: 'migration' }),
      ]),
    );
    expect(plan.hops[0].changeSet).toMatch(/^rack-update-1-2-0-\d{14}$/);
    expect((await aws.stackParameters('life-rack')).Version).toBe('1.1.0');
    expect(aws.proxy.requests.map((r) => r.action)).not.toContain('ExecuteChangeSet');
  });

  it('updates across the barrier in two hops, applying the rename, Password intact', async () => {
    const result = await rack('update', '--yes');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('hop 1/2: 1.1.0 → 1.2.0');
    expect(result.stderr).toContain('hop 2/2: 1.2.0 → 1.3.1');
    const stored = await aws.stackParameters('life-rack');
    expect(stored).toMatchObject({ Version: '1.3.1', LogRetentionDays: '14', Password: PASSWORD });
    expect(stored.LogRetention).toBeUndefined();
    const history = (await rack('history', '--json')).json().entries;
    expect(history.at(-1)).toMatchObject({
      operation: 'update',
      from: '1.1.0',
      to: '1.3.1',
      result: 'succeeded',
      channel: 'stable',
      hops: [
        { from: '1.1.0', to: '1.2.0', result: 'succeeded' },
        { from: '1.2.0', to: '1.3.1', result: 'succeeded' },
      ],
    });
    expect(history.at(-1).identity).toMatch(/^arn:aws:/);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('says so and exits 0 when the rack is already at its target', async () => {
    const result = await rack('update', '--yes');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('already runs 1.3.1');
  });

  it('rolls back by default to the previous successful release (1.2.0)', async () => {
    const result = await rack('rollback', '--yes');
    expect(result.code, result.stderr).toBe(0);
    expect(await aws.stackParameters('life-rack')).toMatchObject({
      Version: '1.2.0',
      LogRetentionDays: '14',
      Password: PASSWORD,
    });
  });

  it('rolls back across the migration to 1.1.0, renaming the parameter back', async () => {
    const result = await rack('rollback', '--to', '1.1.0', '--yes');
    expect(result.code, result.stderr).toBe(0);
    const stored = await aws.stackParameters('life-rack');
    expect(stored).toMatchObject({ Version: '1.1.0', LogRetention: '14', Password: PASSWORD });
    expect(stored.LogRetentionDays).toBeUndefined();
    expect((await rack('history', '--json')).json().entries.at(-1)).toMatchObject({
      operation: 'rollback',
      from: '1.2.0',
      to: '1.1.0',
      result: 'succeeded',
    });
  });

  it('refuses a rollback that would go up, and an update that would go down', async () => {
    expect((await rack('rollback', '--to', '1.3.1', '--yes')).code).toBe(3);
    const down = await rack('update', '--version', '1.0.0', '--yes');
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('rack rollback --to 1.0.0');
  });

  it('refuses a yanked target and names its fix', async () => {
    const result = await rack('update', '--version', '1.3.0', '--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('1.3.1');
  });

  it('updates again to the target, Password still intact', async () => {
    const result = await rack('update', '--yes');
    expect(result.code, result.stderr).toBe(0);
    expect(await aws.stackParameters('life-rack')).toMatchObject({
      Version: '1.3.1',
      LogRetentionDays: '14',
      Password: PASSWORD,
    });
  });

  it('moves to unstable with --pin, generating the new NoEcho secret and never printing it', async () => {
    const result = await rack('update', '--channel', 'unstable', '--pin', '--yes', '--debug');
    expect(result.code, result.stderr).toBe(0);
    const stored = await aws.stackParameters('life-rack');
    // unstable's target is 2.0.0, a template too large to send inline: it went through the artifacts bucket.
    expect(stored.Version).toBe('2.0.0');
    expect(result.stderr).toMatch(/goes through s3:\/\/rack-artifacts-\d{12}-us-east-1\/templates\/[0-9a-f]{64}/);
    expect(stored.WebhookSecret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(result.stdout + result.stderr).not.toContain(stored.WebhookSecret);
    expect(stored.Password).toBe(PASSWORD);
    expect((await rack('racks', 'show', 'prod', '--json')).json().rack.channel).toBe('unstable');
    const history = JSON.stringify((await rack('history', '--json')).json());
    expect(history).not.toContain(stored.WebhookSecret);
    expect(history).not.toContain(PASSWORD);
  });

  it('status shows version, channel, target and state', async () => {
    const result = await rack('status', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      version: '2.0.0',
      target: '2.0.0',
      state: 'up-to-date',
      stackStatus: 'UPDATE_COMPLETE',
      release: 'known',
    });
  });
});
