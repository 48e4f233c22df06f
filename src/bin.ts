/**
 * The entry point, and the only place that exits. It is a tiny CommonJS file: `--version` and the
 * top-level `--help` (rendered by the same parser at build time) are answered before anything else
 * loads, so they cost little more than node itself. Everything else loads the command parser.
 */
declare const __RACK_VERSION__: string;
declare const __RACK_HELP__: string;
/** yargs wraps help to min(100, columns); the build renders it at 100. */
const HELP_WIDTH = 100;

const argv = process.argv.slice(2);
const only = argv.length === 1 ? argv[0] : undefined;
const stdout = process.stdout;

if (only === '--version' || only === '-V') {
  stdout.write(`${__RACK_VERSION__}\n`);
} else if ((only === '--help' || only === '-h') && (!stdout.isTTY || (stdout.columns ?? 0) >= HELP_WIDTH)) {
  stdout.write(__RACK_HELP__);
} else {
  // The SDK warns on every run under Node 20; the versions we ship are pinned and tested on it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The first Ctrl-C stops waiting (CloudFormation keeps working; the command says how to follow it),
  // the second stops at once.
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    interrupt.abort(new Error('interrupted'));
    process.once('SIGINT', () => process.exit(130));
  });
  import('./cli/main.js')
    .then(({ main }) =>
      main(
        { argv, env: process.env, cwd: process.cwd(), stdin: process.stdin, stdout, stderr: process.stderr },
        { signal: interrupt.signal },
      ),
    )
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`Error: ${(error as Error)?.stack ?? String(error)}\n`);
        process.exitCode = 1;
      },
    );
}
