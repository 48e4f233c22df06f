import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'show <name>',
  describe: 'Show one registered rack',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }),
  run: async (ctx, args) => {
    const { describeRack } = await import('../../services/racks.js');
    const shown = await describeRack(ctx, args.name);
    const { rack } = shown;
    ctx.result(shown, () =>
      [
        `Rack:     ${rack.name}`,
        `Stack:    ${rack.stack} (${rack.region}${rack.profile ? `, profile ${rack.profile}` : ''})`,
        `Channel:  ${rack.channel}`,
        `Version:  ${shown.version ?? '-'}`,
        `State:    ${shown.problem ?? shown.stackStatus ?? '-'}`,
        ...(rack.window ? [`Window:   ${rack.window}`] : []),
        ...(rack.roleArn ? [`Role:     ${rack.roleArn}`] : []),
      ].join('\n'),
    );
  },
});
