/**
 * `npm run demo`: the main job on a laptop with no AWS account. Starts the local AWS emulator on
 * loopback (moto with the harness's corrections; stack updates take a couple of seconds and stream
 * resource events, as on AWS), then drives the real `rack` binary through a day of an operator's work:
 * install a production rack at the oldest stable release and a staging rack pinned to unstable, sync,
 * `rack update --channel stable` with live progress, a parameter change, the outage's `Password='****'`
 * refused, a rollback, and uninstalling the staging rack. Runs the same interactive or not (every write passes --yes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalAws } from '../test/harness/localAws.js';
import { scriptTimelines } from '../test/harness/timelines.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = path.join(root, 'dist', 'rack.cjs');
const home = mkdtempSync(path.join(os.tmpdir(), 'rack-demo-'));
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

console.log(bold('Starting the local AWS emulator (moto on loopback)...'));
const aws = await startLocalAws();
const timelines = scriptTimelines(aws);
// Every stack update stays in progress for 2 s and streams resource events, as it would on AWS.
timelines.script({ inProgressMs: 2000, outcome: 'complete', times: Infinity, eventsPageSize: 10 });
const env = { ...process.env, ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '60' };

let failures = 0;
// Asynchronous on purpose: the emulator's proxy runs in this process and must keep serving.
async function rack(args: string[], expectCode = 0): Promise<void> {
  console.log(`\n${bold(`$ rack ${args.map((a) => (/[\s*']/.test(a) ? `'${a}'` : a)).join(' ')}`)}`);
  const status = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] }).on('close', resolve);
  });
  if (status !== expectCode) {
    failures++;
    console.log(`!! expected exit ${expectCode}, got ${status}`);
  } else if (expectCode !== 0) {
    console.log(`(exit ${status}, as expected: refused before anything was written)`);
  }
}

try {
  await rack(['channels']);
  await rack([
    'install',
    'production',
    '--stack',
    'rack-production',
    '--version',
    '1.0.0',
    '--param',
    'Password=demo-Production-1',
    '--yes',
  ]);
  await rack([
    'install',
    'staging',
    '--stack',
    'rack-staging',
    '--channel',
    'unstable',
    '--version',
    '1.2.0',
    '--param',
    'Password=demo-Staging-22',
    '--yes',
  ]);
  await rack(['racks', 'list']);
  await rack(['sync', 'staging', '--yes']);
  await rack(['update', '--rack', 'production', '--channel', 'stable', '--yes']);
  await rack(['params', 'set', 'InstanceCount=4', '--rack', 'production', '--yes']);
  await rack(['params', 'set', 'Password=****', '--rack', 'production', '--yes'], 3);
  await rack(['params', '--rack', 'production']);
  await rack(['rollback', '--rack', 'production', '--yes']);
  await rack(['history', '--rack', 'production']);
  await rack(['uninstall', 'staging', '--yes']);
  await rack(['racks', 'list']);
  const stored = await aws.stackParameters('rack-production');
  console.log(
    `\nThe production rack's stored Password is ${stored.Password === 'demo-Production-1' ? 'intact' : 'CHANGED'} (read through the emulator's side door).`,
  );
  if (stored.Password !== 'demo-Production-1') failures++;
} finally {
  timelines.clear();
  await aws.stop();
}
console.log(
  failures === 0
    ? bold('\nDemo finished: every step behaved as expected.')
    : bold(`\nDemo finished with ${failures} unexpected result(s).`),
);
process.exitCode = failures === 0 ? 0 : 1;
