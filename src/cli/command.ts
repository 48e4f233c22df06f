/**
 * A command is a typed definition: its yargs builder gives `run` its argument types. Commands parse
 * and render; they call services (imported lazily inside `run`, so `rack --help` loads none of them).
 */
import type { Argv } from 'yargs';
import type { Context, GlobalOptions } from '../context.js';

export type GlobalArgs = GlobalOptions & { _: (string | number)[]; $0: string };

export interface CommandDefinition<A = object> {
  /** yargs command syntax, e.g. "add <name>". */
  command: string;
  describe: string;
  aliases?: string[];
  builder?: (yargs: Argv<GlobalArgs>) => Argv<A>;
  /**
   * Whether this invocation changes a rack: it then needs a terminal to confirm on, or --yes (checked once,
   * before `run`, so that a refusal comes before any AWS call).
   */
  writes?: (args: A & GlobalArgs) => boolean;
  /** Returns the exit code (0 when nothing is returned). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a command that returns nothing exits 0
  run?: (ctx: Context, args: A & GlobalArgs) => Promise<number | void>;
  subcommands?: AnyCommand[];
}

/** A command of any argument shape: what the registry and the parser hold. */
// biome-ignore lint/suspicious/noExplicitAny: each command types its own arguments; a list of them cannot
export type AnyCommand = CommandDefinition<any>;

/** The parser as commands are registered on it, whatever arguments they added. */
// biome-ignore lint/suspicious/noExplicitAny: yargs' type grows with each option; the registry is untyped
export type AnyArgv = Argv<any>;

export function defineCommand<A>(definition: CommandDefinition<A>): CommandDefinition<A> {
  return definition;
}
