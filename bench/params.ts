/**
 * bench/params: `rack params --json` against `aws cloudformation describe-stacks` on the same emulator,
 * interleaved in one run, plus `node -e 0` to show how the time splits between process start, module
 * loading and AWS calls (the latter read from rack's own --debug call timings).
 * Run: npm run build && node scripts/run-ts.mjs bench/params.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalAws } from '../test/harness/localAws.js';
import { createRackStack } from '../test/harness/rackStacks.js';

const RUNS = Number(process.env.RUNS ?? 15);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = path.join(root, 'dist', 'rack.cjs');
// The fake ECS agent and the in-service delay play EC2 and ECS over time; nothing here needs them, and
// their ticks would slow every request to the emulator, the AWS CLI's and rack's alike.
const aws = await startLocalAws({ without: ['ecs-agent', 'in-service-delay'] });
try {
  const home = mkdtempSync(path.join(os.tmpdir(), 'rack-bench-params-'));
  await createRackStack(aws, { stackName: 'bench-rack', version: '1.3.1', password: 'bench-Secret-1' });
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...aws.env(), RACK_HOME: home };
  // Asynchronous on purpose: the emulator's proxy runs in this process and must keep serving.
  const run = (cmd: string, args: string[]) =>
    new Promise<{ ms: number; stderr: string }>((resolve, reject) => {
      const start = performance.now();
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve({ ms: performance.now() - start, stderr })
          : reject(new Error(`${cmd} ${args.join(' ')}: ${stderr}`)),
      );
    });
  await run(process.execPath, [bin, 'racks', 'add', 'bench', '--stack', 'bench-rack']);
  const cases: Record<string, () => Promise<{ ms: number; stderr: string }>> = {
    'node -e 0': () => run(process.execPath, ['-e', '0']),
    'rack params --json': () => run(process.execPath, [bin, 'params', '--json']),
    'aws cloudformation describe-stacks': () =>
      run('aws', [
        'cloudformation',
        'describe-stacks',
        '--stack-name',
        'bench-rack',
        '--endpoint-url',
        aws.endpoint,
        '--region',
        aws.region,
      ]),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const c of Object.values(cases)) await c();
  const awsCallMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [name, c] of Object.entries(cases)) times[name]!.push((await c()).ms);
    // The AWS calls' own time, from rack's --debug lines (the three reads run in parallel: take the longest).
    const debug = (await run(process.execPath, [bin, 'params', '--json', '--debug'])).stderr;
    const calls = [...debug.matchAll(/\[debug\] aws \S+ (\d+)ms/g)].map((m) => Number(m[1]));
    awsCallMs.push(Math.max(...calls.filter((_, j) => j > 0), 0) + (calls[0] ?? 0));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const node = median(times['node -e 0']!);
  const rack = median(times['rack params --json']!);
  const cli = median(times['aws cloudformation describe-stacks']!);
  const calls = median(awsCallMs);
  console.log(`params, ${RUNS} interleaved runs each (median wall time)`);
  for (const [name, xs] of Object.entries(times))
    console.log(`${name.padEnd(36)} ${median(xs).toFixed(1).padStart(8)} ms`);
  console.log(`rack params / aws describe-stacks: ${(rack / cli).toFixed(2)}x (goal <= 0.35x)`);
  console.log(
    `split of rack params: process start ~${node.toFixed(0)} ms, AWS calls ~${calls.toFixed(0)} ms, module loading and the rest ~${(rack - node - calls).toFixed(0)} ms`,
  );
} finally {
  await aws.stop();
}
