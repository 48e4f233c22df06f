/**
 * A context for work shown in a live view: the same clients, state and redactor, but progress and log
 * lines go to the view's reporter instead of stderr (where they would tear the frame), and the work
 * can be stopped on its own signal.
 */
import type { Context } from '../context.js';
import type { Logger } from '../io/logger.js';
import type { Reporter } from '../io/events.js';

export function scopedContext(ctx: Context, scope: { events: Reporter; signal?: AbortSignal }): Context {
  const { events } = scope;
  const logger: Logger = {
    info: (message) => events.emit({ type: 'step', text: ctx.logger.redact(message) }),
    warn: (message) => events.emit({ type: 'warning', text: ctx.logger.redact(message) }),
    // There is no line to print debug output on while a view holds the terminal.
    debug: () => undefined,
    addSecret: (value) => ctx.logger.addSecret(value),
    redact: (text) => ctx.logger.redact(text),
    printable: (text) => ctx.logger.printable(text),
  };
  const signal = scope.signal ? anySignal([ctx.signal, scope.signal]) : ctx.signal;
  // The prototype keeps everything else, including getters and methods that read `this`.
  return Object.create(ctx, {
    events: { value: events, writable: true, enumerable: true },
    logger: { value: logger, enumerable: true },
    signal: { value: signal, enumerable: true },
  }) as Context;
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as unknown as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}
