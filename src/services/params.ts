/**
 * `rack params set`: a rack's parameters changed only through the parameter-safety layer (stackWrite), as
 * one operation (lock, journal, change set, confirmation, execution). Showing them is `paramsView.ts`, kept
 * apart so that `rack params` loads as little as it can.
 */
import { parameterValue } from '../aws/cloudformation.js';
import type { ResourceChange } from '../aws/changeSets.js';
import type { Context } from '../context.js';
import { refuseOwnedKeys, type ParameterChanges } from '../core/parameterChanges.js';
import type { PlannedChange } from '../core/parameterPlan.js';
import { resolveRack, type Rack } from '../state/registry.js';
import type { OperationHooks } from './hooks.js';
import { withOperation } from './operation.js';
import { discardWrite, executeWrite, failedWrite, nothingToChange, prepareWrite } from './stackWrite.js';

export type { ParameterView } from './paramsView.js';

export interface ParamsChangeInput {
  rack?: string;
  /** The changes, already parsed (`K=V` is the CLI's business). */
  changes: ParameterChanges;
  /** Show the plan and the change set, then delete it. */
  dryRun?: boolean;
}

/** What the change will do: NoEcho values masked. */
export interface ParamsPreview {
  rack: Rack;
  version?: string;
  parameters: PlannedChange[];
  resourceChanges: ResourceChange[];
  /** The change set's name; null when there is nothing to change. */
  changeSet: string | null;
}

export type ParamsOutcome =
  | { type: 'nothing-to-change' }
  | { type: 'dry-run' }
  | { type: 'updated'; status: string; durationMs: number };

/** Plans, shows the plan through `hooks.confirm`, executes and records — history names the keys, never values. */
export async function runParamsChange(
  ctx: Context,
  input: ParamsChangeInput,
  hooks: OperationHooks<ParamsPreview>,
): Promise<{ preview: ParamsPreview; outcome: ParamsOutcome }> {
  refuseOwnedKeys(input.changes);
  const rack = await resolveRack(ctx.state, input.rack);
  return withOperation(
    ctx,
    rack,
    'params set',
    async (op) => {
      const prepared = await prepareWrite(op, {
        rack: op.rack,
        target: { usePrevious: true },
        userChanges: input.changes,
        purpose: 'params-set',
      });
      const preview: ParamsPreview = {
        rack: op.rack,
        version: parameterValue(prepared.stack, 'Version'),
        parameters: prepared.plan.changes,
        resourceChanges: prepared.changeSet?.changes ?? [],
        changeSet: prepared.changeSet?.hasChanges ? prepared.changeSet.name : null,
      };
      if (nothingToChange(prepared)) {
        // A change set CloudFormation found empty was a write all the same: its entry says so.
        await op.journal?.finish('nothing-to-do');
        return { preview, outcome: { type: 'nothing-to-change' } };
      }
      if (input.dryRun) {
        await discardWrite(op, prepared);
        return { preview, outcome: { type: 'dry-run' } };
      }
      await hooks.confirm(preview);
      const keys = prepared.plan.changes.filter((c) => c.kind !== 'keep').map((c) => c.key);
      const applied = await executeWrite(op, prepared);
      const note = `changed ${keys.join(', ')}`;
      if (applied.outcome.type !== 'succeeded') {
        throw await failedWrite(op, applied.outcome, `Changing the parameters of ${op.rack.name}`, note);
      }
      await op.journal?.finish('succeeded', { note });
      return {
        preview,
        outcome: {
          type: 'updated',
          status: applied.outcome.status,
          durationMs: applied.finishedAt.getTime() - applied.startedAt.getTime(),
        },
      };
    },
    { onAttach: hooks.onAttach, dryRun: input.dryRun },
  );
}

/** The one sentence the CLI and the dashboard say when a parameter change ends. */
export function paramsSummary(result: { preview: ParamsPreview; outcome: ParamsOutcome }): string {
  const { preview, outcome } = result;
  switch (outcome.type) {
    case 'nothing-to-change':
      return `Nothing to change on ${preview.rack.name}.`;
    case 'dry-run':
      return `Dry run: change set ${preview.changeSet} was deleted; nothing was written.`;
    case 'updated':
      return `Updated the parameters of ${preview.rack.name}.`;
  }
}
