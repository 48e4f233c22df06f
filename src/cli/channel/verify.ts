import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'verify',
  describe:
    'Check every channel file, migration, template digest and barrier of a channels source (exit 3 listing every problem)',
  run: async (ctx) => {
    const { count, verifyChannels } = await import('../../services/channelVerify.js');
    const report = await verifyChannels(ctx);
    ctx.result(
      { ok: true, ...report },
      () =>
        `channels OK: ${count(report.releases, 'release')}, ${count(report.channels, 'channel')}, ${count(report.migrations, 'migration')}`,
    );
  },
});
