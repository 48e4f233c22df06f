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
  void run();
}

/**
 * Signals (docs/architecture.md, "The operation lifecycle"): the first Ctrl-C (or SIGTERM, SIGHUP) stops the command where it is safe —
 * before a write nothing more is written and what it made is cleaned up; while CloudFormation works, rack
 * stops following and says how to attach. A second one releases the locks and deletes the change sets not
 * executed, within 2 seconds, and exits 130. An error nothing caught does the same and exits 1.
 */
async function run(): Promise<void> {
  const [{ main }, { createTeardown }] = await Promise.all([import('./cli/main.js'), import('./io/teardown.js')]);
  const teardown = createTeardown();
  const interrupt = new AbortController();
  let stopping = false;
  const stopNow = (code: number, message?: string) => {
    if (stopping) return;
    stopping = true;
    if (message) process.stderr.write(`${teardown.redact(message)}\n`);
    void teardown.run(2000).finally(() => process.exit(code));
  };
  const onSignal = () => {
    if (interrupt.signal.aborted) return stopNow(130);
    interrupt.abort(new Error('interrupted'));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const unexpected = (error: unknown) =>
    stopNow(
      1,
      `Error: Unexpected error: ${(error as Error)?.message ?? String(error)}\n` +
        'What rack held (its lock, change sets it made and did not execute) was released.\n' +
        'Next: run `rack status` to see the rack; report this if it happens again.',
    );
  process.on('unhandledRejection', unexpected);
  process.on('uncaughtException', unexpected);
  try {
    process.exitCode = await main(
      { argv, env: process.env, cwd: process.cwd(), stdin: process.stdin, stdout, stderr: process.stderr },
      { signal: interrupt.signal, teardown },
    );
  } catch (error) {
    unexpected(error);
  }
}
