import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'verify',
  describe:
    'Check every channel file, migration, template digest and barrier of a channels source, and its signature (exit 3 listing every problem)',
  run: async (ctx) => {
    const { count, verifyChannels } = await import('../../services/channelVerify.js');
    const report = await verifyChannels(ctx);
    const { signature } = report;
    const manifest =
      signature.version === undefined ? '' : `manifest version ${signature.version}, expires ${signature.expires}`;
    const signed =
      signature.status === 'verified'
        ? `signed by ${signature.signer} (${signature.key}), ${manifest}`
        : signature.status === 'unchecked'
          ? `signed (${manifest || 'manifest unreadable'}); the signature was not checked: RACK_CHANNEL_SIGNERS is not set`
          : 'unsigned: no release-manifest.json (`rack channel sign` signs it)';
    ctx.result(
      { ok: true, ...report },
      () =>
        `channels OK: ${count(report.releases, 'release')}, ${count(report.channels, 'channel')}, ${count(report.migrations, 'migration')}\n${signed}`,
    );
  },
});
