// `rack sync` over 50 racks against one rack's update: `npm run build && node bench/sync.mjs [rounds]`.
// Starts the local AWS (moto behind the fault proxy; the harness is bundled from test/harness with esbuild),
// scripts every stack update to stay UPDATE_IN_PROGRESS for 2 s as on AWS (test/harness/timelines.ts), and in
// each round, on fresh stacks at 1.2.0 (stable's target 1.3.1 is one hop): times `rack update` of one rack
// alone (the built binary, several racks one after the other, median), then `rack sync --all --max-parallel 10
// --yes` over 50 racks (and its --dry-run, the planning it starts with). The ideal for the sync is five rounds of one update; the target is at most 1.5× that.
// Then, once, the AWS calls rack makes while 50 racks wait: `rack sync --all --max-parallel 50` with every update in
// progress for 20 s, every call the proxy saw counted from the moment the last of the 50 started until the first
// ended. Goal: at most 120 calls a minute in all.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = path.join(root, 'dist', 'rack.cjs');
const RACKS = 50;
const PARALLEL = 10;
const IN_PROGRESS_MS = 2000;
const SINGLES = 3;
const ROUNDS = Number(process.argv[2] ?? 2);
const TARGET = 1.5;
const PASSWORD = 'bench-Secret-77';
const WAITING_MS = 20_000;
const CALLS_GOAL = 120;

const harness = await loadHarness();
const aws = await harness.startLocalAws();
const rounds = [];
let waiting;
try {
  for (let round = 1; round <= ROUNDS; round++) rounds.push(await runRound(round));
  waiting = await measureWaiting();
} finally {
  await aws.stop();
}
report(rounds);
reportWaiting(waiting);

/** The calls per minute while RACKS racks wait on their updates at once. */
async function measureWaiting() {
  await aws.reset();
  const timelines = harness.scriptTimelines(aws);
  const every = timelines.script({ inProgressMs: WAITING_MS, outcome: 'complete', times: Infinity });
  try {
    const racks = await fleet('wait', RACKS);
    const { ms: syncMs, result } = await timed(() =>
      rack(['sync', '--all', '--max-parallel', String(RACKS), '--yes', '--json'], racks.env),
    );
    if (result.code !== 0) throw new Error(`rack sync failed (${result.code}):\n${result.stderr.slice(-4000)}`);
    const runs = every.runs.filter((run) => run.operation === 'ExecuteChangeSet');
    if (runs.length !== RACKS) throw new Error(`expected ${RACKS} updates, saw ${runs.length}`);
    const from = Math.max(...runs.map((run) => run.startedAt));
    const to = Math.min(...runs.map((run) => run.endedAt));
    const calls = aws.proxy.requests.filter((r) => r.startedAt >= from && r.startedAt < to);
    const byAction = new Map();
    for (const call of calls) byAction.set(call.action, (byAction.get(call.action) ?? 0) + 1);
    const perMinute = (calls.length / (to - from)) * 60_000;
    console.error(
      `waiting: ${calls.length} calls in ${ms(to - from)} while ${RACKS} racks waited, ${perMinute.toFixed(0)}/min`,
    );
    return { syncMs, windowMs: to - from, calls: calls.length, perMinute, byAction };
  } finally {
    timelines.clear();
  }
}

function reportWaiting(waiting) {
  console.log(
    `\nAWS calls while ${RACKS} racks wait (every update in progress ${WAITING_MS / 1000} s, --max-parallel ${RACKS}): ` +
      `${waiting.calls} in ${ms(waiting.windowMs)}, ${waiting.perMinute.toFixed(0)} a minute in all ` +
      `(${(waiting.perMinute / RACKS).toFixed(1)} per rack); the whole sync took ${ms(waiting.syncMs)}`,
  );
  console.log(
    `  by action: ${[...waiting.byAction]
      .sort((a, b) => b[1] - a[1])
      .map(([action, n]) => `${action} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `goal: at most ${CALLS_GOAL} calls a minute: ${waiting.perMinute <= CALLS_GOAL ? 'met' : 'NOT met'} (${waiting.perMinute.toFixed(0)})`,
  );
}

async function runRound(round) {
  await aws.reset();
  const timelines = harness.scriptTimelines(aws);
  timelines.script({ inProgressMs: IN_PROGRESS_MS, outcome: 'complete', times: Infinity });
  try {
    const singles = await fleet(`r${round}-single`, SINGLES);
    const racks = await fleet(`r${round}-sync`, RACKS);
    const singleMs = [];
    for (let i = 0; i < SINGLES; i++) {
      const { ms, result } = await timed(() =>
        rack(['update', '--rack', `r${round}-single-${i}`, '--yes'], singles.env),
      );
      if (result.code !== 0) throw new Error(`rack update failed (${result.code}):\n${result.stderr}`);
      singleMs.push(ms);
    }
    const { ms: planMs, result: planned } = await timed(() =>
      rack(['sync', '--all', '--dry-run', '--json'], racks.env),
    );
    if (planned.code !== 0) throw new Error(`rack sync --dry-run failed (${planned.code}):\n${planned.stderr}`);
    const { ms: syncMs, result } = await timed(() =>
      rack(['sync', '--all', '--max-parallel', String(PARALLEL), '--yes', '--json'], racks.env),
    );
    if (result.code !== 0)
      throw new Error(`rack sync failed (${result.code}):\n${result.stdout}\n${result.stderr.slice(-4000)}`);
    const outcomes = JSON.parse(result.stdout).racks;
    const updated = outcomes.filter((r) => r.outcome === 'updated' && r.reached === '1.3.1').length;
    if (updated !== RACKS) throw new Error(`rack sync updated ${updated} of ${RACKS} racks`);
    const perRack = outcomes.map((r) => r.durationMs).sort((a, b) => a - b);
    const single = median(singleMs);
    console.error(
      `round ${round}: one rack ${ms(single)} (${singleMs.map(ms).join(', ')}), sync ${ms(syncMs)}, ratio ${(syncMs / (5 * single)).toFixed(2)}×`,
    );
    return { singleMs, single, planMs, syncMs, perRackMedian: median(perRack), perRackMax: perRack.at(-1) };
  } finally {
    timelines.clear();
  }
}

/** `count` stacks at 1.2.0, created in parallel, registered on stable in a fresh RACK_HOME. */
async function fleet(prefix, count) {
  const home = harness.tempHome('rack-bench-sync-');
  const env = { ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '60' };
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names
        .slice(i, i + 10)
        .map((name) => harness.createRackStack(aws, { stackName: name, version: '1.2.0', password: PASSWORD })),
    );
  }
  for (const name of names) {
    const added = await harness.runRack(['racks', 'add', name, '--stack', name], { env });
    if (added.code !== 0) throw new Error(`racks add ${name} failed:\n${added.stderr}`);
  }
  return { env, names };
}

function rack(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function timed(fn) {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

function report(rounds) {
  const single = median(rounds.flatMap((r) => r.singleMs));
  const sync = median(rounds.map((r) => r.syncMs));
  const ideal = 5 * single;
  console.log(
    `rack sync over ${RACKS} racks, --max-parallel ${PARALLEL}, every update in progress ${IN_PROGRESS_MS / 1000} s (node ${process.version}, ${rounds.length} rounds)\n`,
  );
  console.log(pad('', 44), pad('median', 10), 'runs');
  console.log(
    pad('one rack: rack update (1.2.0 → 1.3.1)', 44),
    pad(ms(single), 10),
    rounds
      .flatMap((r) => r.singleMs)
      .map(ms)
      .join(', '),
  );
  console.log(pad(`ideal: 5 rounds of one rack`, 44), pad(ms(ideal), 10));
  console.log(
    pad(`rack sync --all over ${RACKS} racks`, 44),
    pad(ms(sync), 10),
    rounds.map((r) => ms(r.syncMs)).join(', '),
  );
  console.log(
    pad('  of which planning (rack sync --dry-run)', 44),
    pad(ms(median(rounds.map((r) => r.planMs))), 10),
    rounds.map((r) => ms(r.planMs)).join(', '),
  );
  console.log(
    pad('  one rack inside the sync (median, max)', 44),
    pad(ms(median(rounds.map((r) => r.perRackMedian))), 10),
    ms(Math.max(...rounds.map((r) => r.perRackMax))),
  );
  const ratio = sync / ideal;
  console.log(
    `\ntarget: sync at most ${TARGET}× the ideal: ${ratio <= TARGET ? 'met' : 'NOT met'} (${ratio.toFixed(2)}×)`,
  );
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
function ms(value) {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${(value / 1000).toFixed(2)} s`;
}
function pad(text, width) {
  return String(text).padEnd(width);
}

/**
 * The harness is TypeScript: bundled with esbuild into node_modules/.cache (so that packages resolve from
 * the project), keeping each module's import.meta.url pointing at its source (the harness finds its Python
 * launcher beside it).
 */
async function loadHarness() {
  const cache = path.join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'rack-bench-sync-'));
  const outfile = path.join(dir, 'harness.mjs');
  try {
    await build({
      stdin: {
        contents: [
          "export { startLocalAws } from './test/harness/localAws.ts';",
          "export { createRackStack } from './test/harness/rackStacks.ts';",
          "export { scriptTimelines } from './test/harness/timelines.ts';",
          "export { runRack, tempHome } from './test/harness/runRack.ts';",
        ].join('\n'),
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      logLevel: 'warning',
      packages: 'external',
      plugins: [
        {
          name: 'source-urls',
          setup(b) {
            b.onLoad({ filter: /\.ts$/ }, async (args) => ({
              contents: (await readFile(args.path, 'utf8')).replaceAll(
                'import.meta.url',
                JSON.stringify(pathToFileURL(args.path).href),
              ),
              loader: 'ts',
            }));
          },
        },
      ],
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
