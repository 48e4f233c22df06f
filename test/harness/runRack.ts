/**
 * Runs whole rack commands, in-process (fast, same code as the binary) or as the real built binary
 * (for concurrency across processes and start-up behaviour), capturing stdout, stderr and the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { ContextOverrides, Env } from '../../src/context.js';

export interface RunResult {
  code: number;
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

function result(code: number, stdout: string, stderr: string): RunResult {
  return {
    code,
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

/** Runs the built binary (`npm test` builds it first) as a child process. */
export function runRackBinary(
  args: string[],
  env: Env,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], {
      env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env } as NodeJS.ProcessEnv,
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(result(code ?? (signal ? 128 : 1), stdout, stderr));
    });
    child.stdin.end(options.input ?? '');
  });
}
