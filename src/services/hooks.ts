/**
 * How the CLI and the dashboard take part in an operation: the service plans, hands the plan to `confirm`
 * (which shows it and asks, or throws `declined`), and calls `onAttach` before following a stack operation
 * an earlier process started. Progress goes through the context's reporter (`ctx.events`). Both callers
 * are described in docs/architecture.md, "The operation lifecycle".
 */
import type { InFlight } from './inFlight.js';

export interface OperationHooks<Plan> {
  /** Shows the plan and asks; throws (a `declined` error) to stop before anything changes. */
  confirm(plan: Plan): Promise<void>;
  /** Called before following a stack operation an earlier rack process started (e.g. to open a live view). */
  onAttach?(inFlight: InFlight): Promise<void>;
}
