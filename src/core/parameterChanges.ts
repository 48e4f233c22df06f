/**
 * The parameter changes a user types: `K=V` arguments of `rack params set`, `rack install --param` and
 * `rack update --param`. Parsing only checks the form; whether a key exists and a value is allowed is
 * the planner's job (exit 3), while a malformed argument means the command cannot run as typed (exit 2).
 */
import { refused, usageError } from '../errors.js';

export type ParameterChanges = Record<string, string>;

export interface ParseParameterArgsOptions {
  /** `rack install --param` may be given no changes at all; `rack params set` may not. */
  allowEmpty?: boolean;
}

/**
 * `K=V` arguments → { K: V }. V may contain `=` (only the first one splits) and `K=` sets the empty
 * string. Values never appear in the messages: an argument may be a secret.
 */
export function parseParameterArgs(args: readonly string[], options: ParseParameterArgsOptions = {}): ParameterChanges {
  if (args.length === 0 && !options.allowEmpty) {
    throw usageError('No parameter changes given.', {
      next: 'Pass at least one change as KEY=VALUE, for example `InstanceType=t3.large`.',
    });
  }
  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const equals = arg.indexOf('=');
    if (equals === -1) {
      throw usageError(`"${arg}" is not a parameter change: expected KEY=VALUE.`, {
        next: `Write it as \`${arg}=<value>\` (\`${arg}=\` sets it to the empty string).`,
      });
    }
    const key = arg.slice(0, equals);
    if (key === '') {
      throw usageError('A parameter change has no key before "=": expected KEY=VALUE.', {
        next: 'Write each change as KEY=VALUE, for example `InstanceType=t3.large`.',
      });
    }
    if (seen.has(key)) {
      throw usageError(`Parameter ${key} is given more than once.`, {
        next: `Give ${key} once, with the value you want.`,
      });
    }
    seen.add(key);
    entries.push([key, arg.slice(equals + 1)]);
  }
  // fromEntries defines own properties, so a key like `__proto__` stays an ordinary key.
  return Object.fromEntries(entries);
}

/** Parameters that other commands own, because changing them alone would break the rack. */
export const OWNED_PARAMETERS: Readonly<Record<string, { command: string; why: string }>> = {
  Version: {
    command: 'rack update',
    why: 'it is the release the rack runs; `rack update --version <version>` moves the rack along a safe path and applies its migrations',
  },
  Key: {
    command: 'rack instances keyroll',
    why: "it is the instances' SSH key pair; `rack instances keyroll` creates the new key and replaces the instances safely",
  },
};

/** Refuses (exit 3) changes to Version or Key, naming the command that owns each. Used by `rack params set`. */
export function refuseOwnedKeys(changes: ParameterChanges): void {
  const owned = Object.keys(changes).filter((key) => Object.hasOwn(OWNED_PARAMETERS, key));
  if (owned.length === 0) return;
  const ownerOf = (key: string) => OWNED_PARAMETERS[key]!;
  const message =
    owned.length === 1
      ? `${owned[0]} cannot be set with \`rack params set\`: use \`${ownerOf(owned[0]!).command}\`.`
      : `${owned.join(' and ')} cannot be set with \`rack params set\`.`;
  throw refused(message, {
    problems: owned.map((key) => `${key} is changed with \`${ownerOf(key).command}\`: ${ownerOf(key).why}.`),
    untouched: 'Nothing was written to the stack.',
    next: owned.map((key) => `Change ${key} with \`${ownerOf(key).command}\`.`).join(' '),
  });
}
