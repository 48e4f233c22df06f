import { defineCommand } from '../command.js';

export default defineCommand({
  command: 'ssh <id> [command..]',
  describe:
    "SSH to one of the rack's instances with the rack's key, its host key checked against the fingerprints in " +
    "the instance's console output; exits with the remote command's code",
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
      .option('accept-new-host-key', {
        type: 'boolean',
        default: false,
        describe:
          'When the console output shows no host key fingerprints (exit 3 otherwise), trust the key the instance ' +
          'presents on first use. A key that does not match shown fingerprints is refused all the same',
      })
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
      acceptNewHostKey: args['accept-new-host-key'],
      command,
    });
  },
});
