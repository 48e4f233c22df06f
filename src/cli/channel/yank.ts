import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'yank <version>',
  describe: 'Yank a bad release: it stays in the catalog and its channels, and racks are sent past it',
  builder: (y) =>
    y
      // <version> names a release here; rack's own version is `rack --version`.
      .version(false)
      .positional('version', { type: 'string', demandOption: true, describe: 'The release to yank' })
      .option('reason', { type: 'string', describe: 'Why it is yanked (shown to everyone on it)' })
      .option('fixed-in', { type: 'string', describe: 'The later release that fixes it (may be named later, alone)' }),
  run: async (ctx, args) => {
    const { yankRelease } = await import('../../services/channelAdmin.js');
    const yanked = await yankRelease(ctx, {
      version: args.version,
      ...(args.reason !== undefined ? { reason: args.reason } : {}),
      ...(args['fixed-in'] !== undefined ? { fixedIn: args['fixed-in'] } : {}),
    });
    ctx.result(yanked, () => {
      const fix = yanked.fixedIn ? `fixed in ${yanked.fixedIn}` : 'no fix named yet';
      const head =
        yanked.outcome === 'fix-recorded'
          ? `Recorded the fix of ${yanked.version}: ${yanked.fixedIn} (yanked at ${yanked.at}: ${yanked.reason}).`
          : `Yanked ${yanked.version}: ${yanked.reason}; ${fix}.`;
      const channels = yanked.channels.map(
        (c) => `  ${c.name}: racks go to ${c.target ?? '(no release left that is not yanked)'}`,
      );
      return [head, 'It stays in the catalog and in its channels.', ...channels].join('\n');
    });
  },
});
