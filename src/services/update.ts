/**
 * `rack update`: from the rack's version along the upgrade path to its target, one CloudFormation
 * update per hop. Everything is planned first — digests verified, migrations applied, every hop's
 * parameters checked by the safety layer — so a refusal comes before any write. Each hop is then
 * executed, followed and health-checked before the next; the first failure stops the path.
 */
import { noEchoKeysFromSummary, type ChangeSetResult } from '../aws/changeSets.js';
import { parameterValue, type StackParameter } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { isRackError, refused, updateFailed } from '../errors.js';
import type { Release } from '../core/channels/catalog.js';
import { refuseOwnedKeys } from '../core/parameterChanges.js';
import {
  planParameters,
  type MigrationChanges,
  type PlannedChange,
  type UnrecoverableParameter,
} from '../core/parameterPlan.js';
import { applyMigrations, migrationsCrossed, type MigrationEffect, type ParamState } from '../core/migrations.js';
import { requireRackContract } from '../core/rackContract.js';
import { generateSecret } from './secrets.js';
import { noEchoKeysOf, parseTemplate, type RackTemplate } from '../core/template.js';
import { upgradePath, yankedWarning } from '../core/upgradePath.js';
import { RACK_VERSION } from '../version.js';
import type { HistoryHop } from '../state/history.js';
import { resolveRack, updateRack, type Rack } from '../state/registry.js';
import { healthTimeoutMs, waitForHealth } from './health.js';
import { attachIfBusy } from './status.js';
import { beginRecord, clearInFlight, markInFlight, withLock, type InFlight } from './operation.js';
import { fetchReleaseTemplate, findChannel, loadChannels, type LoadedChannels } from './releases.js';
import { applyWrite, discardWrite, prepareWrite, readRackStack, type PreparedWrite } from './stackWrite.js';

export interface UpdateRequest {
  rack?: string;
  channel?: string;
  version?: string;
  pin?: boolean;
  params?: Record<string, string>;
  /** The channels source, when the caller has read it already (rack sync reads it once for every rack). */
  channels?: LoadedChannels;
}

/** One hop as planned. Holds no secret values in its visible fields. */
export interface HopPlan {
  from: string;
  to: string;
  notes: string;
  barrier: boolean;
  migrations: MigrationEffect[];
  /** The parameter plan as simulated from the stack before the path started (NoEcho masked). */
  parameters: PlannedChange[];
}

interface HopInternals {
  release: Release;
  body: string;
  template: RackTemplate;
  userChanges: Record<string, string>;
  migrationChanges: MigrationChanges;
  unrecoverable: UnrecoverableParameter[];
}

export interface UpdatePlan {
  rack: Rack;
  channel: string;
  from: string;
  target: string;
  hops: HopPlan[];
  warnings: string[];
  /** The first hop's change set, made against the stack as it is now. */
  firstChangeSet?: ChangeSetResult;
}

export interface PreparedUpdate {
  plan: UpdatePlan;
  internals: HopInternals[];
  first?: PreparedWrite;
  loaded: LoadedChannels;
  request: UpdateRequest;
}

/** Plans the whole path and prepares the first hop's change set. Writes nothing to the stack. */
export async function prepareUpdate(ctx: Context, request: UpdateRequest): Promise<PreparedUpdate> {
  const params = request.params ?? {};
  refuseOwnedKeys(params);
  const rack = await resolveRack(ctx.state, request.rack);
  const loaded = request.channels ?? (await loadChannels(ctx));
  const channelName = request.channel ?? rack.channel;
  const channel = findChannel(loaded, channelName);
  const aws = ctx.aws(rack);
  const stack = await readRackStack(ctx, rack, aws);
  const from = parameterValue(stack, 'Version');
  if (!from) {
    throw refused(`Stack ${stack.name} has no Version parameter, so it is not a rack template rack can update.`, {
      untouched: 'Nothing was written.',
      next: 'Check that the rack was installed from a rack release.',
    });
  }
  const path = upgradePath({
    catalog: loaded.catalog,
    // A named version is looked up in the catalog unless a channel was named too.
    channel: request.version && !request.channel ? undefined : channel,
    from,
    to: request.version,
    cliVersion: RACK_VERSION,
  });
  const warnings: string[] = [];
  const yanked = yankedWarning(loaded.catalog, from);
  if (yanked) warnings.push(yanked);
  if (!loaded.catalog.get(from))
    warnings.push(`${from} is an unknown release: the catalog of ${loaded.source.description} does not list it`);

  const currentSummary = await noEchoKeysFromSummary(aws, { stackName: stack.name });
  for (const key of noEchoKeysOf([], currentSummary)) ctx.logger.addSecret(parameterValue(stack, key));
  for (const value of Object.values(params)) ctx.logger.addSecret(value);

  const hops: HopPlan[] = [];
  const internals: HopInternals[] = [];
  let simulated: StackParameter[] = stack.parameters;
  let secretKeys = new Set(noEchoKeysOf([], currentSummary));
  let version = from;
  const pendingUser = new Map(Object.entries(params));
  const problems: string[] = [];

  for (const [index, release] of path.hops.entries()) {
    const fetched = await fetchReleaseTemplate(ctx, loaded, release);
    const template = parseTemplate(fetched.body, `release ${release.version}`);
    requireRackContract(template, release.version, 'Nothing was written to the stack.');
    const declared = new Set(template.parameters.map((p) => p.key));
    for (const d of template.parameters) if (d.noEcho) secretKeys.add(d.key);

    const migration = migrateParameters(simulated, secretKeys, loaded, version, release.version, params);
    const last = index === path.hops.length - 1;
    const userChanges: Record<string, string> = {};
    for (const [key, value] of pendingUser) {
      // A --param applies at the first hop whose template declares it; what no hop declares is
      // handed to the last hop, where the planner names it unknown (with a suggestion).
      if (declared.has(key) || last) {
        userChanges[key] = value;
        pendingUser.delete(key);
      }
    }
    const planned = planParameters({
      declarations: template.parameters,
      stack: simulated,
      noEchoKeys: [...secretKeys],
      userChanges: { ...userChanges, Version: release.version },
      migrationChanges: migration.changes,
      unrecoverable: migration.unrecoverable,
    });
    if (!planned.ok) {
      problems.push(...planned.problems.map((p) => `${release.version}: ${p.message}`));
    } else {
      simulated = simulateStack(template, simulated, planned.parameters);
    }
    // A hop that skips releases may cross a migration for a parameter the stack never had (1.0.0 → 1.2.0
    // renames LogRetention, which 1.1.0 introduced). The planner still checks the result in full, so
    // these are shown, not refused.
    warnings.push(...migration.mismatches.map((m) => `${release.version}: ${m}; the template's default applies`));
    hops.push({
      from: version,
      to: release.version,
      notes: release.notes,
      barrier: release.barrier,
      migrations: migration.effects,
      parameters: planned.ok ? planned.changes : [],
    });
    internals.push({
      release,
      body: fetched.body,
      template,
      userChanges,
      migrationChanges: migration.changes,
      unrecoverable: migration.unrecoverable,
    });
    version = release.version;
  }
  if (problems.length > 0) {
    throw refused(
      `The update of ${rack.name} to ${path.target.version} was refused (${problems.length} problem${problems.length === 1 ? '' : 's'}).`,
      {
        problems,
        untouched: 'Nothing was written to the stack.',
        next: 'Give missing values with --param KEY=VALUE, or correct the parameters named above.',
      },
    );
  }

  const plan: UpdatePlan = { rack, channel: channelName, from, target: path.target.version, hops, warnings };
  const prepared: PreparedUpdate = { plan, internals, loaded, request };
  if (internals.length > 0) {
    prepared.first = await prepareHop(ctx, rack, internals[0]!);
    plan.firstChangeSet = prepared.first.changeSet;
  }
  return prepared;
}

function migrateParameters(
  stack: readonly StackParameter[],
  secretKeys: ReadonlySet<string>,
  loaded: LoadedChannels,
  from: string,
  to: string,
  supplied: Record<string, string>,
) {
  const before: Record<string, ParamState> = {};
  for (const p of stack) {
    before[p.key] =
      secretKeys.has(p.key) || p.value === undefined ? { kind: 'previous' } : { kind: 'value', value: p.value };
  }
  const crossed = migrationsCrossed(loaded.migrations, from, to);
  const result = applyMigrations(before, crossed, 'forward', { generateSecret, supplied, noEcho: secretKeys });
  const set: Record<string, string> = {};
  for (const [key, state] of Object.entries(result.params)) {
    const old = before[key];
    if (state.kind === 'value' && (old?.kind !== 'value' || old.value !== state.value)) set[key] = state.value;
  }
  const remove = Object.keys(before).filter((key) => !(key in result.params));
  return {
    changes: { set, remove } satisfies MigrationChanges,
    effects: result.effects,
    unrecoverable: result.problems
      .filter((p) => p.reason === 'unrecoverable')
      .map((p) => ({ key: p.key, reason: p.message })),
    mismatches: result.problems.filter((p) => p.reason === 'mismatch').map((p) => p.message),
  };
}

/** The stack's parameters as they will be after a hop: values for what was set, masks for secrets. */
function simulateStack(
  template: RackTemplate,
  before: readonly StackParameter[],
  parameters: ReturnType<typeof planParameters> extends infer P
    ? P extends { ok: true; parameters: infer Q }
      ? Q
      : never
    : never,
): StackParameter[] {
  const previous = new Map(before.map((p) => [p.key, p.value]));
  const sent = new Map(parameters.map((p) => [p.ParameterKey, p]));
  return template.parameters.map((d) => {
    const p = sent.get(d.key);
    if (!p) return { key: d.key, value: d.default };
    if ('UsePreviousValue' in p) return { key: d.key, value: previous.get(d.key) };
    return { key: d.key, value: d.noEcho ? '****' : p.ParameterValue };
  });
}

function prepareHop(ctx: Context, rack: Rack, hop: HopInternals): Promise<PreparedWrite> {
  return prepareWrite(ctx, {
    rack,
    target: { body: hop.body, sha256: hop.release.sha256, origin: `release ${hop.release.version}` },
    userChanges: { ...hop.userChanges, Version: hop.release.version },
    migrationChanges: hop.migrationChanges,
    unrecoverable: hop.unrecoverable,
    purpose: `update-${hop.release.version}`,
  });
}

export async function discardUpdate(prepared: PreparedUpdate): Promise<void> {
  if (prepared.first) await discardWrite(prepared.first);
}

export interface UpdateOutcome {
  rack: string;
  from: string;
  to: string;
  reached: string;
  hops: HistoryHop[];
  durationMs: number;
}

/** Executes the prepared path, hop by hop, recording history. Call under the rack's lock. */
export async function executeUpdate(ctx: Context, prepared: PreparedUpdate): Promise<UpdateOutcome> {
  const { plan, internals } = prepared;
  const { rack } = plan;
  const aws = ctx.aws(rack);
  const history = await beginRecord(ctx, rack, 'update', { from: plan.from, to: plan.target, channel: plan.channel });
  const started = history.startedAt;
  const historyId = history.id;
  const hops: HistoryHop[] = [];
  let reached = plan.from;
  const finish = async (
    result: 'succeeded' | 'failed' | 'rolled-back' | 'rollback-failed' | 'unhealthy' | 'interrupted',
    cause?: string,
  ) => {
    await history.finish(result, { hops, cause });
  };

  for (const [index, hop] of internals.entries()) {
    const hopStarted = ctx.clock.now();
    const what = `The update of ${rack.name} to ${hop.release.version}`;
    ctx.events.emit({
      type: 'hop-start',
      rack: rack.name,
      index: index + 1,
      total: internals.length,
      from: reached,
      to: hop.release.version,
    });
    try {
      const write = index === 0 && prepared.first ? prepared.first : await prepareHop(ctx, rack, hop);
      if (!write.changeSet?.hasChanges) {
        hops.push({ from: reached, to: hop.release.version, result: 'succeeded', durationMs: 0 });
        reached = hop.release.version;
        continue;
      }
      await markInFlight(ctx, rack, {
        rack: rack.name,
        stack: rack.stack,
        operation: 'update',
        from: reached,
        to: hop.release.version,
        channel: plan.channel,
        startedAt: hopStarted.toISOString(),
        historyId,
      });
      await applyWrite(ctx, write, what);
      await clearInFlight(ctx, rack);
    } catch (error) {
      const status = isRackError(error) ? (error.details?.status as string | undefined) : undefined;
      const interrupted = isRackError(error) && error.exitCode === 130;
      if (!interrupted) await clearInFlight(ctx, rack).catch(() => undefined);
      const result = interrupted
        ? 'not-started'
        : status === 'UPDATE_ROLLBACK_FAILED'
          ? 'rollback-failed'
          : status
            ? 'rolled-back'
            : 'failed';
      const cause = (error as Error).message;
      hops.push({
        from: reached,
        to: hop.release.version,
        result: interrupted ? 'failed' : result,
        durationMs: ctx.clock.now().getTime() - hopStarted.getTime(),
        cause,
      });
      await finish(
        interrupted
          ? 'interrupted'
          : result === 'rollback-failed'
            ? 'rollback-failed'
            : result === 'rolled-back'
              ? 'rolled-back'
              : 'failed',
        cause,
      );
      if (isRackError(error) && error.kind === 'failed') {
        throw updateFailed(`${error.message} The rack runs ${reached}.`, {
          untouched: error.untouched,
          next: error.next,
          details: error.details,
        });
      }
      throw error;
    }

    const health = await waitForHealth(ctx, rack.name, aws, rack.stack, healthTimeoutMs(ctx.env));
    const hopMs = ctx.clock.now().getTime() - hopStarted.getTime();
    if (!health.healthy) {
      const cause = `unhealthy after the update to ${hop.release.version}: ${health.problems.join('; ')}`;
      hops.push({ from: reached, to: hop.release.version, result: 'unhealthy', durationMs: hopMs, cause });
      await finish('unhealthy', cause);
      throw updateFailed(`The rack ${rack.name} is ${cause}.`, {
        untouched: `The stack runs ${hop.release.version}; the rest of the path was not started.`,
        next: `Look at the instances and services (\`rack instances --rack ${rack.name}\`), or go back with \`rack rollback --rack ${rack.name}\`.`,
        details: { health },
      });
    }
    hops.push({ from: reached, to: hop.release.version, result: 'succeeded', durationMs: hopMs });
    reached = hop.release.version;
    ctx.events.emit({
      type: 'hop-done',
      rack: rack.name,
      index: index + 1,
      total: internals.length,
      to: reached,
      ms: hopMs,
    });
  }

  if (prepared.request.pin && prepared.request.channel && prepared.request.channel !== rack.channel) {
    await updateRack(ctx.state, rack.name, (r) => ({ ...r, channel: prepared.request.channel! }));
  }
  await finish('succeeded');
  return {
    rack: rack.name,
    from: plan.from,
    to: plan.target,
    reached,
    hops,
    durationMs: ctx.clock.now().getTime() - started.getTime(),
  };
}

/** The whole update under the rack's lock: plan, confirm, execute. `confirm` shows the plan and asks. */
export async function runUpdate(
  ctx: Context,
  request: UpdateRequest,
  confirm: (plan: UpdatePlan) => Promise<void>,
  /** Called before following an operation rack started earlier (e.g. to open a live view for it). */
  beforeAttaching?: (inFlight: InFlight) => Promise<void>,
): Promise<{ plan?: UpdatePlan; outcome?: UpdateOutcome; attached?: { status: string } }> {
  const rack = await resolveRack(ctx.state, request.rack);
  return withLock(ctx, rack, 'update', async () => {
    // An update rack started and stopped following (Ctrl-C) is followed to its end, not started again.
    const attached = await attachIfBusy(ctx, rack, { lockHeldByUs: true, beforeFollowing: beforeAttaching });
    if (attached) return { attached };
    const prepared = await prepareUpdate(ctx, request);
    if (prepared.plan.hops.length === 0) {
      if (request.pin && request.channel && request.channel !== rack.channel) {
        await updateRack(ctx.state, rack.name, (r) => ({ ...r, channel: request.channel! }));
      }
      return { plan: prepared.plan };
    }
    try {
      await confirm(prepared.plan);
    } catch (error) {
      await discardUpdate(prepared).catch(() => undefined);
      throw error;
    }
    return { plan: prepared.plan, outcome: await executeUpdate(ctx, prepared) };
  });
}
