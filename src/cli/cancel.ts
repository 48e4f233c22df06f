import { defineCommand } from './command.js';

export default defineCommand({
  command: 'cancel',
  describe: "Cancel the rack's update in progress; CloudFormation rolls it back and rack follows the rollback",
  run: async (ctx) => {
    ctx.requireConsent();
    await ctx.confirm('Cancel the update in progress? CloudFormation will roll it back.');
    const { cancelUpdate } = await import('../services/cancel.js');
    const result = await cancelUpdate(ctx, ctx.options.rack);
    ctx.result(
      { ...result, outcome: 'cancelled' },
      () =>
        `The update of ${result.rack} was cancelled and rolled back; the rack runs ${result.version ?? 'its previous release'}.`,
    );
  },
});
