import { defineCommand } from '../command.js';
import { listText } from './format.js';

export default defineCommand({
  command: 'publish <version>',
  describe: 'Publish a release into unstable, in the local channels directory named with --channels',
  builder: (y) =>
    y
      // <version> names a release here; rack's own version is `rack --version`.
      .version(false)
      .positional('version', { type: 'string', demandOption: true, describe: 'The new release, e.g. 1.5.0' })
      .option('template', {
        type: 'string',
        demandOption: true,
        describe: 'The rack template: a local file (copied into templates/) or an https:// or s3:// URL',
      })
      .option('barrier', {
        type: 'boolean',
        default: false,
        describe: 'Racks below this release must stop at it first',
      })
      .option('notes', { type: 'string', default: '', describe: 'What the release changes' })
      .option('min-cli', { type: 'string', describe: 'The oldest rack CLI that may apply this release' }),
  run: async (ctx, args) => {
    const { publishRelease } = await import('../../services/channelAdmin.js');
    const published = await publishRelease(ctx, {
      version: args.version,
      template: args.template,
      barrier: args.barrier,
      notes: args.notes,
      ...(args['min-cli'] !== undefined ? { minCli: args['min-cli'] } : {}),
    });
    ctx.result(published, () =>
      [
        `Published ${published.version} into ${published.channel}${published.barrier ? ' as a barrier' : ''} (${published.dir}).`,
        `  template  ${published.template}${published.copiedTo ? ` (copied from ${args.template})` : ''}`,
        `  sha256    ${published.sha256}`,
        ...(published.migration
          ? [`  migration ${published.migrationFile} (sha256 ${published.migration.sha256})`]
          : []),
        ...(published.minCli ? [`  min-cli   ${published.minCli}`] : []),
        ...(published.created.length > 0 ? [`Created ${listText(published.created)}: a new channels directory.`] : []),
      ].join('\n'),
    );
  },
});
