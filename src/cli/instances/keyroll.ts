import { defineCommand } from '../command.js';
import { RackError } from '../../errors.js';

export default defineCommand({
  command: 'keyroll',
  describe: "Roll the rack's SSH key: a new key pair, the stack's Key changed, instances replaced one at a time",
  builder: (y) =>
    y
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Accept the preflight warnings (services that will see downtime) without asking',
      })
      .option('surge', {
        type: 'boolean',
        default: false,
        describe: 'Add one instance for the duration, so that every instance stays in service',
      })
      .option('prune-old', {
        type: 'boolean',
        default: false,
        describe: "Delete the rack's older key pairs at the end (kept by default, for forensics)",
      }),
  run: async (ctx, args) => {
    ctx.requireConsent();
    const { runKeyroll } = await import('../../services/keyroll.js');
    const { keyrollPlanText } = await import('./format.js');
    const { startLiveView } = await import('../../ui/live.js');
    let live: Awaited<ReturnType<typeof startLiveView>> | undefined;
    const outcome = await runKeyroll(
      ctx,
      { rack: ctx.options.rack, force: args.force, surge: args.surge, pruneOld: args['prune-old'] },
      async (plan) => {
        ctx.logger.info(keyrollPlanText(plan));
        // Preflight warnings need an answer even with --yes: only --force accepts them unasked.
        if (plan.mustAcknowledge && !(await ctx.prompts.confirm('Accept these warnings?'))) {
          throw new RackError('internal', 'Cancelled at the preflight warnings.', {
            untouched: 'Nothing was changed.',
          });
        }
        await ctx.confirm(`Roll the SSH key of ${plan.rack.name} and replace ${plan.instances.length} instance(s)?`);
        live = await startLiveView(ctx, `Keyroll of ${plan.rack.name}`);
      },
    ).catch(async (error: unknown) => {
      await live?.fail(error);
      throw error;
    });
    await live?.stop({ ok: true, text: `Every instance runs ${outcome.keyName}.` });
    ctx.result(outcome, () =>
      [
        `Rack ${outcome.rack} now uses key pair ${outcome.keyName} (${outcome.fingerprint}); ${outcome.replaced.length} instance(s) replaced in ${(outcome.durationMs / 1000).toFixed(1)}s${outcome.resumed ? ', continuing a stopped keyroll' : ''}.`,
        ...(outcome.pruned.length ? [`Pruned old key pairs: ${outcome.pruned.join(', ')}.`] : []),
      ].join('\n'),
    );
  },
});
