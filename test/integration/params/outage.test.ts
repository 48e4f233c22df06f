/**
 * The outage replay: the tool before rack read a NoEcho API key back from CloudFormation as `****`,
 * wrote it back in a parameter update, and took every affected rack's API offline. rack must not.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  UpdateStackCommand,
  waitUntilStackUpdateComplete,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { runRack, tempHome } from '../../harness/runRack.js';

const PASSWORD = 'original-Secret-42';
let aws: LocalAws;
let home: string;
const env = () => ({ ...aws.env(), RACK_HOME: home });

beforeAll(async () => {
  aws = await startLocalAws();
  home = tempHome();
  await createRackStack(aws, { stackName: 'outage-rack', version: '1.0.0', password: PASSWORD });
  const added = await runRack(['racks', 'add', 'prod', '--stack', 'outage-rack'], { env: env() });
  expect(added.code, added.stderr).toBe(0);
});
afterAll(async () => aws?.stop());

describe('the outage replay', () => {
  it('changes InstanceCount and leaves the stored Password as it was', async () => {
    const result = await runRack(['params', 'set', 'InstanceCount=4', '--yes'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    const stored = await aws.stackParameters('outage-rack');
    expect(stored.InstanceCount).toBe('4');
    expect(stored.Password).toBe(PASSWORD);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it("refuses Password='****' with exit 3 and writes nothing", async () => {
    const before = await aws.stackParameters('outage-rack');
    const writes = aws.proxy.requests.length;
    const result = await runRack(['params', 'set', 'Password=****', '--yes'], { env: env() });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Password');
    expect(result.stderr).toContain('Nothing was written to the stack.');
    expect(await aws.stackParameters('outage-rack')).toEqual(before);
    const calls = aws.proxy.requests.slice(writes).map((r) => r.action);
    expect(calls.filter((a) => /^(CreateChangeSet|ExecuteChangeSet|UpdateStack)$/.test(a))).toEqual([]);
  });

  it('changes the Password when given a real new value, without ever printing it', async () => {
    const result = await runRack(['params', 'set', 'Password=brand-New-Secret-7', '--yes', '--debug'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect((await aws.stackParameters('outage-rack')).Password).toBe('brand-New-Secret-7');
    expect(result.stdout + result.stderr).not.toContain('brand-New-Secret-7');
    expect(result.stdout + result.stderr).toContain('(new value)');
    const history = await runRack(['history', '--json'], { env: env() });
    expect(history.json().entries.at(-1)).toMatchObject({
      operation: 'params set',
      result: 'succeeded',
      note: 'changed Password',
    });
    expect(history.stdout).not.toContain('brand-New-Secret-7');
  });

  it('a naive writer that copies DescribeStacks values back corrupts the Password (the test can fail)', async () => {
    const cfn = new CloudFormationClient(aws.clientConfig());
    const described = await cfn.send(new DescribeStacksCommand({ StackName: 'outage-rack' }));
    const parameters = described.Stacks![0]!.Parameters!.map((p) => ({
      ParameterKey: p.ParameterKey,
      ParameterValue: p.ParameterKey === 'InstanceCount' ? '5' : p.ParameterValue,
    }));
    expect(parameters.find((p) => p.ParameterKey === 'Password')!.ParameterValue).toBe('****');
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'outage-rack',
        UsePreviousTemplate: true,
        Parameters: parameters,
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    await waitUntilStackUpdateComplete({ client: cfn, maxWaitTime: 60, minDelay: 1 }, { StackName: 'outage-rack' });
    expect((await aws.stackParameters('outage-rack')).Password).toBe('****');
  });
});
