import { defineCommand } from '../command.js';
import keyroll from './keyroll.js';
import ssh from './ssh.js';
import terminate from './terminate.js';

export default defineCommand({
  command: 'instances',
  describe: "The rack's instances (state, health, zone, key, ECS tasks and reservations); keyroll, ssh, terminate",
  subcommands: [keyroll, ssh, terminate],
  run: async (ctx) => {
    const { listInstances } = await import('../../services/instances.js');
    const { instancesTable } = await import('./format.js');
    const view = await listInstances(ctx, ctx.options.rack);
    ctx.result(view, () => instancesTable(view, ctx.clock.now()));
  },
});
