import { defineCommand } from './command.js';
import { renderUpdatePlan, updatePlanJson } from './render/update.js';

export default defineCommand({
  command: 'update',
  describe: "Update the rack along its channel's upgrade path (barriers first), one verified hop at a time",
  builder: (y) =>
    y
      // --version here names a release; rack's own version is `rack --version`.
      .version(false)
      .option('channel', {
        type: 'string',
        describe: "Channel to take the target from (default: the rack's pinned channel)",
      })
      .option('version', { type: 'string', describe: 'Update to this release (barriers on the way still apply)' })
      .option('pin', { type: 'boolean', default: false, describe: "Make --channel the rack's pinned channel" })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Show the path, notes, parameter plans and first change set; change nothing',
      })
      .option('param', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'KEY=VALUE for a parameter (e.g. a secret a release needs)',
      }),
  run: async (ctx, args) => {
    if (!args['dry-run']) ctx.requireConsent();
    const { parseParameterArgs } = await import('../core/parameterChanges.js');
    const params = parseParameterArgs(args.param.map(String), { allowEmpty: true });
    const request = { rack: ctx.options.rack, channel: args.channel, version: args.version, pin: args.pin, params };

    if (args['dry-run']) {
      const { prepareUpdate, discardUpdate } = await import('../services/update.js');
      const prepared = await prepareUpdate(ctx, request);
      await discardUpdate(prepared);
      const plan = prepared.plan;
      ctx.result({ ...updatePlanJson(plan), outcome: plan.hops.length ? 'dry-run' : 'up-to-date' }, () =>
        plan.hops.length
          ? `${renderUpdatePlan(plan)}\n\nDry run: nothing was changed.`
          : `Rack ${plan.rack.name} already runs ${plan.from}, the target of ${plan.channel}.`,
      );
      return;
    }

    const { runUpdate } = await import('../services/update.js');
    const { startLiveView } = await import('../ui/live.js');
    let live: Awaited<ReturnType<typeof startLiveView>> | undefined;
    // On a terminal the hops run in a live view, started once the plan is confirmed.
    const { plan, outcome, attached } = await runUpdate(
      ctx,
      request,
      async (plan) => {
        ctx.logger.info(renderUpdatePlan(plan));
        await ctx.confirm(`Update ${plan.rack.name} from ${plan.from} to ${plan.target}?`);
        live = await startLiveView(ctx, `Updating ${plan.rack.name} from ${plan.from} to ${plan.target}`);
      },
      async (inFlight) => {
        live = await startLiveView(
          ctx,
          `Following the ${inFlight.operation} of ${inFlight.rack} to ${inFlight.to ?? 'its end'}`,
        );
      },
    ).catch(async (error: unknown) => {
      await live?.fail(error);
      throw error;
    });
    await live?.stop({
      ok: true,
      text: outcome ? `Now at ${outcome.reached}.` : attached ? `Finished: ${attached.status}.` : 'Done.',
    });
    if (attached) {
      ctx.result(
        { rack: plan?.rack.name ?? ctx.options.rack, outcome: 'attached', status: attached.status },
        () => `The operation rack started finished: ${attached.status}.`,
      );
      return;
    }
    if (!outcome) {
      ctx.result(
        { ...updatePlanJson(plan!), outcome: 'up-to-date' },
        () => `Rack ${plan!.rack.name} already runs ${plan!.from}, the target of ${plan!.channel}.`,
      );
      return;
    }
    ctx.result(
      {
        ...updatePlanJson(plan!),
        outcome: 'updated',
        reached: outcome.reached,
        hops: outcome.hops,
        durationMs: outcome.durationMs,
      },
      () =>
        `Rack ${outcome.rack} updated from ${outcome.from} to ${outcome.reached} in ${(outcome.durationMs / 1000).toFixed(1)}s (${outcome.hops.length} hop${outcome.hops.length === 1 ? '' : 's'}).`,
    );
  },
});
