import { defineCommand } from '../command.js';
import { renderParameterChanges, renderResourceChanges } from '../render/plan.js';

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
  run: async (ctx, args) => {
    if (!args['dry-run']) ctx.requireConsent();
    const { prepareParamsChange, applyParamsChange, discardParamsChange } = await import('../../services/params.js');
    const change = await prepareParamsChange(ctx, ctx.options.rack, args.changes.map(String));
    const { plan, changeSet } = change.prepared;
    const summary = {
      rack: change.rack.name,
      parameters: plan.changes,
      resourceChanges: changeSet?.changes ?? [],
      changeSet: changeSet?.hasChanges ? changeSet.name : null,
    };
    const preview = () =>
      [renderParameterChanges(plan.changes), renderResourceChanges(changeSet?.changes ?? [])].join('\n');

    if (!changeSet?.hasChanges) {
      ctx.result({ ...summary, outcome: 'nothing-to-change' }, () => `Nothing to change on ${change.rack.name}.`);
      return;
    }
    if (args['dry-run']) {
      await discardParamsChange(change);
      ctx.result(
        { ...summary, outcome: 'dry-run' },
        () => `${preview()}\nDry run: change set ${changeSet.name} was deleted; nothing was written.`,
      );
      return;
    }
    ctx.logger.info(preview());
    try {
      await ctx.confirm(`Apply these changes to ${change.rack.name}?`);
    } catch (error) {
      await discardParamsChange(change).catch(() => undefined);
      throw error;
    }
    const { startLiveView } = await import('../../ui/live.js');
    const live = await startLiveView(ctx, `Changing the parameters of ${change.rack.name}`);
    const applied = await applyParamsChange(ctx, change).catch(async (error: unknown) => {
      await live.fail(error);
      throw error;
    });
    await live.stop({ ok: true, text: `${applied?.status ?? 'Done'}.` });
    ctx.result(
      { ...summary, outcome: 'updated', status: applied?.status },
      () => `Updated the parameters of ${change.rack.name}.`,
    );
  },
});
