/**
 * Everything a command needs, built once per invocation: options, environment, output streams,
 * logger, clock, prompts, the state store and AWS client factories. Services receive it and never
 * touch process.argv, process.env or process.exit; tests build one with loopback endpoints instead
 * of mocking modules.
 */
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  createAwsClients,
  awsSettingsFromEnv,
  type AwsClients,
  type AwsSettings,
  type AwsTarget,
} from './aws/clients.js';
import { redactValue } from './core/redact.js';
import { jsonText } from './core/sanitize.js';
import { declined, usageError } from './errors.js';
import { systemClock, type Clock } from './io/clock.js';
import { createLogger, type Logger, type Writer } from './io/logger.js';
import { createPrompts, type Prompts } from './io/prompts.js';
import { createTeardown, type Teardown } from './io/teardown.js';
import { createFileStore } from './state/fileStore.js';
import { createS3Store } from './state/s3Store.js';
import type { StateStore } from './state/store.js';
import { plainLine, type Reporter } from './io/events.js';

export type Env = Record<string, string | undefined>;

export interface RackIO {
  argv: string[];
  env: Env;
  cwd: string;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writer;
  stderr: Writer;
}

export interface GlobalOptions {
  rack?: string;
  json: boolean;
  yes: boolean;
  profile?: string;
  region?: string;
  channels?: string;
  debug: boolean;
}

export interface Context {
  readonly io: RackIO;
  readonly env: Env;
  readonly options: GlobalOptions;
  /** stdin and stderr are terminals and CI is unset (docs/architecture.md, "Command contract"). */
  readonly interactive: boolean;
  readonly logger: Logger;
  /** Where services report progress; plain lines on stderr unless a live view takes over. */
  events: Reporter;
  readonly clock: Clock;
  readonly prompts: Prompts;
  /** RACK_HOME: registry, history, locks and caches on this machine. */
  readonly home: string;
  readonly state: StateStore;
  /** AWS clients for a region and profile; cached, so each client is built once per run. */
  aws(target: AwsTarget): AwsClients;
  /** The region for a new rack: --region, AWS_REGION, AWS_DEFAULT_REGION. */
  defaultRegion(): string;
  /** Asks before a write; refuses without a terminal unless --yes was given. */
  confirm(question: string): Promise<void>;
  /**
   * Refuses at once (exit 2) a write that will need confirmation when none can be asked for, so the
   * refusal comes before any AWS call, not after a change set was made.
   */
  requireConsent(): void;
  /** Writes the command's result: JSON with --json, else the human text. */
  result(data: unknown, human: () => string): void;
  /** Aborted on Ctrl-C: waits stop, CloudFormation keeps working. */
  readonly signal: AbortSignal;
  /** What to undo if the process must stop at once (held locks, change sets not executed). */
  readonly teardown: Teardown;
}

export interface ContextOverrides {
  clock?: Clock;
  prompts?: Prompts;
  state?: StateStore;
  aws?: Partial<AwsSettings>;
  signal?: AbortSignal;
  events?: Reporter;
  teardown?: Teardown;
}

export function isInteractive(io: Pick<RackIO, 'stdin' | 'stderr' | 'env'>): boolean {
  return Boolean(io.stdin.isTTY) && Boolean(io.stderr.isTTY) && !io.env.CI;
}

function rackHome(env: Env): string {
  if (env.RACK_HOME) return env.RACK_HOME;
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'rack');
}

export function createContext(io: RackIO, options: GlobalOptions, overrides: ContextOverrides = {}): Context {
  const env = io.env;
  const interactive = isInteractive(io);
  const logger = createLogger({ stderr: io.stderr, json: options.json, debug: options.debug });
  const home = rackHome(env);
  const prompts = overrides.prompts ?? createPrompts(io.stdin, io.stderr);
  const settings: AwsSettings = {
    ...awsSettingsFromEnv(env),
    onCall: options.debug
      ? (call) =>
          logger.debug(`aws ${call.service}.${call.operation} ${call.ms}ms${call.error ? ` ${call.error}` : ''}`)
      : undefined,
    ...(interactive
      ? { mfaCodeProvider: async (serial: string) => (await prompts.text(`MFA code for ${serial}: `)).trim() }
      : {}),
    ...overrides.aws,
  };
  const clients = new Map<string, AwsClients>();
  let state = overrides.state;

  const events: Reporter = overrides.events ?? {
    emit: (event) => {
      const line = plainLine(event);
      if (line === undefined) return;
      if (event.type === 'warning') logger.warn(event.text);
      else logger.info(line);
    },
  };

  return {
    io,
    env,
    options,
    interactive,
    logger,
    events,
    clock: overrides.clock ?? systemClock,
    prompts,
    home,
    get state() {
      state ??= env.RACK_STATE
        ? createS3Store(env.RACK_STATE, this.aws({ region: env.RACK_STATE_REGION ?? env.AWS_REGION ?? 'us-east-1' }))
        : createFileStore(home);
      return state;
    },
    aws(target) {
      const resolved = { region: target.region, profile: target.profile ?? options.profile };
      const key = `${resolved.region}|${resolved.profile ?? ''}`;
      if (!clients.has(key)) clients.set(key, createAwsClients(resolved, settings));
      return clients.get(key)!;
    },
    defaultRegion() {
      const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      if (!region) {
        throw usageError('No AWS region given.', { next: 'Pass --region (or set AWS_REGION).' });
      }
      return region;
    },
    requireConsent() {
      if (options.yes || interactive) return;
      throw usageError('This command changes a rack and needs confirmation, but there is no terminal to ask on.', {
        untouched: 'Nothing was changed.',
        next: 'Run it again with --yes to confirm without a prompt.',
      });
    },
    async confirm(question) {
      if (options.yes) return;
      this.requireConsent();
      if (!(await prompts.confirm(question))) {
        throw declined('Declined at the confirmation prompt.', { untouched: 'Nothing was changed.' });
      }
    },
    result(data, human) {
      // Redacted before encoding, so that JSON escaping cannot hide a secret; JSON keeps text from outside
      // as it is (escaped), while the human text is sanitized for the terminal.
      if (options.json) io.stdout.write(`${jsonText(redactValue(data, logger.redact))}\n`);
      else {
        const text = logger.printable(human());
        if (text) io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    signal: overrides.signal ?? new AbortController().signal,
    teardown: overrides.teardown ?? createTeardown(),
  };
}
