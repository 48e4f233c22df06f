/**
 * `rack rollback`: back to an earlier release in one hop, undoing the migrations crossed on the way up
 * (newest first). A NoEcho value that the older template needs and no one can recover is refused unless
 * given with --param. `--continue` asks CloudFormation to finish a rollback that failed.
 */
import { ContinueUpdateRollbackCommand } from '@aws-sdk/client-cloudformation';
import { noEchoKeysFromSummary, type ChangeSetResult } from '../aws/changeSets.js';
import { findStack, parameterValue } from '../aws/cloudformation.js';
import { toRackError } from '../aws/errors.js';
import type { Context } from '../context.js';
import { refused, updateFailed, usageError } from '../errors.js';
import { applyMigrations, migrationsCrossed, type MigrationEffect, type ParamState } from '../core/migrations.js';
import { refuseOwnedKeys } from '../core/parameterChanges.js';
import type { PlannedChange } from '../core/parameterPlan.js';
import { noEchoKeysOf, parseTemplate } from '../core/template.js';
import { rollbackTarget } from '../core/upgradePath.js';
import { readHistory, successfulVersions } from '../state/history.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { RACK_VERSION } from '../version.js';
import { healthTimeoutMs, waitForHealth } from './health.js';
import { beginRecord, clearInFlight, markInFlight, record, withLock } from './operation.js';
import { fetchReleaseTemplate, loadChannels } from './releases.js';
import {
  applyWrite,
  discardWrite,
  operationFailed,
  prepareWrite,
  readRackStack,
  type PreparedWrite,
} from './stackWrite.js';
import { followStack } from './stackWait.js';

export interface RollbackRequest {
  rack?: string;
  to?: string;
  params?: Record<string, string>;
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

export interface PreparedRollback {
  plan: RollbackPlan;
  write: PreparedWrite;
}

export async function prepareRollback(ctx: Context, request: RollbackRequest): Promise<PreparedRollback> {
  const params = request.params ?? {};
  refuseOwnedKeys(params);
  for (const value of Object.values(params)) ctx.logger.addSecret(value);
  const rack = await resolveRack(ctx.state, request.rack);
  const loaded = await loadChannels(ctx);
  const aws = ctx.aws(rack);
  const stack = await readRackStack(ctx, rack, aws);
  const current = parameterValue(stack, 'Version');
  if (!current) {
    throw refused(`Stack ${stack.name} has no Version parameter; rack cannot tell what to roll back from.`, {
      untouched: 'Nothing was written.',
    });
  }
  const history = await readHistory(ctx.state, rack.name);
  const { target, skipped } = rollbackTarget({
    catalog: loaded.catalog,
    successfulHops: successfulVersions(history),
    current,
    to: request.to,
    cliVersion: RACK_VERSION,
  });
  const fetched = await fetchReleaseTemplate(ctx, loaded, target);
  const template = parseTemplate(fetched.body, `release ${target.version}`);

  const summary = await noEchoKeysFromSummary(aws, { stackName: stack.name });
  const secretKeys = new Set([
    ...noEchoKeysOf([], summary),
    ...template.parameters.filter((p) => p.noEcho).map((p) => p.key),
  ]);
  for (const key of secretKeys) ctx.logger.addSecret(parameterValue(stack, key));
  const before: Record<string, ParamState> = {};
  for (const p of stack.parameters) {
    before[p.key] =
      secretKeys.has(p.key) || p.value === undefined ? { kind: 'previous' } : { kind: 'value', value: p.value };
  }
  const migrated = applyMigrations(before, migrationsCrossed(loaded.migrations, target.version, current), 'backward', {
    generateSecret: () => {
      throw new Error('a rollback never generates secrets');
    },
    supplied: params,
    noEcho: secretKeys,
  });
  const set: Record<string, string> = {};
  for (const [key, state] of Object.entries(migrated.params)) {
    const old = before[key];
    if (state.kind === 'value' && (old?.kind !== 'value' || old.value !== state.value)) set[key] = state.value;
  }
  const declared = new Set(template.parameters.map((p) => p.key));
  const userChanges = Object.fromEntries(Object.entries(params).filter(([key]) => declared.has(key) || !(key in set)));
  const write = await prepareWrite(ctx, {
    rack,
    target: { body: fetched.body, sha256: fetched.sha256, origin: `release ${target.version}` },
    userChanges: { ...userChanges, Version: target.version },
    migrationChanges: { set, remove: Object.keys(before).filter((key) => !(key in migrated.params)) },
    unrecoverable: migrated.problems
      .filter((p) => p.reason === 'unrecoverable')
      .map((p) => ({ key: p.key, reason: p.message })),
    purpose: `rollback-${target.version}`,
  });
  return {
    plan: {
      rack,
      from: current,
      target: target.version,
      notes: target.notes,
      skipped,
      migrations: migrated.effects,
      parameters: write.plan.changes,
      changeSet: write.changeSet,
    },
    write,
  };
}

export interface RollbackOutcome {
  rack: string;
  from: string;
  to: string;
  durationMs: number;
}

export async function runRollback(
  ctx: Context,
  request: RollbackRequest,
  confirm: (plan: RollbackPlan) => Promise<void>,
): Promise<{ plan: RollbackPlan; outcome: RollbackOutcome }> {
  const rack = await resolveRack(ctx.state, request.rack);
  return withLock(ctx, rack, 'rollback', async () => {
    const prepared = await prepareRollback(ctx, request);
    try {
      await confirm(prepared.plan);
    } catch (error) {
      await discardWrite(prepared.write).catch(() => undefined);
      throw error;
    }
    const { plan } = prepared;
    const history = await beginRecord(ctx, rack, 'rollback', { from: plan.from, to: plan.target });
    const started = history.startedAt;
    const id = history.id;
    const finish = (result: 'succeeded' | 'rolled-back' | 'rollback-failed' | 'failed' | 'unhealthy', cause?: string) =>
      history.finish(result, { cause, hops: [{ from: plan.from, to: plan.target, result, cause }] });
    ctx.events.emit({ type: 'hop-start', rack: rack.name, index: 1, total: 1, from: plan.from, to: plan.target });
    if (prepared.write.changeSet?.hasChanges) {
      try {
        await markInFlight(ctx, rack, {
          rack: rack.name,
          stack: rack.stack,
          operation: 'rollback',
          from: plan.from,
          to: plan.target,
          startedAt: started.toISOString(),
          historyId: id,
        });
        await applyWrite(ctx, prepared.write, `The rollback of ${rack.name} to ${plan.target}`);
        await clearInFlight(ctx, rack);
      } catch (error) {
        const status = (error as { details?: { status?: string } }).details?.status;
        if ((error as { exitCode?: number }).exitCode !== 130) await clearInFlight(ctx, rack).catch(() => undefined);
        await finish(
          status === 'UPDATE_ROLLBACK_FAILED' ? 'rollback-failed' : status ? 'rolled-back' : 'failed',
          (error as Error).message,
        );
        throw error;
      }
    }
    const health = await waitForHealth(ctx, rack.name, ctx.aws(rack), rack.stack, healthTimeoutMs(ctx.env));
    if (!health.healthy) {
      const cause = `unhealthy after the rollback to ${plan.target}: ${health.problems.join('; ')}`;
      await finish('unhealthy', cause);
      throw updateFailed(`The rack ${rack.name} is ${cause}.`, {
        next: `Look at its instances and services: \`rack instances --rack ${rack.name}\`.`,
      });
    }
    await finish('succeeded');
    ctx.events.emit({
      type: 'hop-done',
      rack: rack.name,
      index: 1,
      total: 1,
      to: plan.target,
      ms: ctx.clock.now().getTime() - started.getTime(),
    });
    return {
      plan,
      outcome: {
        rack: rack.name,
        from: plan.from,
        to: plan.target,
        durationMs: ctx.clock.now().getTime() - started.getTime(),
      },
    };
  });
}

export async function discardRollback(prepared: PreparedRollback): Promise<void> {
  await discardWrite(prepared.write);
}

/** `rack rollback --continue [--skip id ...]`: finishes a rollback that failed (UPDATE_ROLLBACK_FAILED). */
export async function continueRollback(
  ctx: Context,
  rackName: string | undefined,
  skip: string[],
): Promise<{ rack: string; status: string }> {
  const rack = await resolveRack(ctx.state, rackName);
  return withLock(ctx, rack, 'rollback --continue', async () => {
    const aws = ctx.aws(rack);
    const stack = await findStack(aws, rack.stack);
    if (!stack) throw usageError(`Stack ${rack.stack} does not exist in ${rack.region}.`);
    if (stack.status !== 'UPDATE_ROLLBACK_FAILED') {
      throw usageError(`Stack ${rack.stack} is ${stack.status}; --continue only applies to UPDATE_ROLLBACK_FAILED.`, {
        untouched: 'Nothing was written.',
        next: stack.status.endsWith('_IN_PROGRESS')
          ? `Follow it with \`rack status --rack ${rack.name}\`.`
          : 'Use `rack rollback` (without --continue) to go back to an earlier release.',
      });
    }
    const started = ctx.clock.now();
    const cfn = await aws.cloudformation();
    try {
      await cfn.send(
        new ContinueUpdateRollbackCommand({
          StackName: rack.stack,
          ResourcesToSkip: skip.length ? skip : undefined,
          RoleARN: rack.roleArn,
        }),
      );
    } catch (error) {
      throw toRackError(error, {
        doing: `continuing the rollback of ${rack.stack}`,
        untouched: 'The stack is still UPDATE_ROLLBACK_FAILED.',
      });
    }
    const result = await followStack(ctx, aws, {
      rack: rack.name,
      stackName: rack.stack,
      since: new Date(started.getTime() - 5 * 60_000),
    });
    const ok = result.status === 'UPDATE_ROLLBACK_COMPLETE';
    await record(ctx, {
      rack: rack.name,
      stack: rack.stack,
      operation: 'rollback --continue',
      startedAt: started.toISOString(),
      finishedAt: ctx.clock.now().toISOString(),
      durationMs: ctx.clock.now().getTime() - started.getTime(),
      from: parameterValue(stack, 'Version'),
      hops: [],
      result: ok ? 'succeeded' : 'rollback-failed',
      note: skip.length ? `skipped ${skip.join(', ')}` : undefined,
      cause: ok ? undefined : (result.firstFailure?.reason ?? result.status),
    });
    if (!ok) throw operationFailed(rack, result, `Continuing the rollback of ${rack.name}`);
    return { rack: rack.name, status: result.status };
  });
}
