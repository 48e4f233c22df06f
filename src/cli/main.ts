/**
 * Parses the command line and runs one command. Returns the exit code; only the bin entry exits.
 */
import yargs, { type Argv } from 'yargs';
import { createContext, isInteractive, type ContextOverrides, type GlobalOptions, type RackIO } from '../context.js';
import { redactValue } from '../core/redact.js';
import { jsonText, sanitize } from '../core/sanitize.js';
import { errorJson, formatError, isRackError, RackError, usageError } from '../errors.js';
import { RACK_VERSION } from '../version.js';
import type { AnyArgv, AnyCommand, GlobalArgs } from './command.js';
import { commands } from './commands.js';
import ui from './ui.js';

const EPILOGUE = [
  'Exit codes: 0 done, 1 unexpected error, 2 cannot run as typed, 3 refused by a safety check,',
  '4 credentials or permission, 5 rack busy, 6 update failed and was rolled back.',
].join('\n');

function globalOptions(parser: Argv) {
  return parser
    .option('rack', {
      type: 'string',
      describe: 'The rack to act on (default: the only registered rack)',
      global: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON document on stdout', global: true })
    .option('yes', {
      alias: 'y',
      type: 'boolean',
      default: false,
      describe: 'Do not ask for confirmation',
      global: true,
    })
    .option('profile', { type: 'string', describe: 'AWS profile', global: true })
    .option('region', { type: 'string', describe: 'AWS region', global: true })
    .option('channels', {
      type: 'string',
      describe: 'Channels source: a directory or github:owner/repo[/path][@ref]',
      global: true,
    })
    .option('debug', {
      type: 'boolean',
      default: false,
      describe: 'Log AWS calls and details (secrets redacted)',
      global: true,
    });
}

export async function main(io: RackIO, overrides: ContextOverrides = {}): Promise<number> {
  let exitCode = 0;
  let options: GlobalOptions = { json: io.argv.includes('--json'), yes: false, debug: io.argv.includes('--debug') };
  let helpOutput = '';
  let redact = (text: string) => text;

  const register = (parser: AnyArgv, definition: AnyCommand): AnyArgv =>
    parser.command({
      command: definition.command,
      describe: definition.describe,
      aliases: definition.aliases,
      builder: (sub: AnyArgv) => {
        let built = definition.builder ? definition.builder(sub) : sub;
        for (const child of definition.subcommands ?? []) built = register(built, child);
        if (definition.subcommands && !definition.run)
          built = built.demandCommand(1, 'Say which subcommand to run (see --help).');
        return built;
      },
      handler: (raw: unknown) => run(definition, raw),
    });

  const run = async (definition: AnyCommand, raw: unknown) => {
    const args = raw as GlobalArgs;
    if (!definition.run) return;
    options = {
      rack: args.rack ?? io.env.RACK ?? undefined,
      json: Boolean(args.json),
      yes: Boolean(args.yes),
      profile: args.profile ?? undefined,
      // A repeated --region arrives as a list; commands that take several (racks discover) read args.
      region: (Array.isArray(args.region) ? args.region.at(-1) : args.region) ?? undefined,
      channels: args.channels ?? io.env.RACK_CHANNELS ?? undefined,
      debug: Boolean(args.debug),
    };
    const ctx = createContext(io, options, overrides);
    // Errors are printed after the context is gone; they pass through its redactor all the same.
    redact = ctx.logger.redact;
    ctx.teardown.redact = ctx.logger.printable;
    if (definition.writes?.(args)) ctx.requireConsent();
    exitCode = (await definition.run(ctx, args)) ?? 0;
  };

  let parser: AnyArgv = globalOptions(yargs(io.argv))
    .scriptName('rack')
    .usage('rack — release channels and safe updates for racks\n\nUsage: rack <command> [options]')
    .version(RACK_VERSION)
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .strict()
    .exitProcess(false)
    .wrap(Math.min(100, io.stdout.columns ?? 100))
    .epilogue(EPILOGUE)
    // yargs' own `completion` command trips its strict mode; ours prints the same script, and the
    // hidden one answers the script's --get-yargs-completions calls.
    .completion('__completion', false)
    .command(
      'completion',
      'Print a shell completion script (bash/zsh): rack completion >> ~/.bashrc',
      () => {},
      () => {
        parser.showCompletionScript();
      },
    )
    .fail((message: string | null, error: Error | undefined) => {
      if (error) throw error;
      const shown = withoutValues(message ?? 'Invalid command line.', io.argv);
      throw usageError(shown, {
        next: shown.includes('=…')
          ? 'Give parameters with --param K=V (see `rack <command> --help`).'
          : 'See `rack --help`.',
      });
    });
  for (const definition of commands) parser = register(parser, definition);
  parser = parser.command(
    '$0',
    false,
    () => {},
    async (raw: unknown) => {
      // Bare `rack` on a terminal opens the dashboard; anywhere else it prints help.
      if (isInteractive(io) && !(raw as GlobalArgs).json) return run(ui, raw);
      helpOutput = '';
      exitCode = 0;
      parser.showHelp((text: string) => {
        helpOutput = text;
      });
    },
  );

  try {
    await parser.parseAsync(io.argv, {}, (_error: Error | undefined, _argv: unknown, output: string) => {
      if (output) helpOutput = output;
    });
    if (helpOutput) io.stdout.write(`${helpOutput}\n`);
    return exitCode;
  } catch (error) {
    return reportError(io, options, error, redact);
  }
}

/**
 * The error on stderr, redacted and sanitized; with --json also on stdout, its fields redacted before
 * they are encoded (a secret with `"` or `\` would otherwise survive as its JSON spelling).
 */
function reportError(io: RackIO, options: GlobalOptions, error: unknown, redact: (text: string) => string): number {
  const rackError = isRackError(error)
    ? error
    : new RackError('internal', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
        next: 'Run again with --debug for details, and report it if it persists.',
        cause: error,
      });
  const shown = (text: string) => `${sanitize(redact(text), { multiline: true })}\n`;
  io.stderr.write(shown(formatError(rackError)));
  if (options.debug && rackError.kind === 'internal' && (error as Error)?.stack) {
    io.stderr.write(shown(`[debug] ${(error as Error).stack}`));
  }
  if (options.json) io.stdout.write(`${jsonText(redactValue(errorJson(rackError), redact))}\n`);
  return rackError.exitCode;
}

/**
 * yargs names an unknown argument as it was typed, so `rack update Password=hunter2` (`--param`
 * forgotten) would print the value: every `K=V` argument is shown as `K=…` in its messages.
 */
function withoutValues(message: string, argv: readonly string[]): string {
  let out = message;
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    if (eq <= 0 || arg.startsWith('-')) continue;
    out = out.split(arg).join(`${arg.slice(0, eq)}=…`);
  }
  return out;
}
