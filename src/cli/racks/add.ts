import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'add <name>',
  describe: 'Register an existing rack stack under a name',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'Name to call the rack by' })
      .option('stack', { type: 'string', demandOption: true, describe: 'CloudFormation stack name' })
      .option('channel', { type: 'string', default: 'stable', describe: 'Channel the rack follows' })
      .option('window', {
        type: 'string',
        describe: 'Maintenance window for rack sync, e.g. "Sat 02:00-06:00 Europe/Berlin"',
      })
      .option('role-arn', { type: 'string', describe: "IAM role CloudFormation assumes for this rack's updates" })
      .option('label', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'A label key=value (repeatable): rollout waves and `rack sync --selector` pick racks by them',
      })
      .option('alarm', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'A CloudWatch alarm (name or ARN, repeatable) that rolls back any update of the rack when it fires',
      })
      .option('monitor', {
        type: 'number',
        describe: 'Minutes CloudFormation watches the alarms after an update (0-180; default 5 with alarms)',
      }),
  run: async (ctx, args) => {
    const [{ registerRack }, { parseLabelArgs }] = await Promise.all([
      import('../../services/racks.js'),
      import('../../core/labels.js'),
    ]);
    const labels = parseLabelArgs(args.label.map(String));
    if (labels.remove.length > 0) {
      const { usageError } = await import('../../errors.js');
      throw usageError(`A new rack has no labels to remove (${labels.remove.map((k) => `${k}-`).join(' ')}).`, {
        next: 'Give labels as key=value.',
      });
    }
    const added = await registerRack(ctx, {
      name: args.name,
      stack: args.stack,
      region: args.region,
      profile: args.profile,
      channel: args.channel,
      window: args.window,
      roleArn: args['role-arn'],
      labels,
      alarms: args.alarm.map(String),
      ...(args.monitor !== undefined ? { monitorMinutes: args.monitor } : {}),
    });
    ctx.result(
      added,
      () =>
        `Registered rack ${added.rack.name}: stack ${added.rack.stack} in ${added.rack.region}, ` +
        `version ${added.version ?? '(none)'}, following ${added.rack.channel}.`,
    );
  },
});
