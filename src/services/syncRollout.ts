/**
 * What `rack sync` does for channels with a rollout and for known risks, beside its own work (services/sync.ts):
 * each planned rack gets its wave and, when its wave is not open, why it waits; a failure halts the release;
 * the report says where each rollout stands after the sync.
 */
import type { Context } from '../context.js';
import { riskLine, type RiskFinding } from '../core/risks.js';
import { type Halt, waitingFor } from '../core/rollout.js';
import type { RackError } from '../errors.js';
import { localUser } from '../state/processes.js';
import type { Rack } from '../state/registry.js';
import type { LoadedChannels } from './releases.js';
import { type ChannelRollout, channelRollout, type KnownStack, recordHalt } from './rollout.js';
import type { RackSyncPlan } from './sync.js';

export interface RolloutSummary {
  channel: string;
  version: string;
  halted?: Halt;
  waves: Array<{
    name: string;
    racks: number;
    done: number;
    complete: boolean;
    /** Complete, and no rack of it has an alarm in ALARM: a complete wave that is not quiet does not bake. */
    quiet: boolean;
    open: boolean;
    bakeLeftMs?: number;
  }>;
}

export function rolloutSummary(rollout: ChannelRollout): RolloutSummary {
  return {
    channel: rollout.channel,
    version: rollout.version,
    ...(rollout.view.halted ? { halted: rollout.view.halted } : {}),
    waves: rollout.view.waves.map((wave) => ({
      name: wave.name,
      racks: wave.racks.length,
      done: wave.counts.done,
      complete: wave.complete,
      quiet: wave.quiet,
      open: wave.open,
      ...(wave.bakeLeftMs !== undefined ? { bakeLeftMs: wave.bakeLeftMs } : {}),
    })),
  };
}

/**
 * Each planned rack of a channel with `rollout:` gets its wave, and why it waits if its wave is not open.
 * The waves are those of every rack of the channel in `registered`, planned or not; the stacks planning read
 * are not read again. With `record`, waves found complete start their bake now (a dry run records nothing).
 */
export async function gateRollouts(
  ctx: Context,
  loaded: LoadedChannels,
  plans: RackSyncPlan[],
  registered: readonly Rack[],
  record: boolean,
): Promise<Map<string, ChannelRollout>> {
  const rollouts = new Map<string, ChannelRollout>();
  for (const channel of [...new Set(plans.map((plan) => plan.channel))]) {
    if (!loaded.channels.get(channel)?.rollout) continue;
    const known = new Map<string, KnownStack>(
      plans
        .filter((plan) => plan.channel === channel)
        .map((plan) => [
          plan.rack.name,
          {
            ...(plan.stack ? { stack: plan.stack } : {}),
            ...(plan.problem ? { problem: plan.problem.message } : {}),
            ...(plan.risks?.[0] ? { risk: `known risk ${riskLine(plan.risks[0])}` } : {}),
          },
        ]),
    );
    const rollout = await channelRollout(ctx, loaded, channel, { known, record, racks: registered });
    if (!rollout) continue;
    rollouts.set(channel, rollout);
    for (const plan of plans.filter((p) => p.channel === channel)) {
      const index = rollout.view.waveOf.get(plan.rack.name);
      if (index === undefined) continue;
      const waiting = waitingFor(rollout.view, plan.rack.name);
      plan.rollout = {
        version: rollout.version,
        wave: rollout.view.waves[index]!.name,
        ...(waiting ? { waiting } : {}),
      };
    }
  }
  return rollouts;
}

export const riskText = (risks: readonly RiskFinding[]) =>
  `known risk ${risks.map((r) => r.name).join(', ')} (\`rack update --accept-risk\` goes ahead): ${risks.map(riskLine).join('; ')}`;

/** A failed rack halts its channel's release: no further rack starts on it until `rack rollout resume`. */
export async function haltAfterFailure(
  ctx: Context,
  plan: RackSyncPlan,
  version: string,
  error: RackError,
): Promise<void> {
  try {
    const halt = await recordHalt(ctx, plan.channel, version, {
      by: `rack sync (${localUser()})`,
      reason: `${plan.rack.name} failed: ${error.message}`,
      rack: plan.rack.name,
    });
    if (!halt.already) {
      ctx.events.emit({
        type: 'warning',
        text: `${version} is halted on ${plan.channel}: no further rack starts on it until \`rack rollout resume ${version} --channel ${plan.channel}\``,
      });
    }
  } catch (failure) {
    ctx.events.emit({
      type: 'warning',
      text: `could not record the halt of ${version} on ${plan.channel}: ${(failure as Error).message}; this sync starts no further rack of ${plan.channel}`,
    });
  }
}
