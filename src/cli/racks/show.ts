import type { Rack } from '../../state/registry.js';
import { defineCommand } from '../command.js';

/** The lines of a rack's registration that `racks show` and `racks label` print. */
export function rackLines(rack: Rack): string[] {
  const labels = Object.entries(rack.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    `Rack:     ${rack.name}`,
    `Stack:    ${rack.stack} (${rack.region}${rack.profile ? `, profile ${rack.profile}` : ''})`,
    `Channel:  ${rack.channel}`,
    ...(labels.length ? [`Labels:   ${labels.join(', ')}`] : []),
    ...(rack.alarms?.length
      ? [`Alarms:   ${rack.alarms.join(', ')} (monitored ${rack.monitorMinutes ?? 5} min after each update)`]
      : rack.monitorMinutes !== undefined
        ? [`Monitor:  ${rack.monitorMinutes} min after each update`]
        : []),
    ...(rack.window ? [`Window:   ${rack.window}`] : []),
    ...(rack.roleArn ? [`Role:     ${rack.roleArn}`] : []),
  ];
}

export default defineCommand({
  command: 'show <name>',
  describe: 'Show one registered rack',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true }),
  run: async (ctx, args) => {
    const { describeRack } = await import('../../services/racks.js');
    const shown = await describeRack(ctx, args.name);
    const { rack } = shown;
    ctx.result(shown, () => {
      const [name, stack, channel, ...rest] = rackLines(rack);
      return [
        name,
        stack,
        channel,
        `Version:  ${shown.version ?? '-'}`,
        `State:    ${shown.problem ?? shown.stackStatus ?? '-'}`,
        ...rest,
      ].join('\n');
    });
  },
});
