import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'halt <version>',
  describe: 'Halt a release in a channel: rack sync starts no further rack on it until it is resumed',
  builder: (y) =>
    y
      // <version> names a release; rack's own version is `rack --version`.
      .version(false)
      .positional('version', { type: 'string', demandOption: true, describe: 'The release' })
      .option('channel', { type: 'string', demandOption: true, describe: 'The channel it is halted in' })
      .option('reason', { type: 'string', demandOption: true, describe: 'Why, recorded with your name' }),
  run: async (ctx, args) => {
    const { haltRelease } = await import('../../services/rollout.js');
    const result = await haltRelease(ctx, { version: args.version, channel: args.channel, reason: args.reason });
    ctx.result(result, () =>
      result.already
        ? `${result.version} was already halted on ${result.channel} by ${result.halted?.by} at ${result.halted?.at}: ${result.halted?.reason}`
        : `Halted ${result.version} on ${result.channel}: rack sync starts no further rack on it until \`rack rollout resume ${result.version} --channel ${result.channel}\`. Recorded in the history of ${result.racks.length} rack${result.racks.length === 1 ? '' : 's'}.`,
    );
  },
});
