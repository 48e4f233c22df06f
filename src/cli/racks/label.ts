import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'label <name> [changes..]',
  describe: "Set (key=value) or remove (key-) a rack's labels; add or remove its alarm rollback triggers",
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'The rack' })
      .positional('changes', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'key=value to set a label, key- to remove one',
      })
      .option('alarm', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'Add a CloudWatch alarm (name or ARN, repeatable) as a rollback trigger',
      })
      .option('remove-alarm', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'Remove an alarm (repeatable)',
      })
      .option('monitor', {
        type: 'number',
        describe: 'Minutes CloudFormation watches the alarms after an update (0-180; default 5 with alarms)',
      }),
  run: async (ctx, args) => {
    const [{ labelRack }, { parseLabelArgs }, { rackLines }] = await Promise.all([
      import('../../services/racks.js'),
      import('../../core/labels.js'),
      import('./format.js'),
    ]);
    const changes = args.changes.map(String);
    if (changes.length === 0 && !args.alarm.length && !args['remove-alarm'].length && args.monitor === undefined) {
      const { usageError } = await import('../../errors.js');
      throw usageError('No changes given.', {
        next: `For example \`rack racks label ${args.name} tier=canary\`, \`old-\` to remove a label, or --alarm <name>.`,
      });
    }
    const rack = await labelRack(ctx, args.name, {
      labels: parseLabelArgs(changes),
      addAlarms: args.alarm.map(String),
      removeAlarms: args['remove-alarm'].map(String),
      ...(args.monitor !== undefined ? { monitorMinutes: args.monitor } : {}),
    });
    ctx.result({ rack }, () => rackLines(rack).join('\n'));
  },
});
