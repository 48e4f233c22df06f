import { defineCommand } from './command.js';
import { shortTime } from './channel/format.js';
import { table } from './table.js';

export default defineCommand({
  command: 'releases',
  describe: 'The release catalog, or the releases of one channel',
  builder: (y) => y.option('channel', { type: 'string', describe: 'Show only the releases of this channel' }),
  run: async (ctx, args) => {
    const { describeReleases } = await import('../services/channelView.js');
    const view = await describeReleases(ctx, args.channel);
    ctx.result(view, () => {
      if (view.releases.length === 0)
        return view.channel ? `The channel ${view.channel} has no releases.` : 'The catalog has no releases.';
      const status = (release: (typeof view.releases)[number]) =>
        [
          release.barrier && 'barrier',
          release.yanked && (release.yanked.fixedIn ? `yanked, fixed in ${release.yanked.fixedIn}` : 'yanked'),
          release.forced && 'forced',
          release.minCli && `needs rack ${release.minCli}`,
        ]
          .filter(Boolean)
          .join(', ');
      const notes = (release: (typeof view.releases)[number]) =>
        release.yanked ? `Yanked: ${release.yanked.reason}. ${release.notes}`.trim() : release.notes;
      return view.channel
        ? table(
            ['VERSION', 'ENTERED (UTC)', 'PUBLISHED (UTC)', 'STATUS', 'NOTES'],
            view.releases.map((r) => [r.version, shortTime(r.entered!), shortTime(r.published), status(r), notes(r)]),
          )
        : table(
            ['VERSION', 'PUBLISHED (UTC)', 'CHANNELS', 'STATUS', 'NOTES'],
            view.releases.map((r) => [
              r.version,
              shortTime(r.published),
              r.channels.join(', ') || '-',
              status(r),
              notes(r),
            ]),
          );
    });
  },
});
