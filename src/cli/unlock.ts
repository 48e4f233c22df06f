import { defineCommand } from './command.js';

export default defineCommand({
  command: 'unlock',
  describe: "Show who holds the rack's lock; --force breaks a stale one (and records that it did)",
  builder: (y) => y.option('force', { type: 'boolean', default: false, describe: 'Break the lock if it is stale' }),
  run: async (ctx, args) => {
    const { showLock, breakStaleLock } = await import('../services/unlock.js');
    if (!args.force) {
      const shown = await showLock(ctx, ctx.options.rack);
      ctx.result(shown, () =>
        shown.holder
          ? `Rack ${shown.rack} is locked by ${shown.description}${shown.stale ? `; the lock is stale: ${shown.stale}. Break it with --force.` : '; the lock is live.'}`
          : `Rack ${shown.rack} is not locked.`,
      );
      return;
    }
    const broken = await breakStaleLock(ctx, ctx.options.rack);
    ctx.result(broken, () =>
      broken.holder
        ? `Broke the stale lock of ${broken.rack} held by ${broken.description}.`
        : `Rack ${broken.rack} was not locked.`,
    );
  },
});
