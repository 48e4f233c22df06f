import { defineCommand } from './command.js';
import { table } from './table.js';

export default defineCommand({
  command: 'history',
  describe: "Show the rack's operations: when, who, from, to, hops, result",
  run: async (ctx) => {
    const [{ resolveRack }, { readHistory }] = await Promise.all([
      import('../state/registry.js'),
      import('../state/history.js'),
    ]);
    // An uninstalled rack is gone from the registry, but its history is kept and can still be read.
    const named = ctx.options.rack;
    const kept = named ? await readHistory(ctx.state, named) : [];
    const name = kept.length > 0 ? named! : (await resolveRack(ctx.state, named)).name;
    const entries = kept.length > 0 ? kept : await readHistory(ctx.state, name);
    ctx.result({ rack: name, entries }, () =>
      entries.length === 0
        ? `No operations recorded for ${name}.`
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
