import { defineCommand } from '../command.js';
import { table } from '../table.js';

export default defineCommand({
  command: 'discover',
  describe: 'List the stacks in the account that are racks, and register them with --add',
  builder: (y) =>
    y
      .option('region', {
        type: 'string',
        array: true,
        describe: 'Region to look in (repeatable; default: the configured region)',
      })
      .option('add', {
        type: 'boolean',
        default: false,
        describe: 'Register every rack found that is not registered yet, under its stack name',
      })
      .option('channel', { type: 'string', describe: 'Channel the racks added follow (default stable)' }),
  run: async (ctx, args) => {
    const { discoverRacks } = await import('../../services/discover.js');
    const regions = (args.region ?? []).map(String);
    const found = await discoverRacks(ctx, { regions, add: args.add, channel: args.channel });
    const racks = found.stacks.filter((s) => s.rack);
    const others = found.stacks.length - racks.length;
    const waiting = racks.filter((s) => !s.registeredAs && !s.added).length;
    ctx.result(found, () => {
      if (found.stacks.length === 0) return `No stacks in ${found.regions.join(', ')}.`;
      const rows = found.stacks.map((s) => [
        s.stack,
        s.region,
        s.version === undefined ? '-' : s.release === 'unknown' ? `${s.version} (unknown release)` : s.version,
        s.rack ? 'rack' : `not a rack: no ${s.lacks.join(', ')}`,
        s.added ? `added as ${s.added}` : (s.registeredAs ?? (s.notAdded ? `not added: ${s.notAdded}` : '-')),
      ]);
      const summary = [
        `${racks.length} rack${racks.length === 1 ? '' : 's'} and ${others} other stack${others === 1 ? '' : 's'} in ${found.regions.join(', ')}.`,
        found.added.length ? `Registered ${found.added.join(', ')}.` : '',
        !args.add && waiting ? `Register the ${waiting} not registered yet with \`rack racks discover --add\`.` : '',
      ].filter(Boolean);
      return [table(['STACK', 'REGION', 'VERSION', 'KIND', 'REGISTERED'], rows), '', ...summary].join('\n');
    });
  },
});
