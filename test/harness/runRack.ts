/**
 * Runs whole rack commands, in-process (fast, same code as the binary) or as the real built binary
 * (for concurrency across processes, start-up behaviour and kill points), capturing stdout, stderr and the
 * exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { ContextOverrides, Env } from '../../src/context.js';

export interface RunResult {
  /**
   * The exit code; for a process ended by a signal it did not handle, 128 + the signal's number, as a shell
   * reports it (137 for SIGKILL, 130 for SIGINT, 143 for SIGTERM), and `signal` names it.
   */
  code: number;
  /** The signal that ended the process; undefined when it exited by itself (also after handling a signal). */
  signal?: NodeJS.Signals;
  /** The run outlived its `timeoutMs` and was killed with SIGKILL by the harness (not by a kill point). */
  timedOut?: boolean;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = any>(): T;
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const binary = path.join(repoRoot, 'dist/rack.cjs');

export function tempHome(prefix = 'rack-home-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file under a rack home (or any folder), for scans that nothing secret was stored. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

function result(code: number, stdout: string, stderr: string, ended: Partial<RunResult> = {}): RunResult {
  return {
    code,
    ...ended,
    stdout,
    stderr,
    json: () => JSON.parse(stdout),
  };
}

class Capture extends PassThrough {
  text = '';
  isTTY: boolean;
  columns = 100;
  constructor(tty = false) {
    super();
    this.isTTY = tty;
    this.on('data', (chunk: Buffer) => {
      this.text += chunk.toString();
    });
  }
}

export interface InProcessOptions extends ContextOverrides {
  env?: Env;
  stdin?: string;
  tty?: boolean;
}

/** Runs `rack <args>` in this process. The environment is only what is passed (never process.env). */
export async function runRack(args: string[], options: InProcessOptions = {}): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture(options.tty);
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  if (options.stdin !== undefined) stdin.end(options.stdin);
  const code = await main(
    { argv: args, env: { HOME: os.tmpdir(), ...options.env }, cwd: repoRoot, stdin, stdout, stderr },
    options,
  );
  return result(code, stdout.text, stderr.text);
}

export interface SpawnOptions {
  /** Written to stdin, which is then closed; default nothing. */
  input?: string;
  /** The run is killed (SIGKILL, `timedOut: true`) after this long; default 60 s. */
  timeoutMs?: number;
  /** The node script to run instead of the built binary (harness tests use a small SDK script). */
  script?: string;
}

/** A running child: its pid (for kill points) while it runs, and its result once it has exited. */
export interface SpawnedRack {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output is read, whatever ended it. */
  readonly result: Promise<RunResult>;
}

/**
 * Starts the built binary (`npm test` builds it first) as a child process. The environment is only what is
 * passed, over PATH and a temporary HOME.
 */
export function spawnRack(args: string[], env: Env, options: SpawnOptions = {}): SpawnedRack {
  const child = spawn(process.execPath, [options.script ?? binary, ...args], {
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env } as NodeJS.ProcessEnv,
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.script ?? binary}`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const ended = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exit = code ?? (signal !== null ? 128 + (os.constants.signals[signal] ?? 0) : 1);
      resolve(result(exit, stdout, stderr, { ...(signal !== null && { signal }), ...(timedOut && { timedOut }) }));
    });
  });
  // A killed child may close stdin before it is written: that is its business, not an error of the run.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  return { pid: child.pid, child, result: ended };
}

/** Runs the built binary (`npm test` builds it first) as a child process, to its end. */
export function runRackBinary(
  args: string[],
  env: Env,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return spawnRack(args, env, options).result;
}
