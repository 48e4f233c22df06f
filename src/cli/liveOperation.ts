/**
 * The one way a command takes part in an operation: it prints the plan, asks (`ctx.confirm`), and then
 * shows the writes in a live view on a terminal (plain lines elsewhere, nothing extra with --json). A stack
 * operation an earlier process started, which the service follows before planning, gets a live view of its
 * own. Commands call `runLive` with the service's `run*` and never wire views by hand.
 */
import type { Context } from '../context.js';
import type { OperationHooks } from '../services/hooks.js';
import type { InFlight } from '../services/inFlight.js';
import type { LiveView } from '../ui/live.js';

export interface LiveOperation<Plan, Result> {
  /** The plan in words, printed before the question. */
  describe(plan: Plan): string;
  question(plan: Plan): string;
  /** The live view's title once confirmed. */
  title(plan: Plan): string;
  /** Asked before the question, e.g. the keyroll's preflight warnings; throws `declined` to stop. */
  acknowledge?(plan: Plan): Promise<void>;
  /** The last line of the live view. */
  done(result: Result): string;
}

export async function runLive<Plan, Result>(
  ctx: Context,
  run: (hooks: OperationHooks<Plan>) => Promise<Result>,
  view: LiveOperation<Plan, Result>,
): Promise<Result> {
  const { startLiveView } = await import('../ui/live.js');
  let live: LiveView | undefined;
  const hooks: OperationHooks<Plan> = {
    confirm: async (plan) => {
      // A prompt reads the terminal line by line; a view on it would redraw over the answer.
      await live?.stop({ ok: true, text: 'Done.' });
      live = undefined;
      ctx.logger.info(view.describe(plan));
      await view.acknowledge?.(plan);
      await ctx.confirm(view.question(plan));
      live = await startLiveView(ctx, view.title(plan));
    },
    onAttach: async (inFlight: InFlight) => {
      live ??= await startLiveView(
        ctx,
        `Following the ${inFlight.operation} of ${inFlight.rack}${inFlight.to ? ` to ${inFlight.to}` : ''}, started ${inFlight.startedAt}`,
      );
    },
  };
  try {
    const result = await run(hooks);
    await live?.stop({ ok: true, text: view.done(result) });
    return result;
  } catch (error) {
    await live?.fail(error);
    throw error;
  }
}
