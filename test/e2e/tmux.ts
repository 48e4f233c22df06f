/**
 * The real `rack` binary in a real terminal: a tmux session on its own server socket, keys sent with
 * send-keys, the screen read with capture-pane, polled against a deadline rather than fixed sleeps.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary, repoRoot, tempHome } from '../harness/runRack.js';

export interface TmuxRun {
  /** The screen as text, without colours. */
  screen(): string;
  /** Waits until the screen satisfies `predicate`; fails showing the last screen. */
  waitFor(what: string, predicate: (screen: string) => boolean, timeoutMs?: number): Promise<string>;
  keys(...keys: string[]): void;
  /** The exit code of the command, once it has exited. */
  exitCode(timeoutMs?: number): Promise<number>;
  kill(): void;
}

export function startInTmux(args: string[], env: Record<string, string>, size = { columns: 120, rows: 40 }): TmuxRun {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run build\` first.`);
  // A server of its own, on a socket in a temporary directory, so nothing is left behind.
  const dir = tempHome('rack-e2e-');
  const socket = path.join(dir, 'tmux.sock');
  const session = 'rack';
  const exitFile = path.join(dir, 'exit');
  const tmux = (...a: string[]) => execFileSync('tmux', ['-S', socket, ...a], { encoding: 'utf8', cwd: repoRoot });
  const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // Only the environment given, as runRackBinary does: the tmux server's own (CI, the developer's
  // AWS settings, RACK_CHANNELS) must not reach rack. CI would make it non-interactive.
  const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), TERM: 'xterm-256color', ...env };
  const assignments = Object.entries(environment).map(([key, value]) => quoted(`${key}=${value}`));
  const command = `env -i ${assignments.join(' ')} ${[process.execPath, binary, ...args].map(quoted).join(' ')}; echo $? > ${quoted(exitFile)}; sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', String(size.columns), '-y', String(size.rows), command);
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  return {
    screen,
    async waitFor(what, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = screen();
        if (predicate(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`Waited ${timeoutMs} ms for ${what}. The screen:\n${last}`);
    },
    keys(...keys) {
      for (const key of keys) tmux('send-keys', '-t', session, key);
    },
    async exitCode(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (existsSync(exitFile)) {
          const text = readFileSync(exitFile, 'utf8').trim();
          if (text) return Number(text);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`The command did not exit within ${timeoutMs} ms. The screen:\n${screen()}`);
    },
    kill() {
      try {
        tmux('kill-server');
      } catch {
        // Already gone.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
