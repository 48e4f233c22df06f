/**
 * Secrets and text from outside on the way out of a real command: an error message from AWS that echoes a
 * secret is masked in --json (a secret with `"` and `\` too) and on stderr, a 2-character secret as a token,
 * history causes are stored redacted, and a stack event's reason with escape sequences never reaches the
 * screen raw while the history keeps it as it came.
 */
import { CloudFormationClient, CreateStackCommand, waitUntilStackCreateComplete } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack, templateBody } from '../../harness/rackStacks.js';
import { filesUnder, runRack, tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';

const PASSWORD = 'outputs-Secret-7';
/** A window title, a screen clear, a terminal reset, a hyperlink. */
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u001bc\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\';
const RAW_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let aws: LocalAws;
let timelines: Timelines;
let counter = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
});
afterEach(() => {
  timelines.clear();
  aws.proxy.clear();
});
afterAll(async () => aws?.stop());

/** A rack at 1.2.0 whose template also declares `Pin`, a NoEcho parameter with no length limits. */
async function freshRack(options: { pin?: boolean } = {}) {
  const stackName = `outputs-${++counter}`;
  const home = tempHome();
  if (options.pin) {
    const cfn = new CloudFormationClient(aws.clientConfig());
    const body = templateBody('1.2.0').replace(
      'Parameters:\n',
      'Parameters:\n  Pin:\n    Type: String\n    NoEcho: true\n    Default: "0000"\n',
    );
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: body,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'Version', ParameterValue: '1.2.0' },
          { ParameterKey: 'Password', ParameterValue: PASSWORD },
        ],
      }),
    );
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 60, minDelay: 1 }, { StackName: stackName });
  } else {
    await createRackStack(aws, { stackName, version: '1.2.0', password: PASSWORD });
  }
  const env = { ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '20' };
  const added = await runRack(['racks', 'add', 'prod', '--stack', stackName], { env });
  expect(added.code, added.stderr).toBe(0);
  return { stackName, home, env, rack: (...args: string[]) => runRack(args, { env }) };
}

/** CloudFormation refusing the change set with a message that quotes the value it was given. */
function refuseQuoting(value: string) {
  aws.proxy.inject({
    service: 'cloudformation',
    action: 'CreateChangeSet',
    fault: {
      type: 'status',
      status: 400,
      code: 'ValidationError',
      message: `Parameter value ${value} for parameter name Password does not match the pattern`,
    },
  });
}

describe('an error that echoes a secret', () => {
  it('is masked in the --json error, where the secret holds " and \\ (redacted before JSON encoding)', async () => {
    const secret = 'pa"ss\\wd-42!';
    const { rack, home } = await freshRack();
    refuseQuoting(secret);
    const result = await rack('params', 'set', `Password=${secret}`, '--yes', '--json');
    expect(result.code, result.stderr).toBe(3);
    const encoded = JSON.stringify(secret).slice(1, -1);
    for (const output of [result.stdout, result.stderr]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(encoded);
      expect(output).not.toContain('pa\\\\"ss');
    }
    expect(result.json().error.message).toBe(
      `CloudFormation refused the change to ${'outputs-'}${counter}: Parameter value **** for parameter name Password does not match the pattern`,
    );
    expect(result.stderr).toContain('Parameter value **** for parameter name Password');
    for (const file of filesUnder(home)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(secret);
      expect(text, file).not.toContain(encoded);
    }
  });

  it('masks a 2-character secret where it stands as a token, on stderr, in --json and in the history', async () => {
    const { rack, home } = await freshRack({ pin: true });
    refuseQuoting('ab');
    const result = await rack('params', 'set', 'Pin=ab', '--yes');
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('Parameter value **** for parameter name Password does not match the pattern');
    expect(result.stderr).not.toMatch(/\bab\b/);

    refuseQuoting('ab');
    const json = await rack('params', 'set', 'Pin=ab', '--yes', '--json');
    expect(json.stdout).not.toMatch(/\bab\b/);
    expect(json.json().error.message).toContain('Parameter value **** for');

    const entries = (await rack('history', '--json')).json().entries as { cause?: string }[];
    const causes = entries.map((e) => e.cause);
    expect(causes).toHaveLength(2);
    for (const cause of causes) expect(cause).toContain('Parameter value **** for parameter name Password');
    for (const file of filesUnder(home)) expect(readFileSync(file, 'utf8'), file).not.toMatch(/value ab\b/);
  });
});

describe("a stack event's reason with escape sequences", () => {
  it('never reaches the screen raw; the history keeps it as it came, --json escapes it', async () => {
    const { stackName, rack } = await freshRack();
    timelines.script({
      stackName,
      inProgressMs: 600,
      outcome: 'rollback',
      failure: { logicalId: 'ApiService', reason: `Resource handler returned message: ${HOSTILE} tasks failed` },
    });
    const update = await rack('update', '--yes');
    expect(update.code).toBe(6);
    expect(update.stderr).toContain('Resource handler returned message: click tasks failed');
    expect(update.stderr).not.toMatch(RAW_CONTROLS);
    expect(update.stdout).not.toMatch(RAW_CONTROLS);

    const shown = await rack('history');
    expect(shown.stdout).toContain('click tasks failed');
    expect(shown.stdout).not.toMatch(RAW_CONTROLS);

    const json = await rack('history', '--json');
    expect(json.stdout).not.toMatch(RAW_CONTROLS);
    expect(json.json().entries.at(-1).cause).toContain(`Resource handler returned message: ${HOSTILE} tasks failed`);

    const status = await rack('status');
    expect(status.stdout + status.stderr).not.toMatch(RAW_CONTROLS);
  });
});

describe('the cause of an operation another process started', () => {
  it('is stored redacted when the next command completes its history entry (recovery)', async () => {
    const secret = 'new-Secret-in-a-reason-3';
    const { stackName, env, home, rack } = await freshRack();
    const timeline = timelines.script({
      stackName,
      inProgressMs: 2000,
      outcome: 'rollback',
      failure: { logicalId: 'ApiService', reason: `the api refused its password ${secret}` },
    });
    const controller = new AbortController();
    const args = ['update', '--yes', '--param', `Password=${secret}`];
    const first = runRack(args, { env, signal: controller.signal });
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    controller.abort();
    expect((await first).code).toBe(130);
    // The second run attaches to the first one's update and completes its entry from the stack's outcome.
    const second = await rack(...args);
    expect(second.code).toBe(6);
    expect(second.stderr).toContain('the api refused its password ****');
    const entry = (await rack('history', '--json')).json().entries[0];
    expect(entry.note).toContain('recovered');
    expect(entry.cause).toContain('the api refused its password ****');
    expect(entry.hops[0].cause).toContain('the api refused its password ****');
    for (const file of filesUnder(home)) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
  });
});

describe('a parameter given without --param', () => {
  it('is named in the usage error without its value', async () => {
    const { rack } = await freshRack();
    const before = aws.proxy.requests.length;
    const result = await rack('update', `Password=${PASSWORD}`, 'Other=a, b', '--json');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown arguments: Password=…, Other=…');
    expect(result.stderr).toContain('Next: Give parameters with --param K=V');
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(result.stdout + result.stderr).not.toContain('a, b');
    expect(aws.proxy.requests.length).toBe(before);
  });
});
