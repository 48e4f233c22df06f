/**
 * bench/wait: how promptly rack notices the end of a stack operation, and how hard it polls meanwhile.
 * Every update is held in progress for 2 s by the scripted timelines (as on AWS, where updates take
 * time); each run is a `rack params set` (one change set, no health gate), alternating between two values.
 * Figures: time from the stack's final status to the command's exit (median, goal <= 1 s), and AWS calls
 * per minute while waiting. Baseline in the same run: bare `node -e 0`.
 * Run: npm run build && node scripts/run-ts.mjs bench/wait.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalAws } from '../test/harness/localAws.js';
import { createRackStack } from '../test/harness/rackStacks.js';
import { scriptTimelines } from '../test/harness/timelines.js';

const RUNS = Number(process.env.RUNS ?? 10);
const IN_PROGRESS_MS = 2000;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = path.join(root, 'dist', 'rack.cjs');

const aws = await startLocalAws();
const timelines = scriptTimelines(aws);
try {
  const home = mkdtempSync(path.join(os.tmpdir(), 'rack-bench-wait-'));
  await createRackStack(aws, { stackName: 'wait-rack', version: '1.3.1', password: 'bench-Secret-1' });
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...aws.env(), RACK_HOME: home };
  // Asynchronous on purpose: the emulator's proxy runs in this process and must keep serving.
  const run = (args: string[]) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) =>
        code === 0 ? resolve(Date.now()) : reject(new Error(`rack ${args.join(' ')}: ${stderr}`)),
      );
    });
  await run(['racks', 'add', 'wait', '--stack', 'wait-rack']);
  const node = async () => {
    const start = Date.now();
    await new Promise((resolve) => spawn(process.execPath, ['-e', '0']).on('close', resolve));
    return Date.now() - start;
  };

  const lags: number[] = [];
  const rates: number[] = [];
  const nodeMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    nodeMs.push(await node());
    const timeline = timelines.script({ stackName: 'wait-rack', inProgressMs: IN_PROGRESS_MS, outcome: 'complete' });
    const mark = aws.proxy.requests.length;
    const exited = await run(['params', 'set', `InstanceCount=${i % 2 ? 3 : 4}`, '--yes']);
    const op = timeline.runs[0]!;
    lags.push(exited - op.endedAt!);
    const during = aws.proxy.requests
      .slice(mark)
      .filter((r) => r.startedAt >= op.startedAt && r.startedAt <= op.endedAt!);
    rates.push((during.length / (op.endedAt! - op.startedAt)) * 60_000);
    timelines.clear();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`wait, ${RUNS} runs, each update in progress for ${IN_PROGRESS_MS} ms`);
  console.log(
    `final status → command exit: median ${median(lags)} ms (min ${Math.min(...lags)}, max ${Math.max(...lags)}; goal <= 1000 ms)`,
  );
  console.log(`AWS calls per minute while waiting: median ${median(rates).toFixed(0)}`);
  console.log(`baseline: node -e 0 median ${median(nodeMs)} ms (process start, part of every exit)`);
} finally {
  timelines.clear();
  await aws.stop();
}
