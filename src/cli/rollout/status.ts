import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'status',
  describe: 'Per channel release and wave: racks done, failed, waiting, bake left, halted (by whom, why)',
  builder: (y) => y.option('channel', { type: 'string', describe: 'Only this channel' }),
  run: async (ctx, args) => {
    const [{ rolloutStatus }, { renderRolloutStatus }] = await Promise.all([
      import('../../services/rollout.js'),
      import('./format.js'),
    ]);
    const channels = await rolloutStatus(ctx, { ...(args.channel ? { channel: args.channel } : {}) });
    ctx.result({ channels }, () => renderRolloutStatus(channels, ctx.clock.now()));
  },
});
