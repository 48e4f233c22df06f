/**
 * `rack params set`: a rack's parameters changed only through the parameter-safety layer (stackWrite).
 * Showing them is `paramsView.ts`, kept apart so that `rack params` loads as little as it can.
 */
import type { Context } from '../context.js';
import { parseParameterArgs, refuseOwnedKeys } from '../core/parameterChanges.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { beginRecord, withLock } from './operation.js';
import { applyWrite, discardWrite, nothingToChange, prepareWrite, type PreparedWrite } from './stackWrite.js';

export type { ParameterView } from './paramsView.js';

export interface ParamsChange {
  rack: Rack;
  prepared: PreparedWrite;
}

/** Parses and plans `rack params set K=V ...`, creating the change set to preview. Writes nothing yet. */
export async function prepareParamsChange(
  ctx: Context,
  rackName: string | undefined,
  args: string[],
): Promise<ParamsChange> {
  const changes = parseParameterArgs(args);
  refuseOwnedKeys(changes);
  const rack = await resolveRack(ctx.state, rackName);
  const prepared = await prepareWrite(ctx, {
    rack,
    target: { usePrevious: true },
    userChanges: changes,
    purpose: 'params-set',
  });
  return { rack, prepared };
}

/**
 * Executes the prepared change under the rack's lock and records it in the history: which keys changed,
 * never their values.
 */
export async function applyParamsChange(ctx: Context, change: ParamsChange) {
  if (nothingToChange(change.prepared)) return undefined;
  const { rack, prepared } = change;
  return withLock(ctx, rack, 'params set', async () => {
    const keys = prepared.plan.changes.filter((c) => c.kind !== 'keep').map((c) => c.key);
    const history = await beginRecord(ctx, rack, 'params set');
    const entry = (result: 'succeeded' | 'rolled-back' | 'failed', cause?: string) =>
      history.finish(result, { cause, note: `changed ${keys.join(', ')}` });
    try {
      const applied = await applyWrite(ctx, prepared, `Changing the parameters of ${rack.name}`);
      await entry('succeeded');
      return applied;
    } catch (error) {
      const status = (error as { details?: { status?: string } }).details?.status;
      await entry(status ? 'rolled-back' : 'failed', (error as Error).message).catch(() => undefined);
      throw error;
    }
  });
}

export async function discardParamsChange(change: ParamsChange): Promise<void> {
  await discardWrite(change.prepared);
}
