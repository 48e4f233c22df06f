/**
 * Live operation views for commands. On a terminal (and without --json) a command swaps its reporter
 * for one that feeds an ink view while the write runs; elsewhere this hands back the context's own
 * reporter (plain lines, or nothing with --json) and loads no UI code.
 *
 *   const { startLiveView } = await import('../ui/live.js');
 *   const live = await startLiveView(ctx, `Rolling back ${rack}`);   // ctx.events now feeds the view
 *   try {
 *     const outcome = await runRollback(ctx, ...);
 *     await live.stop({ ok: true, text: `Rolled back to ${outcome.to}.` });
 *   } catch (error) {
 *     await live.fail(error);                                          // ctx.events restored
 *     throw error;
 *   }
 *
 * Start it after any prompt (a confirmation reads the terminal line by line, the view redraws it), and
 * stop it before writing the result: `stop` leaves the final frame on the terminal and returns.
 */
import type { Context } from '../context.js';
import { isRackError } from '../errors.js';
import type { Reporter } from '../io/events.js';
import type { Outcome } from './model/operation.js';

export interface LiveView {
  /** True when a view is on the terminal; false when the plain reporter is in use. */
  readonly active: boolean;
  /** What ctx.events is while the view is up. */
  readonly reporter: Reporter;
  /** Shows the outcome in the last frame, gives the terminal back and restores ctx.events. Idempotent. */
  stop(outcome: Outcome): Promise<void>;
  /** stop() with the error's message as a failed outcome (the command still reports the error itself). */
  fail(error: unknown): Promise<void>;
}

export interface LiveViewOptions {
  /** Versions the catalog has: any other shows as "unknown release". */
  knownVersions?: Iterable<string>;
}

export async function startLiveView(ctx: Context, title: string, options: LiveViewOptions = {}): Promise<LiveView> {
  if (!ctx.interactive || ctx.options.json) return plainView(ctx);
  const { mountLiveView } = await import('./liveView.js');
  const view = mountLiveView(ctx, title, options.knownVersions);
  return {
    active: true,
    reporter: view.reporter,
    stop: view.stop,
    fail: (error) => view.stop(failureOutcome(ctx, error)),
  };
}

function plainView(ctx: Context): LiveView {
  return { active: false, reporter: ctx.events, stop: async () => undefined, fail: async () => undefined };
}

/** The one line a failed operation's last frame shows; the command prints the full error after it. */
function failureOutcome(ctx: Context, error: unknown): Outcome {
  const message = isRackError(error)
    ? error.message
    : `Unexpected error: ${(error as Error)?.message ?? String(error)}`;
  return { ok: false, text: ctx.logger.redact(message) };
}
