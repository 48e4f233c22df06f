/**
 * `rack racks discover`: an account with three racks in two regions (a shipped 1.3.1, a 2.0.0 over the inline
 * limit, and a rack another tool made whose Version is a timestamp, as Convox's are) and a stack that is not
 * a rack. Discover lists them as such; `--add` registers the three once, a second run adds nothing; the
 * timestamp version keeps working where versions do and shows as an unknown release.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';

const PASSWORD = 'discover-Secret-1';

/** A rack another tool made: the contract's parameters and outputs, a version that is a timestamp. */
const CONVOX_TEMPLATE = JSON.stringify({
  Parameters: {
    Version: { Type: 'String' },
    Key: { Type: 'String', Default: '' },
  },
  Resources: {
    Settings: { Type: 'AWS::S3::Bucket' },
    Encryption: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: {} } },
  },
  Outputs: {
    SettingsBucket: { Value: { Ref: 'Settings' } },
    EncryptionKey: { Value: { 'Fn::GetAtt': ['Encryption', 'Arn'] } },
  },
});

let aws: LocalAws;
let home: string;

beforeAll(async () => {
  aws = await startLocalAws();
  home = tempHome('rack-discover-');
  const inEurope = new CloudFormationClient({ ...aws.clientConfig(), region: 'eu-west-1' });
  await Promise.all([
    createRackStack(aws, { stackName: 'prod', version: '1.3.1', password: PASSWORD }),
    createRackStack(aws, {
      stackName: 'big',
      version: '2.0.0',
      password: PASSWORD,
      parameters: { WebhookSecret: 'discover-webhook-secret' },
    }),
    inEurope.send(
      new CreateStackCommand({
        StackName: 'legacy',
        TemplateBody: CONVOX_TEMPLATE,
        Parameters: [{ ParameterKey: 'Version', ParameterValue: '20160816160115' }],
      }),
    ),
    new CloudFormationClient(aws.clientConfig()).send(
      new CreateStackCommand({
        StackName: 'website',
        TemplateBody: JSON.stringify({ Resources: { Site: { Type: 'AWS::S3::Bucket' } } }),
      }),
    ),
  ]);
});
afterAll(async () => {
  await aws?.stop();
});

const rack = (...args: string[]) => runRack(args, { env: { ...aws.env(), RACK_HOME: home } });
const discover = (...args: string[]) =>
  rack('racks', 'discover', '--region', 'us-east-1', '--region', 'eu-west-1', ...args);

describe('rack racks discover', () => {
  it('lists the racks of every region given, with their versions, and the stack that is not one', async () => {
    const result = await discover('--json');
    expect(result.code, result.stderr).toBe(0);
    const { regions, stacks, added } = result.json();
    expect(regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(added).toEqual([]);
    expect(
      stacks.map((s: Record<string, unknown>) => [s.region, s.stack, s.rack, s.version, s.release, s.registeredAs]),
    ).toEqual([
      ['eu-west-1', 'legacy', true, '20160816160115', 'unknown', undefined],
      ['us-east-1', 'big', true, '2.0.0', 'known', undefined],
      ['us-east-1', 'prod', true, '1.3.1', 'known', undefined],
      ['us-east-1', 'website', false, undefined, undefined, undefined],
    ]);
    expect(stacks[3].lacks).toEqual([
      'parameter Version',
      'parameter Key',
      'output SettingsBucket',
      'output EncryptionKey',
    ]);
    expect(stacks[1].stackId).toMatch(/^arn:aws:cloudformation:us-east-1:\d{12}:stack\/big\//);

    const human = await discover();
    expect(human.stdout).toMatch(/legacy\s+eu-west-1\s+20160816160115 \(unknown release\)\s+rack\s+-\n/);
    expect(human.stdout).toMatch(/prod\s+us-east-1\s+1\.3\.1\s+rack\s+-\n/);
    expect(human.stdout).toMatch(
      /website\s+us-east-1\s+-\s+not a rack: no parameter Version, parameter Key, output SettingsBucket, output EncryptionKey/,
    );
    expect(human.stdout).toContain('3 racks and 1 other stack in us-east-1, eu-west-1.');
    expect(human.stdout).toContain('Register the 3 not registered yet with `rack racks discover --add`.');
    // Only reading: nothing was registered.
    expect((await rack('racks', 'list', '--json')).json().racks).toEqual([]);
  });

  it('--add registers the three racks once, under their stack names, following the channel given', async () => {
    const first = await discover('--add', '--channel', 'unstable', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json().added).toEqual(['legacy', 'big', 'prod']);
    const listed = (await rack('racks', 'list', '--json')).json().racks;
    expect(
      listed.map((r: { rack: { name: string; stack: string; region: string; channel: string } }) => [
        r.rack.name,
        r.rack.stack,
        r.rack.region,
        r.rack.channel,
      ]),
    ).toEqual([
      ['big', 'big', 'us-east-1', 'unstable'],
      ['legacy', 'legacy', 'eu-west-1', 'unstable'],
      ['prod', 'prod', 'us-east-1', 'unstable'],
    ]);

    const second = await discover('--add', '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(second.json().added).toEqual([]);
    expect(
      second.json().stacks.map((s: { stack: string; registeredAs?: string }) => [s.stack, s.registeredAs ?? null]),
    ).toEqual([
      ['legacy', 'legacy'],
      ['big', 'big'],
      ['prod', 'prod'],
      ['website', null],
    ]);
    expect((await rack('racks', 'list', '--json')).json().racks).toHaveLength(3);
  });

  it('gives another name when the stack name is taken by another rack', async () => {
    const otherHome = tempHome('rack-discover-taken-');
    const inOther = (...args: string[]) => runRack(args, { env: { ...aws.env(), RACK_HOME: otherHome } });
    // "prod" names a rack of another stack already.
    expect((await inOther('racks', 'add', 'prod', '--stack', 'big')).code).toBe(0);
    const result = await inOther('racks', 'discover', '--add', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json().added).toEqual(['prod-us-east-1']);
    const names = (await inOther('racks', 'list', '--json'))
      .json()
      .racks.map((r: { rack: { name: string } }) => r.rack.name);
    expect(names).toEqual(['prod', 'prod-us-east-1']);
  });

  it('a rack whose version is a timestamp keeps working, shown as an unknown release', async () => {
    const list = await rack('racks', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      /legacy\s+legacy\s+eu-west-1\s+unstable\s+20160816160115 \(unknown release\)\s+2\.0\.0\s+unknown/,
    );
    const status = await rack('status', '--rack', 'legacy', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toMatchObject({ version: '20160816160115', release: 'unknown', state: 'unknown' });
    const shown = await rack('status', '--rack', 'legacy');
    expect(shown.stdout).toContain('Version:  20160816160115 (unknown release)');
    const shownRack = await rack('racks', 'show', 'legacy', '--json');
    expect(shownRack.json()).toMatchObject({ version: '20160816160115' });
  });
});
