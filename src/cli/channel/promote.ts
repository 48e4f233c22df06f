import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'promote <version>',
  describe: 'Promote a release into a channel once it has soaked in the channel that feeds it',
  builder: (y) =>
    y
      // <version> names a release here; rack's own version is `rack --version`.
      .version(false)
      .positional('version', { type: 'string', demandOption: true, describe: 'The release to promote' })
      .option('to', { type: 'string', demandOption: true, describe: 'The channel to promote it to, e.g. stable' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Promote before the soak period is over (recorded as forced)',
      }),
  run: async (ctx, args) => {
    const [{ promoteRelease }, { formatDuration }] = await Promise.all([
      import('../../services/channelAdmin.js'),
      import('../../core/channels/soak.js'),
    ]);
    const promoted = await promoteRelease(ctx, { version: args.version, to: args.to, force: args.force });
    ctx.result(promoted, () => {
      if (promoted.outcome === 'already-there')
        return `${promoted.version} is already in ${promoted.channel} (since ${promoted.entered}).`;
      const forced = promoted.forced
        ? ` with --force, ${formatDuration(promoted.soakLeftMs)} before its soak in ${promoted.feeder} was over; it is recorded as forced`
        : '';
      return `Promoted ${promoted.version} to ${promoted.channel}${forced}.`;
    });
  },
});
