import { defineCommand } from '../command.js';
import { table } from '../table.js';

export default defineCommand({
  command: 'list',
  aliases: ['ls'],
  describe: 'List registered racks with their version, channel and state',
  run: async (ctx) => {
    const [{ describeRacks }, { formatLabels }] = await Promise.all([
      import('../../services/racks.js'),
      import('../../core/labels.js'),
    ]);
    const racks = await describeRacks(ctx);
    ctx.result({ racks }, () =>
      racks.length === 0
        ? 'No racks registered. Add one with `rack racks add <name> --stack <stack>`.'
        : table(
            ['NAME', 'STACK', 'REGION', 'CHANNEL', 'VERSION', 'TARGET', 'STATE', 'STACK STATUS', 'LABELS'],
            racks.map((r) => [
              r.rack.name,
              r.rack.stack,
              r.rack.region,
              r.rack.channel,
              r.version === undefined ? '-' : `${r.version}${r.release === 'unknown' ? ' (unknown release)' : ''}`,
              r.target ?? '-',
              r.state ?? '-',
              r.problem ?? r.stackStatus ?? '-',
              formatLabels(r.rack.labels) || '-',
            ]),
          ),
    );
  },
});
