import { defineCommand } from '../command.js';

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
  writes: () => true,
  run: async (ctx, args) => {
    const [{ runKeyroll, keyrollSummary }, { keyrollPlanText }, { runLive }, { declined }] = await Promise.all([
      import('../../services/keyroll.js'),
      import('./format.js'),
      import('../liveOperation.js'),
      import('../../errors.js'),
    ]);
    const request = { rack: ctx.options.rack, force: args.force, surge: args.surge, pruneOld: args['prune-old'] };
    const outcome = await runLive(ctx, (hooks) => runKeyroll(ctx, request, hooks), {
      describe: keyrollPlanText,
      // Preflight warnings need an answer even with --yes: only --force accepts them unasked.
      acknowledge: async (plan) => {
        if (plan.mustAcknowledge && !(await ctx.prompts.confirm('Accept these warnings?'))) {
          throw declined('Declined at the preflight warnings.', { untouched: 'Nothing was changed.' });
        }
      },
      question: (plan) => `Roll the SSH key of ${plan.rack.name} and replace ${plan.instances.length} instance(s)?`,
      title: (plan) => `Keyroll of ${plan.rack.name}`,
      done: (o) => `Every instance runs ${o.keyName}.`,
    });
    ctx.result(outcome, () =>
      [
        keyrollSummary(outcome),
        ...(outcome.pruned.length ? [`Pruned old key pairs: ${outcome.pruned.join(', ')}.`] : []),
      ].join('\n'),
    );
  },
});
