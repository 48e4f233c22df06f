import { defineCommand } from './command.js';
import { table } from './table.js';

export default defineCommand({
  command: 'history',
  describe: 'Show the rack\'s operations: when, who, from, to, hops, result',
  run: async (ctx) => {
    const [{ resolveRack }, { readHistory }] = await Promise.all([import('../state/registry.js'), import('../state/history.js')]);
    const rack = await resolveRack(ctx.state, ctx.options.rack);
    const entries = await readHistory(ctx.state, rack.name);
    ctx.result({ rack: rack.name, entries }, () =>
      entries.length === 0
        ? `No operations recorded for ${rack.name}.`
        : table(
            ['WHEN', 'WHO', 'OPERATION', 'FROM', 'TO', 'HOPS', 'RESULT', 'TOOK', 'CAUSE'],
            entries.map((e) => [
              e.startedAt.replace('T', ' ').slice(0, 19),
              e.user,
              e.operation,
              e.from ?? '-',
              e.to ?? '-',
              e.hops.map((h) => `${h.to}:${h.result}`).join(',') || '-',
              e.result,
              e.durationMs === undefined ? '-' : `${(e.durationMs / 1000).toFixed(1)}s`,
              e.cause ?? '',
            ]),
          ),
    );
  },
});
