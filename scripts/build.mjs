// Builds the CLI with esbuild in two parts:
// - dist/main.mjs and dist/chunks/: the command parser and everything it runs, as ESM with code
//   splitting, so each command loads only its own services (ink, react and the AWS SDK come in
//   separate chunks). The SDK's CommonJS parts call `require`, which ESM lacks; the banner gives every
//   chunk one.
// - dist/rack.cjs: the tiny entry named by `bin.rack`. It answers --version and the top-level --help
//   (rendered here by the real parser) without loading the parser, and imports dist/main.mjs otherwise.
import { build } from 'esbuild';
import { chmod, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// yargs' help layout (cliui, wrap-ansi) gets a lighter string-width; ink keeps the real one.
const lightStringWidth = {
  name: 'light-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      /[\\/](cliui|yargs|wrap-ansi)[\\/]/.test(args.importer)
        ? { path: path.resolve('scripts/shims/string-width.mjs') }
        : undefined,
    );
  },
};

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Prefer packages' ESM builds: named exports survive dynamic import() and tree-shaking works.
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
  jsx: 'automatic',
  // ink imports React DevTools only when DEV=true; it is not installed and never shipped.
  external: ['react-devtools-core'],
  plugins: [lightStringWidth],
  banner: {
    js: "import { createRequire as __rackCreateRequire } from 'node:module'; const require = __rackCreateRequire(import.meta.url);",
  },
});

// The top-level help, exactly as the parser prints it when stdout is not a narrow terminal.
const { main } = await import(pathToFileURL(path.resolve('dist/main.mjs')).href);
let help = '';
const sink = {
  write: (s) => {
    help += s;
  },
};
const code = await main({
  argv: ['--help'],
  env: {},
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: sink,
  stderr: process.stderr,
});
if (code !== 0 || !help.includes('Usage:')) throw new Error(`rendering --help failed (exit ${code})`);

const { version } = JSON.parse(await readFile('package.json', 'utf8'));
await build({
  entryPoints: ['src/bin.ts'],
  outfile: 'dist/rack.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  define: { __RACK_VERSION__: JSON.stringify(version), __RACK_HELP__: JSON.stringify(help) },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [
    {
      name: 'main-bundle',
      setup(b) {
        b.onResolve({ filter: /cli\/main\.js$/ }, () => ({ path: './main.mjs', external: true }));
      },
    },
  ],
});
await chmod('dist/rack.cjs', 0o755);
