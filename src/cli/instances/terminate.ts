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
  writes: () => true,
  run: async (ctx, args) => {
    const [{ terminateInstance }, { runLive }] = await Promise.all([
      import('../../services/instances.js'),
      import('../liveOperation.js'),
    ]);
    const request = { rack: ctx.options.rack, instanceId: args.id, wait: args.wait };
    const outcome = await runLive(ctx, (hooks) => terminateInstance(ctx, request, hooks), {
      describe: ({ rack, instanceId, lifecycleState }) =>
        `Rack ${rack.name}: instance ${instanceId} (${lifecycleState}).`,
      question: ({ rack, instanceId, lifecycleState }) =>
        `Terminate ${instanceId} (${lifecycleState}) of rack ${rack.name}? Its group launches a replacement.`,
      title: ({ instanceId }) => `Terminating ${instanceId}`,
      done: (o) => (o.replacedBy ? `Replaced by ${o.replacedBy.join(', ')}.` : 'Terminating.'),
    });
    ctx.result(outcome, () =>
      outcome.replacedBy
        ? `Terminated ${outcome.instanceId}; replaced by ${outcome.replacedBy.join(', ')}, in service.`
        : `Sent terminate to ${outcome.instanceId}; its group launches a replacement.`,
    );
  },
});
