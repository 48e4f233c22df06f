// Bundles the CLI with esbuild. ESM with code splitting keeps `rack --version` and `rack --help` from
// loading ink, react or the AWS SDK: each command's services come in separate chunks, loaded on use.
// The SDK's CommonJS parts call `require`, which ESM lacks; the banner gives every chunk one.
import { build } from 'esbuild';
import { rm, chmod } from 'node:fs/promises';
import path from 'node:path';

// yargs' help layout (cliui, wrap-ansi) gets a lighter string-width; ink keeps the real one.
const lightStringWidth = {
  name: 'light-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, (args) =>
      /[\\/](cliui|yargs|wrap-ansi)[\\/]/.test(args.importer) ? { path: path.resolve('scripts/shims/string-width.mjs') } : undefined,
    );
  },
};

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: { rack: 'src/bin.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  jsx: 'automatic',
  plugins: [lightStringWidth],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __rackCreateRequire } from 'node:module'; const require = __rackCreateRequire(import.meta.url);",
  },
});
await chmod('dist/rack.mjs', 0o755);
