// bench/ui: time from starting `rack ui` in a real terminal (tmux, 120×40) to the first full frame of
// the dashboard with 200 registered racks, against bare node printing a line in the same terminal, in
// the same run. The racks' stacks do not exist and AWS is a closed port on loopback: the table must
// come before any status, which arrives in the background. Also: until every rack has a state, and from
// a key (G, jump to the last rack) to the frame that shows it.
// Run with `npm run build && node bench/ui.mjs` (RUNS=10 by default). Never part of the test suite.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const runs = Number(process.env.RUNS ?? 10);
const RACKS = 200;
const size = { columns: 120, rows: 40 };
const bin = path.resolve('dist/rack.cjs');

const home = mkdtempSync(path.join(os.tmpdir(), 'rack-bench-ui-'));
const racks = Array.from({ length: RACKS }, (_, i) => ({
  name: `rack-${String(i).padStart(3, '0')}`,
  stack: `bench-stack-${i}`,
  region: 'us-east-1',
  channel: i % 5 === 0 ? 'unstable' : 'stable',
  addedAt: '2026-11-01T00:00:00Z',
}));
writeFileSync(path.join(home, 'racks.json'), `${JSON.stringify({ schema: 1, racks }, null, 2)}\n`);

const env = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  TERM: 'xterm-256color',
  RACK_HOME: home,
  // Nothing listens on port 9 of loopback: every AWS call is refused at once, never sent elsewhere.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_MAX_ATTEMPTS: '1',
};
const quoted = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const envPrefix = `env -i ${Object.entries(env)
  .map(([k, v]) => quoted(`${k}=${v}`))
  .join(' ')}`;

function terminal(command) {
  const socket = path.join(home, `tmux-${Math.random().toString(36).slice(2)}.sock`);
  const tmux = (...args) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const start = performance.now();
  tmux('new-session', '-d', '-s', 'b', '-x', String(size.columns), '-y', String(size.rows), `${command}; sleep 60`);
  return {
    start,
    screen: () => tmux('capture-pane', '-p', '-t', 'b'),
    keys: (...keys) => tmux('send-keys', '-t', 'b', ...keys),
    kill: () => {
      try {
        tmux('kill-server');
      } catch {}
      rmSync(socket, { force: true });
    },
  };
}

function until(term, predicate, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const screen = term.screen();
    if (predicate(screen)) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out; screen:\n${screen}`);
  }
}

// The header and every row of the first screenful (40 rows leave 34 for the table).
const firstFrame = (s) =>
  s.includes(`rack — ${RACKS} racks`) && s.includes('rack-000') && s.includes('rack-033') && s.includes('q quit');
const allSettled = (s) => firstFrame(s) && !s.includes('loading…') && !s.includes('refreshing');

const times = { node: [], frame: [], settled: [], key: [] };
function once() {
  const baseline = terminal(
    `${envPrefix} ${quoted(process.execPath)} -e ${quoted("process.stderr.write('ready\\n'); setTimeout(() => {}, 60000)")}`,
  );
  times.node.push(until(baseline, (s) => s.includes('ready')) - baseline.start);
  baseline.kill();

  const ui = terminal(`${envPrefix} ${quoted(process.execPath)} ${quoted(bin)} ui`);
  try {
    times.frame.push(until(ui, firstFrame) - ui.start);
    times.settled.push(until(ui, allSettled) - ui.start);
    const pressed = performance.now();
    ui.keys('G');
    times.key.push(until(ui, (s) => s.includes('› rack-199')) - pressed);
    ui.keys('q');
  } finally {
    ui.kill();
  }
}

once(); // warm the file cache
for (const key of Object.keys(times)) times[key] = [];
for (let i = 0; i < runs; i++) once();
rmSync(home, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(times.node);
const rows = [
  ['node prints a line (baseline)', times.node],
  [`rack ui: first full frame, ${RACKS} racks`, times.frame],
  ['rack ui: every rack has a state', times.settled],
  ['key G to the frame showing rack-199', times.key],
];
console.log(
  `ui, ${runs} runs each in tmux ${size.columns}x${size.rows} (median, min, max wall time; capture-pane polled)`,
);
for (const [name, xs] of rows) {
  const m = median(xs);
  console.log(
    `${name.padEnd(40)} ${m.toFixed(0).padStart(6)} ms  ${Math.min(...xs)
      .toFixed(0)
      .padStart(6)} ms  ${Math.max(...xs)
      .toFixed(0)
      .padStart(6)} ms   ${(m / base).toFixed(2)}x`,
  );
}
