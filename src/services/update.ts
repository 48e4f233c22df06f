/**
 * `rack update`: from the rack's version along the upgrade path to its target, one CloudFormation
 * update per hop. Everything is planned first — digests verified, migrations applied, every hop's
 * parameters checked by the safety layer — so a refusal comes before any write. Each hop is then
 * executed, followed and health-checked before the next; the first failure stops the path.
 */
import { noEchoKeysFromSummary, type ChangeSetResult } from '../aws/changeSets.js';
import { parameterValue } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { refused, updateFailed } from '../errors.js';
import type { Release } from '../core/channels/catalog.js';
import { isKnownFailure } from '../core/stackStatus.js';
import { planHops, type HopChanges, type HopPlan, type HopTemplate } from '../core/hopPlan.js';
import { requireRackContract } from '../core/rackContract.js';
import { generateSecret, takeGivenValues } from './secrets.js';
import { noEchoKeysOf, parseTemplate } from '../core/template.js';
import { upgradePath, yankedWarning } from '../core/upgradePath.js';
import { RACK_VERSION } from '../version.js';
import type { HistoryHop } from '../state/history.js';
import { resolveRack, updateRack, type Rack } from '../state/registry.js';
import { requireHealthy } from './health.js';
import type { OperationHooks } from './hooks.js';
import { withOperation, type Operation } from './operation.js';
import type { RecoveryReport } from './recovery.js';
import { fetchReleaseTemplate, findChannel, loadChannels, type LoadedChannels } from './releases.js';
import { refuseKnownRisks } from './risks.js';
import {
  discardWrite,
  executeWrite,
  failedWrite,
  prepareWrite,
  readRackStack,
  requireUpdatable,
  writeFailed,
  type PreparedWrite,
  type WriteRequest,
} from './stackWrite.js';

export interface UpdateRequest {
  rack?: string;
  channel?: string;
  version?: string;
  pin?: boolean;
  params?: Record<string, string>;
  /** The channels source, when the caller has read it already (rack sync reads it once for every rack). */
  channels?: LoadedChannels;
  /** Show the path, the plans and the first change set, then delete it. */
  dryRun?: boolean;
  /** Known risks (the catalog's `risks:`) of releases on the path that the operator accepts, by name. */
  acceptRisks?: string[];
}

export type { HopPlan } from '../core/hopPlan.js';

/** A hop as its write needs it: the release's template and the changes the planner checked. */
interface HopInternals extends HopChanges {
  release: Release;
  body: string;
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

interface PreparedUpdate {
  plan: UpdatePlan;
  internals: HopInternals[];
  request: UpdateRequest;
  /** The stack as planning read it: the first hop's write starts from it. */
  current: NonNullable<WriteRequest['current']>;
}

/** Plans the whole path: digests verified, migrations applied, every hop checked. Writes nothing. */
async function planUpdate(op: Operation, request: UpdateRequest): Promise<PreparedUpdate> {
  const { ctx, rack } = op;
  const params = request.params ?? {};
  const loaded = request.channels ?? (await loadChannels(ctx, { forWrite: true }));
  const channelName = request.channel ?? rack.channel;
  const channel = findChannel(loaded, channelName);
  const aws = ctx.aws(rack);
  const stack = await readRackStack(ctx, rack, aws);
  requireUpdatable(rack, stack);
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
  const currentNoEcho = noEchoKeysOf([], currentSummary);
  for (const key of currentNoEcho) ctx.logger.addSecret(parameterValue(stack, key));

  // Every hop's template is read and checked first (digest, contract); then the whole path is planned.
  const templates: Array<HopTemplate & { body: string }> = [];
  for (const release of path.hops) {
    const fetched = await fetchReleaseTemplate(ctx, loaded, release, rack);
    const template = parseTemplate(fetched.body, `release ${release.version}`);
    requireRackContract(template, release.version, 'Nothing was written to the stack.');
    templates.push({ release, template, body: fetched.body });
  }
  const {
    hops,
    changes,
    problems,
    warnings: migrationWarnings,
  } = planHops({
    from,
    stack: stack.parameters,
    noEchoKeys: currentNoEcho,
    hops: templates,
    migrations: loaded.migrations,
    params,
    generateSecret,
  });
  warnings.push(...migrationWarnings);
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
  const internals = templates.map(({ release, body }, index): HopInternals => ({ release, body, ...changes[index]! }));
  return { plan, internals, request, current: { stack, summary: currentSummary } };
}

function prepareHop(
  op: Operation,
  rack: Rack,
  hop: HopInternals,
  current?: WriteRequest['current'],
): Promise<PreparedWrite> {
  return prepareWrite(op, {
    ...(current ? { current } : {}),
    rack,
    target: { body: hop.body, sha256: hop.release.sha256, origin: `release ${hop.release.version}` },
    userChanges: { ...hop.userChanges, Version: hop.release.version },
    migrationChanges: hop.migrationChanges,
    unrecoverable: hop.unrecoverable,
    purpose: `update-${hop.release.version}`,
  });
}

export interface UpdateOutcome {
  rack: string;
  from: string;
  to: string;
  reached: string;
  hops: HistoryHop[];
  durationMs: number;
}

/** What a stack operation an earlier process started came to, when this run attached to it first. */
export interface Attached {
  operation: string;
  from?: string;
  to?: string;
  status: string;
}

export type UpdateResult =
  | { type: 'up-to-date'; plan: UpdatePlan; attached?: Attached }
  | { type: 'dry-run'; plan: UpdatePlan }
  | { type: 'updated'; plan: UpdatePlan; outcome: UpdateOutcome; attached?: Attached };

/** `--pin`: the rack follows the channel it was updated from from now on. */
async function pinChannel(ctx: Context, rack: Rack, request: UpdateRequest): Promise<void> {
  const { channel } = request;
  if (request.pin && channel && channel !== rack.channel) {
    await updateRack(ctx.state, rack.name, (r) => ({ ...r, channel }));
  }
}

/** Executes the planned path, hop by hop, each followed and health-checked. Inside the update's operation. */
async function executeUpdate(op: Operation, prepared: PreparedUpdate, first: PreparedWrite): Promise<UpdateOutcome> {
  const { ctx } = op;
  const { plan, internals } = prepared;
  const { rack } = plan;
  const journal = op.journal!;
  let reached = plan.from;

  for (const [index, hop] of internals.entries()) {
    const hopStarted = ctx.clock.now();
    const to = hop.release.version;
    const what = `The update of ${rack.name} to ${to}`;
    ctx.events.emit({
      type: 'hop-start',
      rack: rack.name,
      index: index + 1,
      total: internals.length,
      from: reached,
      to,
    });
    const write = index === 0 ? first : await prepareHop(op, rack, hop);
    if (!write.changeSet?.hasChanges) {
      await journal.step('final-status', 'no changes', { from: reached, to, result: 'succeeded', durationMs: 0 });
      reached = to;
      continue;
    }
    const applied = await executeWrite(op, write, { from: reached, to });
    if (applied.outcome.type !== 'succeeded') {
      const failed = await failedWrite(op, applied.outcome, what);
      throw updateFailed(`${failed.message} The rack runs ${reached}.`, {
        untouched: failed.untouched,
        next: failed.next,
        details: failed.details,
      });
    }

    await requireHealthy(
      op,
      `the update to ${to}`,
      {
        untouched: `The stack runs ${to}; the rest of the path was not started.`,
        next: `Look at the instances and services (\`rack instances --rack ${rack.name}\`), or go back with \`rack rollback --rack ${rack.name}\`.`,
      },
      write.alarms,
    );
    const hopMs = ctx.clock.now().getTime() - hopStarted.getTime();
    await journal.step('health-checked', `healthy at ${to}`);
    reached = to;
    ctx.events.emit({
      type: 'hop-done',
      rack: rack.name,
      index: index + 1,
      total: internals.length,
      to: reached,
      ms: hopMs,
    });
  }

  await pinChannel(ctx, rack, prepared.request);
  await journal.finish('succeeded');
  return {
    rack: rack.name,
    from: plan.from,
    to: plan.target,
    reached,
    hops: [...journal.hops],
    durationMs: ctx.clock.now().getTime() - journal.startedAt.getTime(),
  };
}

/**
 * `rack update` as one operation: what an earlier process left is finished first (a stack operation it
 * started is followed to its end), then the path from where the rack is now is planned, confirmed through
 * `hooks.confirm`, and executed. A dry run shows the plan and the first hop's change set and deletes it.
 */
export async function runUpdate(
  ctx: Context,
  request: UpdateRequest,
  hooks: OperationHooks<UpdatePlan>,
): Promise<UpdateResult> {
  takeGivenValues(ctx, request.params);
  const rack = await resolveRack(ctx.state, request.rack);
  return withOperation(
    ctx,
    rack,
    'update',
    async (op) => {
      const attached = attachedFrom(op.recovery);
      if (attached && isKnownFailure(op.recovery.attached?.outcome)) {
        throw writeFailed(
          op.rack,
          op.recovery.attached.outcome,
          `The ${attached.operation} rack started earlier on ${op.rack.name}`,
        );
      }
      const prepared = await planUpdate(op, request);
      const { plan } = prepared;
      if (plan.hops.length === 0) {
        if (!request.dryRun) await pinChannel(ctx, op.rack, request);
        return request.dryRun
          ? { type: 'dry-run', plan }
          : { type: 'up-to-date', plan, ...(attached ? { attached } : {}) };
      }
      await refuseKnownRisks(
        ctx,
        op.rack,
        prepared.internals.map((hop) => hop.release),
        request.acceptRisks,
      );
      if (!request.dryRun) await op.begin({ from: plan.from, to: plan.target, channel: plan.channel });
      const first = await prepareHop(op, op.rack, prepared.internals[0]!, prepared.current);
      plan.firstChangeSet = first.changeSet;
      if (request.dryRun) {
        await discardWrite(op, first);
        return { type: 'dry-run', plan };
      }
      await hooks.confirm(plan);
      const outcome = await executeUpdate(op, prepared, first);
      return { type: 'updated', plan, outcome, ...(attached ? { attached } : {}) };
    },
    { onAttach: hooks.onAttach, dryRun: request.dryRun },
  );
}

/** The attached operation as results show it; undefined when recovery attached to nothing. */
function attachedFrom(recovery: RecoveryReport): Attached | undefined {
  const attached = recovery.attached;
  if (!attached) return undefined;
  const { marker, outcome } = attached;
  return {
    operation: marker.operation,
    ...(marker.from ? { from: marker.from } : {}),
    ...(marker.to ? { to: marker.to } : {}),
    status: 'status' in outcome && outcome.status ? outcome.status : outcome.type,
  };
}

/** The one sentence the CLI and the dashboard say when an update ends. */
export function updateSummary(result: UpdateResult): string {
  const before =
    result.type !== 'dry-run' && result.attached
      ? `The ${result.attached.operation} an earlier rack process started ended ${result.attached.status}. `
      : '';
  if (result.type === 'dry-run') return 'Dry run: nothing was changed.';
  if (result.type === 'up-to-date') {
    return `${before}Rack ${result.plan.rack.name} already runs ${result.plan.from}, the target of ${result.plan.channel}.`;
  }
  const { outcome } = result;
  const hops = outcome.hops.length;
  return `${before}Rack ${outcome.rack} updated from ${outcome.from} to ${outcome.reached} in ${(outcome.durationMs / 1000).toFixed(1)}s (${hops} hop${hops === 1 ? '' : 's'}).`;
}
