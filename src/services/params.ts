/**
 * `rack params set`: a rack's parameters changed only through the parameter-safety layer (stackWrite).
 * Showing them is `paramsView.ts`, kept apart so that `rack params` loads as little as it can.
 */
import type { Context } from '../context.js';
import { parseParameterArgs, refuseOwnedKeys } from '../core/parameterChanges.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { applyWrite, discardWrite, nothingToChange, prepareWrite, type PreparedWrite } from './stackWrite.js';

export type { ParameterView } from './paramsView.js';

export interface ParamsChange {
  rack: Rack;
  prepared: PreparedWrite;
}

/** Parses and plans `rack params set K=V ...`, creating the change set to preview. Writes nothing yet. */
export async function prepareParamsChange(ctx: Context, rackName: string | undefined, args: string[]): Promise<ParamsChange> {
  const changes = parseParameterArgs(args);
  refuseOwnedKeys(changes);
  const rack = await resolveRack(ctx.state, rackName);
  const prepared = await prepareWrite(ctx, { rack, target: { usePrevious: true }, userChanges: changes, purpose: 'params-set' });
  return { rack, prepared };
}

export async function applyParamsChange(ctx: Context, change: ParamsChange) {
  if (nothingToChange(change.prepared)) return undefined;
  return applyWrite(ctx, change.prepared, `Changing the parameters of ${change.rack.name}`);
}

export async function discardParamsChange(change: ParamsChange): Promise<void> {
  await discardWrite(change.prepared);
}
