/**
 * `rack rollback`: back to an earlier release in one hop, undoing the migrations crossed on the way up
 * (newest first). A NoEcho value that the older template needs and no one can recover is refused unless
 * given with --param. `--continue` asks CloudFormation to finish a rollback that failed.
 */
import { noEchoKeysFromSummary, type ChangeSetResult } from '../aws/changeSets.js';
import { continueUpdateRollback, findStack, parameterValue } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { refused, usageError } from '../errors.js';
import { migrateStack } from '../core/hopPlan.js';
import { migrationsCrossed, type MigrationEffect } from '../core/migrations.js';
import type { PlannedChange } from '../core/parameterPlan.js';
import { finalOutcome, outcomeCause, stackPhase } from '../core/stackStatus.js';
import { noEchoKeysOf, parseTemplate } from '../core/template.js';
import { rollbackTarget } from '../core/upgradePath.js';
import { readHistory, successfulVersions, type HistoryEntry } from '../state/history.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { RACK_VERSION } from '../version.js';
import { requireHealthy } from './health.js';
import type { OperationHooks } from './hooks.js';
import { withOperation, type Operation } from './operation.js';
import { fetchReleaseTemplate, loadChannels } from './releases.js';
import { takeGivenValues } from './secrets.js';
import {
  discardWrite,
  executeWrite,
  failedWrite,
  prepareWrite,
  readRackStack,
  requireUpdatable,
  writeFailed,
  type WriteRequest,
} from './stackWrite.js';
import { followStarted } from './stackWait.js';

export interface RollbackRequest {
  rack?: string;
  to?: string;
  params?: Record<string, string>;
  /** Show the plan and the change set, then delete it. */
  dryRun?: boolean;
}

export interface RollbackPlan {
  rack: Rack;
  from: string;
  target: string;
  notes: string;
  skipped: { version: string; why: string }[];
  migrations: MigrationEffect[];
  parameters: PlannedChange[];
  changeSet?: ChangeSetResult;
}

interface PlannedRollback {
  plan: RollbackPlan;
  write: WriteRequest;
}

/** The target, the migrations undone and the parameters to send. Writes nothing. */
async function planRollback(op: Operation, request: RollbackRequest): Promise<PlannedRollback | 'already-there'> {
  const { ctx, rack } = op;
  const params = request.params ?? {};
  const loaded = await loadChannels(ctx, { forWrite: true });
  const aws = ctx.aws(rack);
  const stack = await readRackStack(ctx, rack, aws);
  requireUpdatable(rack, stack);
  const current = parameterValue(stack, 'Version');
  if (!current) {
    throw refused(`Stack ${stack.name} has no Version parameter; rack cannot tell what to roll back from.`, {
      untouched: 'Nothing was written.',
    });
  }
  const history = await readHistory(ctx.state, rack.name);
  const chosen = rollbackTarget({
    catalog: loaded.catalog,
    successfulHops: successfulVersions(history),
    current,
    to: request.to,
    cliVersion: RACK_VERSION,
  });
  if (chosen === 'already-there') return chosen;
  const { target, skipped } = chosen;
  const fetched = await fetchReleaseTemplate(ctx, loaded, target, rack);
  const template = parseTemplate(fetched.body, `release ${target.version}`);

  const summary = await noEchoKeysFromSummary(aws, { stackName: stack.name });
  const secretKeys = new Set([
    ...noEchoKeysOf([], summary),
    ...template.parameters.filter((p) => p.noEcho).map((p) => p.key),
  ]);
  for (const key of secretKeys) ctx.logger.addSecret(parameterValue(stack, key));
  const migrated = migrateStack(
    stack.parameters,
    secretKeys,
    migrationsCrossed(loaded.migrations, target.version, current),
    'backward',
    {
      generateSecret: () => {
        throw new Error('a rollback never generates secrets');
      },
      supplied: params,
      noEcho: secretKeys,
    },
  );
  const set = migrated.changes.set ?? {};
  const declared = new Set(template.parameters.map((p) => p.key));
  const userChanges = Object.fromEntries(Object.entries(params).filter(([key]) => declared.has(key) || !(key in set)));
  return {
    plan: {
      rack,
      from: current,
      target: target.version,
      notes: target.notes,
      skipped,
      migrations: migrated.effects,
      parameters: [],
    },
    write: {
      rack,
      target: { body: fetched.body, sha256: fetched.sha256, origin: `release ${target.version}` },
      userChanges: { ...userChanges, Version: target.version },
      migrationChanges: migrated.changes,
      unrecoverable: migrated.unrecoverable,
      purpose: `rollback-${target.version}`,
      // Going back is what an operator does while an alarm fires: a trigger in ALARM would undo it.
      rollbackTriggers: false,
      current: { stack, summary },
    },
  };
}

export interface RollbackOutcome {
  rack: string;
  from: string;
  to: string;
  durationMs: number;
}

export type RollbackResult =
  | { type: 'dry-run'; plan: RollbackPlan }
  | { type: 'rolled-back'; plan: RollbackPlan; outcome: RollbackOutcome }
  /** The same command again after a process that ran this rollback was killed: it had finished. */
  | { type: 'recovered'; entry: HistoryEntry }
  /** `--to` names the release the rack runs: nothing to do (so that the same command again is safe). */
  | { type: 'already-there'; rack: string; version: string };

/** Plans, confirms through `hooks.confirm`, executes and health-checks the rollback, as one operation. */
export async function runRollback(
  ctx: Context,
  request: RollbackRequest,
  hooks: OperationHooks<RollbackPlan>,
): Promise<RollbackResult> {
  takeGivenValues(ctx, request.params);
  const rack = await resolveRack(ctx.state, request.rack);
  return withOperation(
    ctx,
    rack,
    'rollback',
    async (op) => {
      // Rolling back is not idempotent: a rollback a killed process finished is reported, not repeated.
      const done = op.recovery.recovered.find(
        (e) => e.operation === 'rollback' && e.result === 'succeeded' && (!request.to || e.to === request.to),
      );
      if (done && !request.dryRun) return { type: 'recovered', entry: done };
      const planned = await planRollback(op, request);
      if (planned === 'already-there') return { type: 'already-there', rack: op.rack.name, version: request.to! };
      const { plan } = planned;
      if (!request.dryRun) await op.begin({ from: plan.from, to: plan.target });
      const write = await prepareWrite(op, planned.write);
      plan.parameters = write.plan.changes;
      plan.changeSet = write.changeSet;
      if (request.dryRun) {
        await discardWrite(op, write);
        return { type: 'dry-run', plan };
      }
      await hooks.confirm(plan);
      const journal = op.journal!;
      ctx.events.emit({ type: 'hop-start', rack: op.rack.name, index: 1, total: 1, from: plan.from, to: plan.target });
      if (write.changeSet?.hasChanges) {
        const applied = await executeWrite(op, write, { from: plan.from, to: plan.target });
        if (applied.outcome.type !== 'succeeded') {
          throw await failedWrite(op, applied.outcome, `The rollback of ${op.rack.name} to ${plan.target}`);
        }
      } else {
        await journal.step('final-status', 'no changes', { from: plan.from, to: plan.target, result: 'succeeded' });
      }
      await requireHealthy(op, `the rollback to ${plan.target}`, {
        next: `Look at its instances and services: \`rack instances --rack ${op.rack.name}\`.`,
      });
      await journal.finish('succeeded');
      const durationMs = ctx.clock.now().getTime() - journal.startedAt.getTime();
      ctx.events.emit({ type: 'hop-done', rack: op.rack.name, index: 1, total: 1, to: plan.target, ms: durationMs });
      return {
        type: 'rolled-back',
        plan,
        outcome: { rack: op.rack.name, from: plan.from, to: plan.target, durationMs },
      };
    },
    { onAttach: hooks.onAttach, dryRun: request.dryRun },
  );
}

/** The one sentence the CLI and the dashboard say when a rollback ends. */
export function rollbackSummary(result: RollbackResult): string {
  if (result.type === 'dry-run') return 'Dry run: nothing was changed.';
  if (result.type === 'already-there')
    return `Rack ${result.rack} already runs ${result.version}; nothing to roll back.`;
  if (result.type === 'recovered') {
    return `The rollback of ${result.entry.rack} to ${result.entry.to ?? '?'} that an earlier rack process started had finished; the rack runs ${result.entry.to ?? '?'}.`;
  }
  const { outcome } = result;
  return `Rack ${outcome.rack} rolled back from ${outcome.from} to ${outcome.to} in ${(outcome.durationMs / 1000).toFixed(1)}s.`;
}

/** `rack rollback --continue [--skip id ...]`: finishes a rollback that failed (UPDATE_ROLLBACK_FAILED). */
export async function continueRollback(
  ctx: Context,
  rackName: string | undefined,
  skip: string[],
  hooks: OperationHooks<{ rack: Rack; skip: string[] }>,
): Promise<{ rack: string; status: string }> {
  const rack = await resolveRack(ctx.state, rackName);
  return withOperation(ctx, rack, 'rollback --continue', async (op) => {
    const aws = ctx.aws(op.rack);
    const stack = await findStack(aws, op.rack.stackId ?? op.rack.stack);
    if (!stack) throw usageError(`Stack ${op.rack.stack} does not exist in ${op.rack.region}.`);
    if (stackPhase(stack.status) !== 'rollback-failed') {
      throw usageError(
        `Stack ${op.rack.stack} is ${stack.status}; --continue only applies to UPDATE_ROLLBACK_FAILED.`,
        {
          untouched: 'Nothing was written.',
          next:
            stackPhase(stack.status) === 'in-progress'
              ? `Follow it with \`rack status --rack ${op.rack.name}\`.`
              : 'Use `rack rollback` (without --continue) to go back to an earlier release.',
        },
      );
    }
    await hooks.confirm({ rack: op.rack, skip });
    const journal = await op.begin({ from: parameterValue(stack, 'Version') });
    op.beforeWrite(`continuing the rollback of ${stack.name}`);
    const started = ctx.clock.now();
    await op.startInFlight({ operation: 'rollback --continue' }, () =>
      continueUpdateRollback(aws, { stackName: stack.id, skip, roleArn: op.rack.roleArn }),
    );
    await journal.step(
      'executed',
      skip.length ? `ContinueUpdateRollback skipping ${skip.join(', ')}` : 'ContinueUpdateRollback',
    );
    const result = await followStarted(ctx, aws, journal, {
      rack: op.rack.name,
      stackName: stack.id,
      startedAt: started,
    });
    await journal.step('final-status', result.status);
    await op.clearInFlight();
    const outcome = finalOutcome('update', result);
    const note = skip.length ? `skipped ${skip.join(', ')}` : undefined;
    if (outcome.type !== 'rolled-back') {
      await journal.finish('rollback-failed', { cause: outcomeCause(outcome), ...(note ? { note } : {}) });
      throw writeFailed(op.rack, outcome, `Continuing the rollback of ${op.rack.name}`);
    }
    await journal.finish('succeeded', note ? { note } : {});
    return { rack: op.rack.name, status: result.status };
  });
}
