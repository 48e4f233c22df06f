import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';

const PASSWORD = 'params-Secret-99';
let aws: LocalAws;
let home: string;
const env = () => ({ ...aws.env(), RACK_HOME: home });
const WRITES = /^(CreateChangeSet|ExecuteChangeSet|UpdateStack)$/;

beforeAll(async () => {
  aws = await startLocalAws();
  home = tempHome();
  await createRackStack(aws, { stackName: 'params-rack', version: '1.0.0', password: PASSWORD });
  expect((await runRack(['racks', 'add', 'prod', '--stack', 'params-rack'], { env: env() })).code).toBe(0);
});
afterAll(async () => aws?.stop());

async function refusedWithoutWrites(args: string[], code: number) {
  const before = await aws.stackParameters('params-rack');
  const mark = aws.proxy.requests.length;
  const result = await runRack([...args, '--debug'], { env: env() });
  expect(result.code, result.stderr).toBe(code);
  expect(aws.proxy.requests.slice(mark).filter((r) => WRITES.test(r.action))).toEqual([]);
  expect(await aws.stackParameters('params-rack')).toEqual(before);
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

describe('rack params', () => {
  it('shows every parameter, NoEcho masked, with default and constraint', async () => {
    const result = await runRack(['params', '--json'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    const byKey = Object.fromEntries(result.json().parameters.map((p: { key: string }) => [p.key, p]));
    expect(byKey.Password).toMatchObject({ value: '****', noEcho: true, isDefault: null });
    expect(byKey.InstanceCount).toMatchObject({
      value: '3',
      noEcho: false,
      isDefault: true,
      constraint: 'Number, 1..20',
    });
    expect(byKey.Version).toMatchObject({ value: '1.0.0', isDefault: false });
    const table = await runRack(['params'], { env: env() });
    expect(table.stdout).toMatch(/Password\s+\*\*\*\*\s+\?\s+yes/);
  });

  it('learns a template once: a second run needs no template summary and shows the same', async () => {
    const cold = await runRack(['params', '--json'], { env: env() });
    const mark = aws.proxy.requests.length;
    const warm = await runRack(['params', '--json'], { env: env() });
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.json()).toEqual(cold.json());
    const actions = aws.proxy.requests
      .slice(mark)
      .map((r) => r.action)
      .sort();
    expect(actions).toEqual(['DescribeStacks', 'GetTemplate']);
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = `${home}/cache/templates`;
    for (const file of readdirSync(dir)) expect(readFileSync(`${dir}/${file}`, 'utf8')).not.toContain(PASSWORD);
  });

  it('each bad input gets its own message, exit code and no write', async () => {
    expect((await refusedWithoutWrites(['params', 'set', 'InstanceCont=4', '--yes'], 3)).stderr).toContain(
      'Did you mean InstanceCount?',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'InstanceCount=abc', '--yes'], 3)).stderr).toContain(
      'is not a number',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'InstanceType=t2.nano', '--yes'], 3)).stderr).toContain(
      'not one of the allowed values',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'InstanceCount=21', '--yes'], 3)).stderr).toContain(
      'above the maximum 20',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'InstanceCount=0', '--yes'], 3)).stderr).toContain(
      'below the minimum 1',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'Password=has space here', '--yes'], 3)).stderr).toContain(
      'does not match the pattern',
    );
    const short = await refusedWithoutWrites(['params', 'set', 'Password=Xq9z!', '--yes'], 3);
    expect(short.stderr).toContain('shorter than 8 characters');
    expect(short.stderr).not.toContain('Xq9z!');
    expect((await refusedWithoutWrites(['params', 'set', 'Version=9.9.9', '--yes'], 3)).stderr).toContain(
      'rack update',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'Key=mine', '--yes'], 3)).stderr).toContain(
      'rack instances keyroll',
    );
    expect((await refusedWithoutWrites(['params', 'set', 'InstanceType', '--yes'], 2)).stderr).toContain(
      'InstanceType',
    );
    expect((await refusedWithoutWrites(['params', 'set', '--yes'], 2)).code).toBe(2);
  });

  it('lists every problem at once', async () => {
    const result = await refusedWithoutWrites(
      ['params', 'set', 'InstanceCount=abc', 'Password=****', 'Bogus=1', '--yes'],
      3,
    );
    expect(result.stderr).toContain('3 problems');
  });

  it('refuses to write without --yes when there is no terminal (exit 2) and deletes its change set', async () => {
    const result = await refusedWithoutWrites(['params', 'set', 'InstanceCount=2'], 2);
    expect(result.stderr).toContain('--yes');
  });

  it('--dry-run shows the plan and the change set, then deletes it', async () => {
    const mark = aws.proxy.requests.length;
    const result = await runRack(['params', 'set', 'InstanceCount=2', '--dry-run'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/InstanceCount\s+set\s+3\s+2/);
    expect(result.stdout).toContain('Dry run');
    const actions = aws.proxy.requests.slice(mark).map((r) => r.action);
    expect(actions).toContain('CreateChangeSet');
    expect(actions).toContain('DeleteChangeSet');
    expect(actions).not.toContain('ExecuteChangeSet');
    expect((await aws.stackParameters('params-rack')).InstanceCount).toBe('3');
  });

  it('says "nothing to change" and exits 0 when the values are already set', async () => {
    const result = await runRack(['params', 'set', 'InstanceCount=3', '--yes'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Nothing to change');
  });
});

describe('against an endpoint that returns NoEcho values in clear', () => {
  let plain: LocalAws;
  let plainHome: string;
  beforeAll(async () => {
    plain = await startLocalAws({ without: ['noecho-mask'] });
    plainHome = tempHome();
    await createRackStack(plain, { stackName: 'leaky-rack', version: '1.0.0', password: PASSWORD });
    expect(
      (
        await runRack(['racks', 'add', 'leaky', '--stack', 'leaky-rack'], {
          env: { ...plain.env(), RACK_HOME: plainHome },
        })
      ).code,
    ).toBe(0);
  });
  afterAll(async () => plain?.stop());

  it('still never shows, logs or sends back the secret', async () => {
    const envPlain = { ...plain.env(), RACK_HOME: plainHome };
    const shown = await runRack(['params', '--json', '--debug'], { env: envPlain });
    expect(shown.stdout + shown.stderr).not.toContain(PASSWORD);
    expect(shown.json().parameters.find((p: { key: string }) => p.key === 'Password').value).toBe('****');

    const mark = plain.proxy.requests.length;
    const set = await runRack(['params', 'set', 'InstanceCount=2', '--yes', '--debug'], { env: envPlain });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(PASSWORD);
    const sent = plain.proxy.requests.slice(mark).filter((r) => r.action === 'CreateChangeSet');
    expect(sent).toHaveLength(1);
    expect((await plain.stackParameters('leaky-rack')).Password).toBe(PASSWORD);
  });
});
