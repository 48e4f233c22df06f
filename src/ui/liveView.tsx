/**
 * The ink side of live.ts: an OperationProgress frame on stderr, fed by a reporter, ticking the elapsed
 * time, ending with the outcome. Loaded only by commands that run on a terminal; it knows nothing of
 * live.ts, which loads it.
 */
import { render, useStdout } from 'ink';
import { useEffect, useSyncExternalStore } from 'react';
import type { Context } from '../context.js';
import { redactEvent, type Reporter } from '../io/events.js';
import {
  operationReducer,
  startOperation,
  type OperationAction,
  type OperationState,
  type Outcome,
} from './model/operation.js';
import { createStore, type Store } from './store.js';
import { OperationProgress } from './views/OperationProgress.js';

export type OperationStore = Store<OperationState, OperationAction>;

export function LiveOperation({
  store,
  now,
  tickMs = 1000,
  knownVersions,
}: {
  store: OperationStore;
  now: () => number;
  tickMs?: number;
  knownVersions?: ReadonlySet<string>;
}) {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const { stdout } = useStdout();
  // biome-ignore lint/correctness/useExhaustiveDependencies: one clock for the view's life
  useEffect(() => {
    const timer = setInterval(() => store.dispatch({ type: 'tick', now: now() }), tickMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }, []);
  const describe = (version: string) =>
    knownVersions && !knownVersions.has(version) ? `${version} (unknown release)` : version;
  // One line short of the terminal: a frame as tall as the terminal is redrawn by clearing it.
  return (
    <OperationProgress
      state={state}
      height={(stdout.rows || 24) - 1}
      width={stdout.columns || 80}
      describe={describe}
    />
  );
}

/**
 * A reporter that feeds the store; events carry no secrets, texts pass the redactor all the same. Text from
 * outside is sanitized by the view that shows it (OperationProgress), so the store keeps it as it came.
 */
function storeReporter(
  store: OperationStore,
  now: () => number,
  redact: (text: string) => string = (t) => t,
): Reporter {
  return {
    emit: (event) => store.dispatch({ type: 'event', event: redactEvent(event, redact), now: now() }),
  };
}

/** The view on the terminal, feeding on `reporter` (ctx.events while it is up) until `stop`. */
export interface MountedView {
  readonly reporter: Reporter;
  /** Shows the outcome in the last frame, gives the terminal back and restores ctx.events. Idempotent. */
  stop(outcome: Outcome): Promise<void>;
}

export function mountLiveView(ctx: Context, title: string, knownVersions?: Iterable<string>): MountedView {
  const now = () => ctx.clock.now().getTime();
  const store = createStore(operationReducer, startOperation(title, now()));
  const reporter = storeReporter(store, now, ctx.logger.redact);
  const terminal = ctx.io.stderr as NodeJS.WriteStream;
  const known = knownVersions ? new Set(knownVersions) : undefined;
  const instance = render(<LiveOperation store={store} now={now} knownVersions={known} />, {
    stdout: terminal,
    stderr: terminal,
    // The view reads no keys: Ctrl-C stays the terminal's interrupt.
    stdin: ctx.io.stdin as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const previous = ctx.events;
  ctx.events = reporter;
  let stopped: Promise<void> | undefined;
  const stop = (outcome: Outcome) => {
    stopped ??= (async () => {
      ctx.events = previous;
      store.dispatch({ type: 'finish', outcome: { ...outcome, text: ctx.logger.redact(outcome.text) }, now: now() });
      // React commits the outcome on its next turn; unmounting before it would drop the last frame.
      await new Promise((resolve) => setImmediate(resolve));
      instance.unmount();
      await instance.waitUntilExit();
    })();
    return stopped;
  };
  return { reporter, stop };
}
