/**
 * Progress and diagnostics go to stderr; stdout carries only results. Every line passes through the
 * redactor, so a secret registered with `addSecret` can never be printed, whatever code logs it.
 */
export interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Logger {
  /** Progress for people; silent with --json. */
  info(message: string): void;
  /** Something the user should know; shown even with --json (stderr stays free for them). */
  warn(message: string): void;
  /** Only with --debug. */
  debug(message: string): void;
  /** Values that must never be printed (NoEcho values read from an API, keys, tokens). */
  addSecret(value: string | undefined): void;
  redact(text: string): string;
}

export interface LoggerOptions {
  stderr: Writer;
  json: boolean;
  debug: boolean;
}

const MASK = '****';

export function createLogger(options: LoggerOptions): Logger {
  const secrets = new Set<string>();
  const redact = (text: string): string => {
    let out = text;
    // Longest first, so that a secret containing another is masked whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
  };
  const line = (text: string) => options.stderr.write(`${redact(text)}\n`);
  return {
    info: (message) => {
      if (!options.json) line(message);
    },
    warn: (message) => line(`Warning: ${message}`),
    debug: (message) => {
      if (options.debug) line(`[debug] ${message}`);
    },
    addSecret: (value) => {
      // Very short values would mask ordinary words; secrets this short are refused by templates anyway.
      if (value && value.length >= 4 && !/^\*+$/.test(value)) secrets.add(value);
    },
    redact,
  };
}
