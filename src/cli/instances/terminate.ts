import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'terminate <id>',
  describe: "Terminate one of the rack's instances; its group launches a replacement (desired capacity kept)",
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'Instance id (see `rack instances`)' })
      .option('wait', {
        type: 'boolean',
        default: false,
        describe: 'Wait until the replacement is in service (and registered with the cluster)',
      }),
  run: async (ctx, args) => {
    ctx.requireConsent();
    const { terminateInstance } = await import('../../services/instances.js');
    const outcome = await terminateInstance(
      ctx,
      { rack: ctx.options.rack, instanceId: args.id, wait: args.wait },
      async ({ rack, instanceId, lifecycleState }) => {
        await ctx.confirm(
          `Terminate ${instanceId} (${lifecycleState}) of rack ${rack.name}? Its group launches a replacement.`,
        );
      },
    );
    ctx.result(outcome, () =>
      outcome.replacedBy
        ? `Terminated ${outcome.instanceId}; replaced by ${outcome.replacedBy.join(', ')}, in service.`
        : `Sent terminate to ${outcome.instanceId}; its group launches a replacement.`,
    );
  },
});
