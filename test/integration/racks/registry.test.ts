import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { runRack, runRackBinary, tempHome } from '../../harness/runRack.js';

const TEMPLATE = JSON.stringify({
  Parameters: {
    Version: { Type: 'String' },
    Password: { Type: 'String', NoEcho: true },
  },
  Resources: { Settings: { Type: 'AWS::S3::Bucket' } },
});

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
  const cfn = new CloudFormationClient(aws.clientConfig());
  for (const name of ['prod-stack', 'staging-stack', 'r1-stack', 'r2-stack', 'r3-stack', 'r4-stack', 'r5-stack']) {
    await cfn.send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: TEMPLATE,
        Parameters: [
          { ParameterKey: 'Version', ParameterValue: name === 'prod-stack' ? '1.0.0' : '1.2.0' },
          { ParameterKey: 'Password', ParameterValue: 'registry-test-secret' },
        ],
      }),
    );
  }
});
afterAll(async () => aws?.stop());

const envFor = (home: string) => ({ ...aws.env(), RACK_HOME: home });

describe('rack racks', () => {
  it('registers an existing stack with its Version, lists, shows and removes it', async () => {
    const home = tempHome();
    const added = await runRack(['racks', 'add', 'prod', '--stack', 'prod-stack', '--json'], { env: envFor(home) });
    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({
      rack: { name: 'prod', stack: 'prod-stack', channel: 'stable', region: 'us-east-1' },
      version: '1.0.0',
    });

    const staged = await runRack(['racks', 'add', 'staging', '--stack', 'staging-stack', '--channel', 'unstable'], {
      env: envFor(home),
    });
    expect(staged.code).toBe(0);
    expect(staged.stdout).toContain('version 1.2.0, following unstable');

    const listed = await runRack(['racks', 'list'], { env: envFor(home) });
    expect(listed.stdout).toMatch(
      /prod\s+prod-stack\s+us-east-1\s+stable\s+1\.0\.0\s+1\.3\.1\s+update-available\s+CREATE_COMPLETE/,
    );
    expect(listed.stdout).toMatch(
      /staging\s+staging-stack\s+us-east-1\s+unstable\s+1\.2\.0\s+2\.0\.0\s+update-available/,
    );
    const listedJson = await runRack(['racks', 'list', '--json'], { env: envFor(home) });
    expect(listedJson.json().racks).toEqual([
      expect.objectContaining({
        rack: expect.objectContaining({ name: 'prod' }),
        version: '1.0.0',
        target: '1.3.1',
        state: 'update-available',
        path: ['1.2.0', '1.3.1'],
      }),
      expect.objectContaining({
        rack: expect.objectContaining({ name: 'staging' }),
        version: '1.2.0',
        target: '2.0.0',
        state: 'update-available',
        path: ['2.0.0'],
      }),
    ]);

    const shown = await runRack(['racks', 'show', 'staging', '--json'], { env: envFor(home) });
    expect(shown.json()).toMatchObject({
      rack: { name: 'staging', channel: 'unstable' },
      version: '1.2.0',
      stackStatus: 'CREATE_COMPLETE',
    });

    const removed = await runRack(['racks', 'remove', 'staging'], { env: envFor(home) });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('stack staging-stack was not touched');
    const after = await runRack(['racks', 'list', '--json'], { env: envFor(home) });
    expect(after.json().racks.map((r: { rack: { name: string } }) => r.rack.name)).toEqual(['prod']);
  });

  it('refuses a stack that does not exist, naming stack and region, and leaves the registry untouched', async () => {
    const home = tempHome();
    const result = await runRack(['racks', 'add', 'ghost', '--stack', 'no-such-stack', '--region', 'eu-west-1'], {
      env: envFor(home),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Stack "no-such-stack" does not exist in eu-west-1');
    expect(result.stderr).toContain('The registry was left as it is.');
    expect(() => readFileSync(path.join(home, 'racks.json'))).toThrow();
  });

  it('refuses a malformed region before calling AWS', async () => {
    const home = tempHome();
    const result = await runRack(['racks', 'add', 'x', '--stack', 'prod-stack', '--region', 'moon'], {
      env: envFor(home),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"moon" is not an AWS region name');
  });

  it('reports missing credentials with exit 4 and leaves the registry untouched', async () => {
    const home = tempHome();
    const result = await runRack(['racks', 'add', 'prod', '--stack', 'prod-stack'], {
      env: {
        RACK_HOME: home,
        HOME: home,
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: path.join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      },
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('No usable AWS credentials');
    expect(() => readFileSync(path.join(home, 'racks.json'))).toThrow();
  });

  it('refuses a second rack with the same name', async () => {
    const home = tempHome();
    expect((await runRack(['racks', 'add', 'prod', '--stack', 'prod-stack'], { env: envFor(home) })).code).toBe(0);
    const again = await runRack(['racks', 'add', 'prod', '--stack', 'staging-stack'], { env: envFor(home) });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('A rack named "prod" is already registered.');
  });

  it('registers a stack once, by its StackId: a second name for it, by name or by ARN, is refused naming the first', async () => {
    const home = tempHome();
    const added = await runRack(['racks', 'add', 'a', '--stack', 'prod-stack', '--json'], { env: envFor(home) });
    expect(added.code).toBe(0);
    const stackId = added.json().rack.stackId as string;
    expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:\d{12}:stack\/prod-stack\//);
    for (const stack of ['prod-stack', stackId]) {
      const again = await runRack(['racks', 'add', 'b', '--stack', stack], { env: envFor(home) });
      expect(again.code, again.stderr).toBe(2);
      expect(again.stderr).toContain('Stack prod-stack in us-east-1 is already registered as rack "a".');
    }
    const listed = await runRack(['racks', 'list', '--json'], { env: envFor(home) });
    expect(listed.json().racks).toHaveLength(1);
  });

  it("registers a stack given by its ARN under its name, in the ARN's region", async () => {
    const home = tempHome();
    const byName = await runRack(['racks', 'add', 'a', '--stack', 'staging-stack', '--json'], { env: envFor(home) });
    const stackId = byName.json().rack.stackId as string;
    await runRack(['racks', 'remove', 'a'], { env: envFor(home) });
    const byArn = await runRack(['racks', 'add', 'b', '--stack', stackId, '--json'], {
      env: { ...envFor(home), AWS_REGION: '' },
    });
    expect(byArn.code, byArn.stderr).toBe(0);
    expect(byArn.json().rack).toMatchObject({ name: 'b', stack: 'staging-stack', region: 'us-east-1', stackId });
    const elsewhere = await runRack(['racks', 'add', 'c', '--stack', stackId, '--region', 'eu-west-1'], {
      env: envFor(home),
    });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(`Stack ${stackId} is in us-east-1, not eu-west-1.`);
  });

  it('keeps all five racks when five processes add at once', async () => {
    const home = tempHome();
    const names = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const results = await Promise.all(
      names.map((name) => runRackBinary(['racks', 'add', name, '--stack', `${name}-stack`], envFor(home))),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const registry = JSON.parse(readFileSync(path.join(home, 'racks.json'), 'utf8'));
    expect(registry.racks.map((r: { name: string }) => r.name).sort()).toEqual(names);
  });

  it('names a damaged registry file and its problem, and never overwrites it', async () => {
    const home = tempHome();
    mkdirSync(home, { recursive: true });
    const file = path.join(home, 'racks.json');
    writeFileSync(file, '{"schema": 1, "racks": [ {"name": "x"');
    const result = await runRack(['racks', 'add', 'prod', '--stack', 'prod-stack'], { env: envFor(home) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The rack registry ${file} is damaged: it is not valid JSON`);
    expect(result.stderr).toContain('The file was left as it is.');
    expect(readFileSync(file, 'utf8')).toBe('{"schema": 1, "racks": [ {"name": "x"');

    writeFileSync(
      file,
      JSON.stringify({ schema: 1, racks: [{ name: 'x', stack: 's', region: 'us-east-1', channel: 'stable' }] }),
    );
    const listed = await runRack(['racks', 'list'], { env: envFor(home) });
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain('racks.0.addedAt');
  });

  it('picks the only registered rack by default and asks which one when there are several', async () => {
    const home = tempHome();
    await runRack(['racks', 'add', 'prod', '--stack', 'prod-stack'], { env: envFor(home) });
    const { resolveRack } = await import('../../../src/state/registry.js');
    const { createFileStore } = await import('../../../src/state/fileStore.js');
    const store = createFileStore(home);
    expect((await resolveRack(store, undefined)).name).toBe('prod');
    await runRack(['racks', 'add', 'staging', '--stack', 'staging-stack'], { env: envFor(home) });
    await expect(resolveRack(store, undefined)).rejects.toMatchObject({
      kind: 'usage',
      message: '2 racks are registered; say which one.',
    });
    await expect(resolveRack(store, 'nope')).rejects.toMatchObject({
      kind: 'usage',
      message: 'No rack named "nope" is registered.',
    });
  });
});
