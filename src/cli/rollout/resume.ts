import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'resume <version>',
  describe: 'Lift the halt of a release in a channel (racks that failed are tried again by the next sync)',
  builder: (y) =>
    y
      .version(false)
      .positional('version', { type: 'string', demandOption: true, describe: 'The release' })
      .option('channel', { type: 'string', demandOption: true, describe: 'The channel it is halted in' }),
  run: async (ctx, args) => {
    const { resumeRelease } = await import('../../services/rollout.js');
    const result = await resumeRelease(ctx, { version: args.version, channel: args.channel });
    ctx.result(result, () =>
      result.lifted
        ? `Resumed ${result.version} on ${result.channel} (halted by ${result.lifted.by}: ${result.lifted.reason}). The next \`rack sync\` goes on with it. Recorded in the history of ${result.racks.length} rack${result.racks.length === 1 ? '' : 's'}.`
        : `${result.version} was not halted on ${result.channel}; nothing to resume.`,
    );
  },
});
