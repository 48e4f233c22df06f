import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRECTIONS, startLocalAws, type CorrectionName, type LocalAws } from '../../harness/localAws.js';
import { SECRET, STACK_TEMPLATE } from './stackTemplate.js';

let first: LocalAws;
let second: LocalAws;

beforeAll(async () => {
  [first, second] = await Promise.all([startLocalAws(), startLocalAws()]);
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
});

async function stackNames(aws: LocalAws): Promise<string[]> {
  const { Stacks } = await new CloudFormationClient(aws.clientConfig()).send(new DescribeStacksCommand({}));
  return (Stacks ?? []).map((s) => s.StackName ?? '');
}

async function createStack(aws: LocalAws, name: string): Promise<void> {
  await new CloudFormationClient(aws.clientConfig()).send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: STACK_TEMPLATE,
      Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
    }),
  );
}

describe('emulators', () => {
  it('two emulators in one file share nothing', async () => {
    await createStack(first, 'only-in-first');
    expect(first.endpoint).not.toBe(second.endpoint);
    expect(await stackNames(first)).toEqual(['only-in-first']);
    expect(await stackNames(second)).toEqual([]);
    expect(second.proxy.requests.map((r) => r.action)).toEqual(['DescribeStacks']);
  });

  it('reset empties moto and the proxy', async () => {
    await createStack(first, 'before-reset');
    first.proxy.inject({ fault: { type: 'status', status: 500 } });
    await first.reset();
    expect(await stackNames(first)).toEqual([]);
    expect(first.proxy.requests).toHaveLength(1);
  });

  it('runs with every correction and hands a rack child process its endpoint', () => {
    expect(first.corrections).toEqual(CORRECTIONS);
    expect(first.env()).toMatchObject({
      AWS_ENDPOINT_URL: first.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: first.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: first.credentials.secretAccessKey,
    });
    expect(first.clientConfig()).toEqual({
      endpoint: first.endpoint,
      region: 'us-east-1',
      credentials: first.credentials,
    });
  });

  it('stop ends moto and the proxy', async () => {
    const aws = await startLocalAws({ without: ['noecho-mask'] });
    expect(aws.corrections).toEqual(CORRECTIONS.filter((c) => c !== 'noecho-mask'));
    await aws.stop();
    await expect(fetch(`${aws.motoEndpoint}/_harness/corrections`)).rejects.toThrow();
    await expect(fetch(aws.endpoint)).rejects.toThrow();
  });
});

describe('failing to start', () => {
  it('says so when python cannot be run', async () => {
    await expect(startLocalAws({ python: '/nonexistent/python3' })).rejects.toThrow(
      /Local AWS could not start: cannot run \/nonexistent\/python3/,
    );
  });

  it("says so when the launcher exits, with moto's stderr", async () => {
    await expect(startLocalAws({ without: ['no-such-correction' as CorrectionName] })).rejects.toThrow(
      /Local AWS could not start: moto exited \(code 2\) before it was ready[\s\S]*invalid choice/,
    );
  });
});

describe('the launcher', () => {
  it('exits by itself when its parent goes away (stdin closes)', async () => {
    const launcher = fileURLToPath(new URL('../../harness/moto_launcher.py', import.meta.url));
    const child = spawn('python3', [launcher], { stdio: ['pipe', 'pipe', 'ignore'] });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    expect(line).toMatch(new RegExp(`^READY port=\\d+ corrections=${CORRECTIONS.join(',')}$`));

    child.stdin.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
