import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'sign',
  describe:
    'Sign the local channels directory: release-manifest.json (every file and its sha256) and its OpenSSH signature',
  builder: (y) =>
    y
      .option('key', {
        type: 'string',
        demandOption: true,
        describe: 'An OpenSSH private key (or a public key whose private key your ssh-agent holds)',
      })
      .option('expires', {
        type: 'string',
        describe: 'When the signature stops counting: an ISO date or time, or a duration such as 30d (default 30d)',
      }),
  run: async (ctx, args) => {
    const { signChannels } = await import('../../services/channelSign.js');
    const signed = await signChannels(ctx, {
      key: args.key,
      ...(args.expires !== undefined ? { expires: args.expires } : {}),
    });
    ctx.result(signed, () =>
      [
        `Signed ${signed.dir}: manifest version ${signed.version}, ${signed.files} files, expires ${signed.expires}.`,
        `  manifest   ${signed.manifest}`,
        `  signature  ${signed.signature} (${signed.key})`,
        'Commit both files with the channels; sign again before it expires and after every publish, promote or yank.',
      ].join('\n'),
    );
  },
});
