/** The live view commands use: plain without a terminal or with --json; an ink view on one. */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../../src/context.js';
import type { OperationEvent } from '../../../src/io/events.js';
import { startLiveView } from '../../../src/ui/live.js';
import { LiveOperation } from '../../../src/ui/liveView.js';
import { operationReducer, startOperation } from '../../../src/ui/model/operation.js';
import { createStore } from '../../../src/ui/store.js';
import { frameWith, renderTerminal, SECRET, type Terminal } from './fixtures.js';

class Tty extends EventEmitter {
  text = '';
  isTTY: boolean;
  columns = 100;
  rows = 30;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  write = (chunk: string) => {
    this.text += chunk;
    return true;
  };
}

function contextOn(options: { tty: boolean; json?: boolean; env?: Record<string, string> }): {
  ctx: Context;
  stderr: Tty;
  stdout: Tty;
} {
  const stderr = new Tty(options.tty);
  const stdout = new Tty(false);
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty });
  const ctx = createContext(
    { argv: [], env: options.env ?? {}, cwd: '/', stdin, stdout, stderr },
    { json: options.json ?? false, yes: true, debug: false },
  );
  return { ctx, stderr, stdout };
}

const at = new Date('2026-11-21T12:00:00Z');
const HOP: OperationEvent = { type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' };
const strip = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

describe('startLiveView', () => {
  it('without a terminal, in CI or with --json, keeps the plain reporter and draws nothing', async () => {
    for (const setup of [{ tty: false }, { tty: true, env: { CI: 'true' } }, { tty: true, json: true }]) {
      const { ctx, stderr } = contextOn(setup);
      const plain = ctx.events;
      const live = await startLiveView(ctx, 'Updating prod');
      expect(live.active).toBe(false);
      expect(ctx.events).toBe(plain);
      ctx.events.emit(HOP);
      await live.stop({ ok: true, text: 'done' });
      expect(stderr.text).not.toContain('\u001b[');
      if (!setup.json) expect(stderr.text).toBe('[prod] hop 1/1: 1.2.0 → 1.3.1\n');
      else expect(stderr.text).toBe('');
    }
  });

  it('on a terminal, draws the operation on stderr, ends with the outcome and gives ctx.events back', async () => {
    const { ctx, stderr, stdout } = contextOn({ tty: true });
    const plain = ctx.events;
    ctx.logger.addSecret(SECRET);
    const live = await startLiveView(ctx, 'Updating prod from 1.2.0 to 1.3.1');
    expect(live.active).toBe(true);
    expect(ctx.events).toBe(live.reporter);
    ctx.events.emit(HOP);
    ctx.events.emit({
      type: 'resource',
      rack: 'prod',
      logicalId: 'LaunchTemplate',
      resourceType: 'AWS::EC2::LaunchTemplate',
      status: 'UPDATE_COMPLETE',
      at,
    });
    ctx.events.emit({ type: 'step', text: `leaked ${SECRET}?` });
    await live.stop({ ok: true, text: 'Now at 1.3.1.' });
    await live.stop({ ok: false, text: 'a second stop changes nothing' });
    expect(ctx.events).toBe(plain);
    const drawn = strip(stderr.text);
    expect(drawn).toContain('Updating prod from 1.2.0 to 1.3.1');
    expect(drawn).toContain('✓ hop 1/1 1.2.0 → 1.3.1');
    expect(drawn).toContain('LaunchTemplate');
    expect(drawn).toContain('✓ Now at 1.3.1.');
    expect(drawn).not.toContain('second stop');
    expect(stderr.text).not.toContain(SECRET);
    expect(drawn).toContain('leaked ****?');
    expect(stdout.text).toBe('');
  });

  it("fail() shows the error's message, redacted", async () => {
    const { ctx, stderr } = contextOn({ tty: true });
    ctx.logger.addSecret(SECRET);
    const live = await startLiveView(ctx, 'Changing the parameters of prod');
    ctx.events.emit(HOP);
    await live.fail(new Error(`boom with ${SECRET}`));
    const drawn = strip(stderr.text);
    expect(drawn).toContain('✗ Unexpected error: boom with ****');
    expect(drawn).toContain('✗ hop 1/1');
    expect(stderr.text).not.toContain(SECRET);
  });
});

describe('LiveOperation', () => {
  let terminal: Terminal | undefined;
  afterEach(() => terminal?.instance.unmount());

  it('ticks the elapsed time and names releases the catalog lacks', async () => {
    let now = 0;
    const store = createStore(operationReducer, startOperation('Rolling back prod', 0));
    terminal = renderTerminal(
      <LiveOperation store={store} now={() => now} tickMs={10} knownVersions={new Set(['1.1.0'])} />,
    );
    store.dispatch({
      type: 'event',
      event: { type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '0.9.9', to: '1.1.0' },
      now: 0,
    });
    now = 75_000;
    const frame = await frameWith(terminal.lastFrame, 'elapsed 1m 15s');
    expect(frame).toContain('▶ hop 1/1 0.9.9 (unknown release) → 1.1.0');
  });
});
