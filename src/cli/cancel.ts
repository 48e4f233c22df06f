import { defineCommand } from './command.js';
import type { CancelPlan } from '../services/cancel.js';

export default defineCommand({
  command: 'cancel',
  describe: "Cancel the rack's update in progress; CloudFormation rolls it back and rack follows the rollback",
  writes: () => true,
  run: async (ctx) => {
    const [{ cancelUpdate }, { runLive }] = await Promise.all([
      import('../services/cancel.js'),
      import('./liveOperation.js'),
    ]);
    const result = await runLive(ctx, (hooks) => cancelUpdate(ctx, ctx.options.rack, hooks), {
      describe: (plan: CancelPlan) =>
        `Rack ${plan.rack.name}: an update is in progress${plan.to ? ` (${plan.from ?? '?'} → ${plan.to})` : ''}.`,
      question: () => 'Cancel the update in progress? CloudFormation will roll it back.',
      title: (plan: CancelPlan) => `Cancelling the update of ${plan.rack.name}`,
      done: (r) => `${r.status}.`,
    });
    ctx.result(
      { ...result, outcome: 'cancelled' },
      () =>
        `The update of ${result.rack} was cancelled and rolled back; the rack runs ${result.version ?? 'its previous release'}.`,
    );
  },
});
