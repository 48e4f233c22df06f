import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'remove <name>',
  aliases: ['rm'],
  describe: 'Forget a rack (its stack is not touched)',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }),
  run: async (ctx, args) => {
    const { forgetRack } = await import('../../services/racks.js');
    const removed = await forgetRack(ctx, args.name);
    ctx.result(
      { removed },
      () => `Removed rack ${removed.name} from the registry; stack ${removed.stack} was not touched.`,
    );
  },
});
