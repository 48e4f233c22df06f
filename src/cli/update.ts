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
      })
      .option('accept-risk', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: "Go ahead despite the named known risk of a release on the path (the catalog's risks:)",
      }),
  writes: (args) => !args['dry-run'],
  run: async (ctx, args) => {
    const [{ parseParameterArgs }, { runUpdate, updateSummary }, { runLive }] = await Promise.all([
      import('../core/parameterChanges.js'),
      import('../services/update.js'),
      import('./liveOperation.js'),
    ]);
    const params = parseParameterArgs(args.param.map(String), { allowEmpty: true });
    const request = {
      rack: ctx.options.rack,
      channel: args.channel,
      version: args.version,
      pin: args.pin,
      params,
      dryRun: args['dry-run'],
      acceptRisks: args['accept-risk'].map(String),
    };
    const result = await runLive(ctx, (hooks) => runUpdate(ctx, request, hooks), {
      describe: renderUpdatePlan,
      question: (plan) => `Update ${plan.rack.name} from ${plan.from} to ${plan.target}?`,
      title: (plan) => `Updating ${plan.rack.name} from ${plan.from} to ${plan.target}`,
      done: (r) => (r.type === 'updated' ? `Now at ${r.outcome.reached}.` : updateSummary(r)),
    });
    const attached = result.type !== 'dry-run' && result.attached ? { attached: result.attached } : {};
    if (result.type === 'dry-run') {
      ctx.result({ ...updatePlanJson(result.plan), outcome: result.plan.hops.length ? 'dry-run' : 'up-to-date' }, () =>
        result.plan.hops.length
          ? `${renderUpdatePlan(result.plan)}\n\n${updateSummary(result)}`
          : `Rack ${result.plan.rack.name} already runs ${result.plan.from}, the target of ${result.plan.channel}.`,
      );
      return;
    }
    if (result.type === 'up-to-date') {
      ctx.result({ ...updatePlanJson(result.plan), outcome: 'up-to-date', ...attached }, () => updateSummary(result));
      return;
    }
    const { outcome } = result;
    ctx.result(
      {
        ...updatePlanJson(result.plan),
        outcome: 'updated',
        reached: outcome.reached,
        hops: outcome.hops,
        durationMs: outcome.durationMs,
        ...attached,
      },
      () => updateSummary(result),
    );
  },
});
