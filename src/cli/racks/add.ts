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
      .option('role-arn', { type: 'string', describe: "IAM role CloudFormation assumes for this rack's updates" }),
  run: async (ctx, args) => {
    const { registerRack } = await import('../../services/racks.js');
    const added = await registerRack(ctx, {
      name: args.name,
      stack: args.stack,
      region: args.region,
      profile: args.profile,
      channel: args.channel,
      window: args.window,
      roleArn: args['role-arn'],
    });
    ctx.result(
      added,
      () =>
        `Registered rack ${added.rack.name}: stack ${added.rack.stack} in ${added.rack.region}, ` +
        `version ${added.version ?? '(none)'}, following ${added.rack.channel}.`,
    );
  },
});
