/**
 * The few error kinds rack knows. Every error a user sees is a RackError: it says what went wrong,
 * what was left untouched and what to do next. Errors are classified by their `kind` field, never by
 * `instanceof`, so that copies of this module (bundles, tests) agree. Only the bin entry turns a kind
 * into an exit code, through `exitCodeOf`.
 */
export type ErrorKind =
  /** The command cannot run as typed: bad arguments, unknown rack/stack/instance, a write without --yes. */
  | 'usage'
  /** A safety check refused: masked value, invalid parameter, yanked version, barrier, digest, soak. */
  | 'refused'
  /** Credentials or permission. */
  | 'auth'
  /** Another process holds the rack's lock, or its stack is in an operation rack did not start. */
  | 'busy'
  /** The update failed and CloudFormation rolled it back (or failed to). */
  | 'failed'
  /** The operator answered no at a confirmation prompt; nothing was changed. */
  | 'declined'
  /** Ctrl-C (or SIGTERM/SIGHUP): before a write nothing was written; after, the operation goes on. */
  | 'interrupted'
  /** Anything else. */
  | 'internal';

const EXIT_CODES: Record<ErrorKind, number> = {
  internal: 1,
  usage: 2,
  refused: 3,
  auth: 4,
  busy: 5,
  failed: 6,
  // As gh does: declining is "the command did not run", like a write refused for lack of --yes.
  declined: 2,
  interrupted: 130,
};

export interface RackErrorOptions {
  /** What was left as it was, e.g. "Nothing was written to the stack." */
  untouched?: string;
  /** The next step for the user, e.g. "Run `rack racks list` to see registered racks." */
  next?: string;
  /** Problems when one refusal has several reasons (every problem is listed at once). */
  problems?: string[];
  /** Machine-readable detail for --json output. Never a secret. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the kind's exit code (e.g. ssh passes the remote command's code through). */
  exitCode?: number;
}

export class RackError extends Error {
  readonly kind: ErrorKind;
  readonly untouched?: string;
  readonly next?: string;
  readonly problems: string[];
  readonly details?: Record<string, unknown>;
  readonly exitCode: number;

  constructor(kind: ErrorKind, message: string, options: RackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RackError';
    this.kind = kind;
    this.untouched = options.untouched;
    this.next = options.next;
    this.problems = options.problems ?? [];
    this.details = options.details;
    this.exitCode = options.exitCode ?? EXIT_CODES[kind];
  }
}

export const usageError = (message: string, options?: RackErrorOptions) => new RackError('usage', message, options);
export const refused = (message: string, options?: RackErrorOptions) => new RackError('refused', message, options);
export const authError = (message: string, options?: RackErrorOptions) => new RackError('auth', message, options);
export const busy = (message: string, options?: RackErrorOptions) => new RackError('busy', message, options);
export const updateFailed = (message: string, options?: RackErrorOptions) => new RackError('failed', message, options);
export const declined = (message: string, options?: RackErrorOptions) => new RackError('declined', message, options);
export const interrupted = (message: string, options?: RackErrorOptions) =>
  new RackError('interrupted', message, options);
export const isInterrupted = (error: unknown): boolean => isRackError(error) && error.kind === 'interrupted';
export const internalError = (message: string, options?: RackErrorOptions) =>
  new RackError('internal', message, options);

export function isRackError(error: unknown): error is RackError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'RackError' &&
    typeof (error as { kind?: unknown }).kind === 'string'
  );
}

export function exitCodeOf(error: unknown): number {
  return isRackError(error) ? error.exitCode : EXIT_CODES.internal;
}

/** The lines shown to a user for an error, on stderr. */
export function formatError(error: RackError): string {
  const lines = [`Error: ${error.message}`];
  for (const problem of error.problems) lines.push(`  - ${problem}`);
  if (error.untouched) lines.push(error.untouched);
  if (error.next) lines.push(`Next: ${error.next}`);
  return lines.join('\n');
}

/** The --json shape of an error, on stdout. */
export function errorJson(error: RackError): Record<string, unknown> {
  return {
    error: {
      kind: error.kind,
      exitCode: error.exitCode,
      message: error.message,
      problems: error.problems,
      untouched: error.untouched,
      next: error.next,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/**
 * Gathers refusals instead of stopping at the first, so that one run can list every problem: `collect(fn)`
 * returns fn's result, or undefined after adding its refusal's problems to `problems`. Other errors pass.
 */
export function refusalCollector(problems: string[]): <T>(read: () => T) => T | undefined {
  return (read) => {
    try {
      return read();
    } catch (error) {
      if (!isRackError(error) || error.kind !== 'refused') throw error;
      problems.push(...(error.problems.length > 0 ? error.problems : [error.message]));
      return undefined;
    }
  };
}
