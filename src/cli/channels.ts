import { defineCommand } from './command.js';
import { indent, shortTime, yankText } from './channel/format.js';
import { table } from './table.js';

export default defineCommand({
  command: 'channels',
  describe: 'Channels with their releases, promotion dates, yanks, barriers and what is soaking',
  run: async (ctx) => {
    const [{ describeChannels }, { formatDuration }] = await Promise.all([
      import('../services/channelView.js'),
      import('../core/channels/soak.js'),
    ]);
    const view = await describeChannels(ctx);
    ctx.result(
      view,
      () =>
        view.channels
          .map((channel) => {
            const fed = channel.feeder ? ` Fed from ${channel.feeder.channel} after ${channel.feeder.soak}.` : '';
            const lines = [`${channel.name}: ${channel.description}${fed}`];
            lines.push(
              channel.releases.length === 0
                ? '  (no releases)'
                : indent(
                    table(
                      ['VERSION', 'ENTERED (UTC)', ''],
                      channel.releases.map((release) => [
                        release.version,
                        shortTime(release.entered),
                        [
                          release.target && 'target',
                          release.barrier && 'barrier',
                          release.forced && 'forced',
                          release.yanked && yankText(release.yanked),
                        ]
                          .filter(Boolean)
                          .join(', '),
                      ]),
                    ),
                  ),
            );
            if (channel.pending.length > 0) {
              lines.push(`  Waiting in ${channel.feeder!.channel}:`);
              for (const pending of channel.pending) {
                lines.push(
                  `    ${pending.version}: ${pending.ready ? 'ready to promote' : `soaking, ${formatDuration(pending.remainingMs)} left`}`,
                );
              }
            }
            return lines.join('\n');
          })
          .join('\n\n') || `No channels in ${view.source}.`,
    );
  },
});
