import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'show <name>',
  describe: 'Show one registered rack',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }),
  run: async (ctx, args) => {
    const [{ describeRack }, { rackLines }] = await Promise.all([
      import('../../services/racks.js'),
      import('./format.js'),
    ]);
    const shown = await describeRack(ctx, args.name);
    const { rack } = shown;
    ctx.result(shown, () => {
      const [name, stack, channel, ...rest] = rackLines(rack);
      return [
        name,
        stack,
        channel,
        `Version:  ${shown.version ?? '-'}`,
        `State:    ${shown.problem ?? shown.stackStatus ?? '-'}`,
        ...rest,
      ].join('\n');
    });
  },
});
