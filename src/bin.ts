/**
 * The only place that exits. `--version` is answered before anything else loads, so it costs little
 * more than node itself; everything else goes through the command parser, loaded on demand.
 */
import { RACK_VERSION } from './version.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${RACK_VERSION}\n`);
} else {
  // The SDK warns on every run under Node 20; the versions we ship are pinned and tested on it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { main } = await import('./cli/main.js');
  process.exitCode = await main({
    argv,
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
