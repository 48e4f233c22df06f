import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'ssh <id> [command..]',
  describe: "SSH to one of the rack's instances with the rack's key; exits with the remote command's code",
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'Instance id (see `rack instances`)' })
      .positional('command', {
        type: 'string',
        array: true,
        describe: 'Remote command and arguments (after `--` when they have options)',
      })
      .option('user', { type: 'string', default: 'ec2-user', describe: 'Remote user' })
      .option('bastion', { type: 'string', describe: 'Jump host (OpenSSH -J)' })
      .option('ssh-config', { type: 'string', describe: 'OpenSSH config file handed to ssh (-F)' })
      .parserConfiguration({ 'populate--': true, 'unknown-options-as-args': true }),
  run: async (ctx, args) => {
    const { runSsh } = await import('../../services/ssh.js');
    const rest = ((args as { '--'?: unknown[] })['--'] ?? []).map(String);
    const command = [...(args.command ?? []).map(String), ...rest];
    return runSsh(ctx, {
      rack: ctx.options.rack,
      instanceId: args.id,
      user: args.user,
      bastion: args.bastion,
      sshConfig: args['ssh-config'],
      command,
    });
  },
});
