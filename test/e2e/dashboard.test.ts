/**
 * The real `rack` binary in tmux against the local AWS: open the dashboard, select a rack, update it,
 * watch the operation complete, see the new version in the table, quit with q (exit 0). And the same
 * commands without a terminal print plain lines, with no escape sequences.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../harness/localAws.js';
import { createRackStack } from '../harness/rackStacks.js';
import { runRack, runRackBinary, tempHome } from '../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../harness/timelines.js';
import { startInTmux, type TmuxRun } from './tmux.js';

const PASSWORD = 'e2e-Secret-Value-7';
const ESCAPE = '\u001b';
let aws: LocalAws;
let home: string;
let tmux: TmuxRun | undefined;
let timelines: Timelines;
let liveTmux: TmuxRun | undefined;
const env = () => ({ ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '20' });

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
  home = tempHome();
  await createRackStack(aws, { stackName: 'e2e-prod', version: '1.2.0', password: PASSWORD });
  await createRackStack(aws, { stackName: 'e2e-plain', version: '1.2.0', password: PASSWORD });
  await createRackStack(aws, { stackName: 'e2e-live', version: '1.2.0', password: PASSWORD });
  for (const [name, stack] of [
    ['prod', 'e2e-prod'],
    ['plain', 'e2e-plain'],
    ['live', 'e2e-live'],
  ]) {
    const added = await runRack(['racks', 'add', name!, '--stack', stack!], { env: env() });
    expect(added.code, added.stderr).toBe(0);
  }
});

afterAll(async () => {
  tmux?.kill();
  liveTmux?.kill();
  timelines?.clear();
  await aws?.stop();
});

describe('the dashboard in a terminal', () => {
  it('updates the selected rack, shows the operation to its end and the new version, and quits with q', async () => {
    tmux = startInTmux(['ui'], env());
    const table = await tmux.waitFor(
      'both racks with their state',
      (s) =>
        /plain\s+stable\s+1\.2\.0\s+1\.3\.1\s+update available/.test(s) &&
        /prod\s+stable\s+1\.2\.0\s+1\.3\.1\s+update available/.test(s),
    );
    expect(table).toMatch(/NAME\s+CHANNEL\s+VERSION\s+TARGET\s+STATE\s+LAST OPERATION/);
    expect(table).toMatch(/› live/);

    tmux.keys('j', 'j');
    await tmux.waitFor('prod selected', (s) => /› prod/.test(s));
    tmux.keys('u');
    const plan = await tmux.waitFor('the plan', (s) => s.includes('Update prod to 1.3.1?'));
    expect(plan).toContain('Update prod from 1.2.0 to 1.3.1 (channel stable)');
    expect(plan).toMatch(/Version\s+set\s+1\.2\.0\s+1\.3\.1/);
    expect(plan).toMatch(/Resources: \d+ change/);
    expect(plan).not.toContain(PASSWORD);

    // moto finishes an update inside the API call; on AWS it takes a while and streams resource events.
    const timeline = timelines.script({
      stackName: 'e2e-prod',
      inProgressMs: 4000,
      outcome: 'complete',
      resourceEvents: 6,
    });
    tmux.keys('y');
    const running = await tmux.waitFor(
      'the operation running',
      (s) =>
        /▶ hop 1\/1 1\.2\.0 → 1\.3\.1/.test(s) && s.includes('UPDATE_IN_PROGRESS') && /Resource events \(\d+\)/.test(s),
      30_000,
    );
    expect(running).toContain('Update prod from 1.2.0 to 1.3.1');
    expect(running).toMatch(/elapsed \d+s/);
    expect(running).toContain('ctrl-c stop following');
    await timeline.finished;
    const done = await tmux.waitFor('the outcome', (s) => s.includes('Rack prod updated from 1.2.0 to 1.3.1'), 120_000);
    expect(done).toContain('✓ hop 1/1');
    expect(done).toMatch(/Resource events \(\d+\)/);
    expect(done).toMatch(/took [1-9]\d*s/);

    tmux.keys('Enter');
    const after = await tmux.waitFor(
      'the new version in the table',
      (s) => /prod\s+stable\s+1\.3\.1\s+1\.3\.1\s+up to date\s+update→1\.3\.1 succeeded/.test(s),
      20_000,
    );
    expect(after).toMatch(/plain\s+stable\s+1\.2\.0\s+1\.3\.1\s+update available/);
    expect(after).not.toContain(PASSWORD);

    // The rack's instances, and a keyroll planned and cancelled: nothing changes.
    tmux.keys('i');
    const instances = await tmux.waitFor(
      'the instances',
      (s) => /INSTANCE\s+STATE\s+HEALTH/.test(s) && /i-[0-9a-f]+\s+InService/.test(s),
      20_000,
    );
    expect(instances).toContain('rack — prod');
    tmux.keys('K');
    await tmux.waitFor(
      'the keyroll plan',
      (s) => /Roll the SSH key of prod|Accept the warnings and roll the key of prod/.test(s),
      20_000,
    );
    tmux.keys('n');
    await tmux.waitFor('the keyroll cancelled', (s) =>
      s.includes('The keyroll of prod was cancelled; nothing was changed.'),
    );

    tmux.keys('q');
    expect(await tmux.exitCode()).toBe(0);
    expect(await aws.stackParameters('e2e-prod')).toMatchObject({ Version: '1.3.1', Password: PASSWORD });
  }, 240_000);
});

describe('bare rack on a terminal', () => {
  it('opens the dashboard', async () => {
    const bare = startInTmux([], env());
    try {
      await bare.waitFor('the racks table', (s) => /NAME\s+CHANNEL\s+VERSION/.test(s) && s.includes('q quit'));
      bare.keys('q');
      expect(await bare.exitCode()).toBe(0);
    } finally {
      bare.kill();
    }
  });
});

describe('rack update on a terminal', () => {
  it('runs its hops in a live view and leaves the outcome and the result on the screen', async () => {
    const timeline = timelines.script({
      stackName: 'e2e-live',
      inProgressMs: 3000,
      outcome: 'complete',
      resourceEvents: 4,
    });
    liveTmux = startInTmux(['update', '--yes', '--rack', 'live'], env());
    const running = await liveTmux.waitFor(
      'the live view',
      (s) => /▶ hop 1\/1 1\.2\.0 → 1\.3\.1/.test(s) && /elapsed \d+s/.test(s),
      30_000,
    );
    expect(running).toContain('Updating live from 1.2.0 to 1.3.1');
    await timeline.finished;
    expect(await liveTmux.exitCode(60_000)).toBe(0);
    const end = liveTmux.screen();
    expect(end).toContain('✓ hop 1/1 1.2.0 → 1.3.1');
    expect(end).toContain('✓ Now at 1.3.1.');
    expect(end).toContain('Rack live updated from 1.2.0 to 1.3.1');
    expect(end).not.toContain(PASSWORD);
  }, 120_000);
});

describe('the same commands without a terminal', () => {
  const noEscapes = (result: { stdout: string; stderr: string }) => {
    expect(result.stdout).not.toContain(ESCAPE);
    expect(result.stderr).not.toContain(ESCAPE);
  };

  it('update, params set and rollback print plain lines', async () => {
    const plain = { ...env(), RACK: 'plain' };
    const update = await runRackBinary(['update', '--yes'], plain, { timeoutMs: 120_000 });
    expect(update.code, update.stderr).toBe(0);
    noEscapes(update);
    expect(update.stderr).toContain('[plain] hop 1/1: 1.2.0 → 1.3.1');
    expect(update.stdout).toContain('Rack plain updated from 1.2.0 to 1.3.1');

    const params = await runRackBinary(['params', 'set', 'InstanceCount=2', '--yes'], plain, { timeoutMs: 120_000 });
    expect(params.code, params.stderr).toBe(0);
    noEscapes(params);
    expect(params.stdout).toContain('Updated the parameters of plain.');

    const rollback = await runRackBinary(['rollback', '--yes'], plain, { timeoutMs: 120_000 });
    expect(rollback.code, rollback.stderr).toBe(0);
    noEscapes(rollback);

    for (const args of [['status'], ['racks', 'list'], ['history'], ['channels'], ['params']]) {
      const result = await runRackBinary(args, plain);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      noEscapes(result);
    }
    expect(JSON.stringify(await aws.stackParameters('e2e-plain'))).toContain(PASSWORD);
  }, 300_000);

  it('bare rack prints help, and rack ui says it needs a terminal', async () => {
    const help = await runRackBinary([], env());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rack <command>');
    noEscapes(help);
    const ui = await runRackBinary(['ui'], env());
    expect(ui.code).toBe(2);
    expect(ui.stderr).toContain('The dashboard needs a terminal');
    noEscapes(ui);
  });
});
