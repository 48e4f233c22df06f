/**
 * Progress and diagnostics go to stderr; stdout carries only results. Every line passes through the
 * redactor, so a secret registered with `addSecret` can never be printed, whatever code logs it, and is
 * then sanitized, so that text from outside (a stack event's reason, GitHub's message) cannot drive the
 * terminal.
 */
import { isAsteriskOnly, redactor } from '../core/redact.js';
import { sanitize } from '../core/sanitize.js';

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
  /** Values that must never be printed (NoEcho values read from an API, keys, tokens), whatever their length. */
  addSecret(value: string | undefined): void;
  /** Masks every registered secret (core/redact.ts); for values, `redactValue(value, logger.redact)`. */
  redact(text: string): string;
  /** Redacted, then sanitized: text as it may be written to a terminal. */
  printable(text: string): string;
}

export interface LoggerOptions {
  stderr: Writer;
  json: boolean;
  debug: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = new Set<string>();
  // Built on the first redaction after a secret is added: a command that adds many compiles it once.
  let compiled: ((text: string) => string) | undefined;
  const redact = (text: string) => {
    compiled ??= redactor([...secrets]);
    return compiled(text);
  };
  const printable = (text: string) => sanitize(redact(text), { multiline: true });
  const line = (text: string) => options.stderr.write(`${printable(text)}\n`);
  return {
    info: (message) => {
      if (!options.json) line(message);
    },
    warn: (message) => line(`Warning: ${message}`),
    debug: (message) => {
      if (options.debug) line(`[debug] ${message}`);
    },
    addSecret: (value) => {
      // Asterisks are what CloudFormation shows instead of a secret, never the secret itself.
      if (!value || isAsteriskOnly(value) || secrets.has(value)) return;
      secrets.add(value);
      compiled = undefined;
    },
    redact,
    printable,
  };
}
