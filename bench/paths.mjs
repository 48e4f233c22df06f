// Upgrade paths across a 10,000-release catalog: `node bench/paths.mjs`.
// Bundles the pure core with esbuild into a temporary file, builds a catalog of 10,000 releases (given in
// shuffled order, with barriers every 50 releases, some of them yanked with fixes, and other yanks), and
// times, over many runs: building the catalog, resolving the longest path (bottom to top, crossing every
// barrier), resolving a short path, and the cold case a command pays (build + resolve). The baseline, in the
// same run, is a bare sort of the same 10,000 version strings with semver.compare.
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RELEASES = 10_000;
const RUNS = 60;
const TARGET_MS = 20;

const core = await loadCore();
const releases = shuffle(makeReleases());
const versions = releases.map((release) => release.version);
const newest = [...versions].sort(semver.compare).at(-1);

const catalog = core.createCatalog(releases);
const longest = core.upgradePath({ catalog, from: '0.0.0', to: newest, cliVersion: '9.0.0' });
const channel = core.createChannel({
  schema: 1,
  name: 'stable',
  description: '',
  releases: catalog.releases.map((release) => ({ version: release.version, entered: '2025-01-01T00:00:00Z' })),
});

const rows = [
  ['baseline: sort 10,000 versions (semver.compare)', time(() => [...versions].sort(semver.compare))],
  ['build the catalog (parse, sort, index)', time(() => core.createCatalog(releases))],
  [
    `longest path (${longest.hops.length} hops)`,
    time(() => core.upgradePath({ catalog, from: '0.0.0', to: newest, cliVersion: '9.0.0' })),
  ],
  [
    'longest path, to the channel target',
    time(() => core.upgradePath({ catalog, channel, from: '0.0.0', cliVersion: '9.0.0' })),
  ],
  [
    'short path (one minor)',
    time(() => core.upgradePath({ catalog, from: '5.10.0', to: '5.11.0', cliVersion: '9.0.0' })),
  ],
  [
    'cold: build the catalog + longest path',
    time(() => {
      const fresh = core.createCatalog(releases);
      return core.upgradePath({ catalog: fresh, from: '0.0.0', to: newest, cliVersion: '9.0.0' });
    }),
  ],
];
// For scale, not part of the target: reading the same catalog from YAML (parse, validate, line map).
const catalogYaml = core.stringify({ schema: 1, releases });
const fileRow = [
  '(for scale) read catalog.yaml of 10,000 releases',
  time(() => core.parseCatalog(catalogYaml, 'catalog.yaml'), 10),
];

const baseline = rows[0][1].median;
console.log(
  `Upgrade paths over ${RELEASES.toLocaleString('en')} releases, ${RUNS} runs each (node ${process.version})\n`,
);
console.log(pad('', 48), pad('median', 10), pad('min', 10), pad('max', 10), 'vs baseline');
for (const [name, t] of rows) {
  console.log(
    pad(name, 48),
    pad(ms(t.median), 10),
    pad(ms(t.min), 10),
    pad(ms(t.max), 10),
    `${(t.median / baseline).toFixed(2)}×`,
  );
}
const [fileName, fileTime] = fileRow;
console.log(
  pad(fileName, 48),
  pad(ms(fileTime.median), 10),
  pad(ms(fileTime.min), 10),
  pad(ms(fileTime.max), 10),
  `${(fileTime.median / baseline).toFixed(2)}× (${(catalogYaml.length / 1e6).toFixed(1)} MB, ${fileTime.runs} runs)`,
);
const cold = rows.at(-1)[1].median;
console.log(
  `\ntarget: resolving a path across the catalog, median under ${TARGET_MS} ms: ${cold < TARGET_MS ? 'met' : 'NOT met'} (cold ${ms(cold)})`,
);

async function loadCore() {
  const dir = mkdtempSync(path.join(tmpdir(), 'rack-bench-'));
  const outfile = path.join(dir, 'core.mjs');
  try {
    buildSync({
      stdin: {
        contents: [
          "export { upgradePath } from './src/core/upgradePath.ts';",
          "export { createCatalog } from './src/core/channels/catalog.ts';",
          "export { createChannel } from './src/core/channels/channel.ts';",
          "export { parseCatalog } from './src/core/channels/catalog.ts';",
          "export { stringify } from 'yaml';",
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
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeReleases() {
  const list = [];
  for (let major = 0; major < 10; major++) {
    for (let minor = 0; minor < 100; minor++) {
      for (let patch = 0; patch < 10; patch++) {
        const index = list.length;
        const version = `${major}.${minor}.${patch}`;
        const barrier = index % 50 === 25;
        // Every fourth barrier is yanked and fixed in the next patch; other yanks keep off barriers and fixes.
        const yanked =
          barrier && index % 200 === 25
            ? { reason: 'bench', at: '2025-01-01T00:00:00Z', fixedIn: `${major}.${minor}.${patch + 1}` }
            : !barrier && index % 50 !== 26 && index % 97 === 3
              ? { reason: 'bench', at: '2025-01-01T00:00:00Z' }
              : undefined;
        list.push({
          version,
          template: `templates/${version}.yaml`,
          sha256: 'a'.repeat(64),
          published: '2025-01-01T00:00:00Z',
          notes: '',
          barrier,
          ...(index % 500 === 7 ? { minCli: '1.0.0' } : {}),
          ...(yanked ? { yanked } : {}),
        });
      }
    }
  }
  if (list.length !== RELEASES) throw new Error(`expected ${RELEASES} releases, made ${list.length}`);
  return list;
}

function time(run, runs = RUNS) {
  for (let i = 0; i < Math.min(5, runs); i++) run();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples.at(-1), runs };
}

function shuffle(list) {
  // A fixed seed, so every run measures the same order.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

function ms(value) {
  return `${value.toFixed(2)} ms`;
}

function pad(text, width) {
  return String(text).padEnd(width);
}
