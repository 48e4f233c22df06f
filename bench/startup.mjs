// bench/startup: wall time of `rack --version` and `rack --help` against bare `node -e 0`,
// interleaved in one run so that machine noise hits all three alike. Prints medians and ratios.
// Run with `npm run bench:startup` (builds first). Never part of the test suite.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';

const runs = Number(process.env.RUNS ?? 30);
const bin = path.resolve('dist/rack.cjs');
const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'rack --version': [process.execPath, [bin, '--version']],
  'rack --help': [process.execPath, [bin, '--help']],
  // Subcommand help goes through the full parser (only the top-level help is rendered at build time).
  'rack racks --help': [process.execPath, [bin, 'racks', '--help']],
};
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));

function once([command, args]) {
  const start = performance.now();
  const out = spawnSync(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const ms = performance.now() - start;
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  return ms;
}

for (const c of Object.values(cases)) once(c); // warm the file cache
for (let i = 0; i < runs; i++) for (const [name, c] of Object.entries(cases)) times[name].push(once(c));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(times['node -e 0']);
console.log(`startup, ${runs} interleaved runs each (median wall time)`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(`${name.padEnd(18)} ${m.toFixed(1).padStart(7)} ms   ${(m / base).toFixed(2)}x node`);
}
