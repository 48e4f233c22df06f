import { defineCommand } from '../command.js';
import { renderParameterChanges, renderResourceChanges } from '../render/plan.js';
import type { ParamsPreview } from '../../services/params.js';

const preview = (p: ParamsPreview) =>
  [renderParameterChanges(p.parameters), renderResourceChanges(p.resourceChanges)].join('\n');

export default defineCommand({
  command: 'set <changes..>',
  describe: 'Change rack parameters (K=V ...) through a change set; NoEcho values are never shown',
  builder: (y) =>
    y
      .positional('changes', { type: 'string', array: true, demandOption: true, describe: 'KEY=VALUE pairs' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Show the plan and change set, then delete the change set',
      }),
  writes: (args) => !args['dry-run'],
  run: async (ctx, args) => {
    const [{ parseParameterArgs }, { runParamsChange, paramsSummary }, { runLive }] = await Promise.all([
      import('../../core/parameterChanges.js'),
      import('../../services/params.js'),
      import('../liveOperation.js'),
    ]);
    const changes = parseParameterArgs(args.changes.map(String));
    const { preview: shown, outcome } = await runLive(
      ctx,
      (hooks) => runParamsChange(ctx, { rack: ctx.options.rack, changes, dryRun: args['dry-run'] }, hooks),
      {
        describe: preview,
        question: (p) => `Apply these changes to ${p.rack.name}?`,
        title: (p) => `Changing the parameters of ${p.rack.name}`,
        done: (r) => (r.outcome.type === 'updated' ? `${r.outcome.status}.` : paramsSummary(r)),
      },
    );
    const text = paramsSummary({ preview: shown, outcome });
    ctx.result(
      {
        rack: shown.rack.name,
        parameters: shown.parameters,
        resourceChanges: shown.resourceChanges,
        changeSet: shown.changeSet,
        outcome: outcome.type,
        ...(outcome.type === 'updated' ? { status: outcome.status } : {}),
      },
      // A dry run is never asked about, so its plan was not printed before: it is part of the result.
      () => (outcome.type === 'dry-run' ? `${preview(shown)}\n${text}` : text),
    );
  },
});
