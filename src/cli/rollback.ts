import { defineCommand } from './command.js';
import { describeEffect } from '../core/migrationText.js';
import { renderParameterChanges, renderResourceChanges } from './render/plan.js';

export default defineCommand({
  command: 'rollback',
  describe:
    'Roll the rack back to the release before the current one (or --to), undoing migrations; --continue finishes a failed rollback',
  builder: (y) =>
    y
      .option('to', { type: 'string', describe: 'The release to go back to (default: the previous successful one)' })
      .option('continue', {
        type: 'boolean',
        default: false,
        describe: 'Continue a rollback that failed (UPDATE_ROLLBACK_FAILED)',
      })
      .option('skip', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'With --continue: logical ids of resources to skip',
      })
      .option('param', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'KEY=VALUE, e.g. a secret the older release needs back',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Show the rollback plan; change nothing' }),
  run: async (ctx, args) => {
    if (args.skip.length && !args.continue) {
      const { usageError } = await import('../errors.js');
      throw usageError('--skip only goes with --continue.', {
        next: 'Run `rack rollback --continue --skip <logicalId>`.',
      });
    }
    if (!args['dry-run']) ctx.requireConsent();
    if (args.continue) {
      const { continueRollback } = await import('../services/rollback.js');
      await ctx.confirm(`Continue the failed rollback${args.skip.length ? `, skipping ${args.skip.join(', ')}` : ''}?`);
      const result = await continueRollback(ctx, ctx.options.rack, args.skip.map(String));
      ctx.result(
        { ...result, outcome: 'rollback-continued' },
        () => `The rollback of ${result.rack} finished: ${result.status}.`,
      );
      return;
    }
    const { parseParameterArgs } = await import('../core/parameterChanges.js');
    const params = parseParameterArgs(args.param.map(String), { allowEmpty: true });
    const request = { rack: ctx.options.rack, to: args.to, params };
    const { prepareRollback, discardRollback, runRollback } = await import('../services/rollback.js');
    const render = (plan: Awaited<ReturnType<typeof prepareRollback>>['plan']) =>
      [
        `Rack ${plan.rack.name}: roll back ${plan.from} → ${plan.target} in one hop`,
        ...plan.skipped.map((s) => `  passing over ${s.version} (${s.why})`),
        `  Notes of ${plan.target}: ${plan.notes}`,
        ...(plan.migrations.length ? [`  Undoing migrations: ${plan.migrations.map(describeEffect).join('; ')}`] : []),
        renderParameterChanges(plan.parameters),
        renderResourceChanges(plan.changeSet?.changes ?? []),
      ].join('\n');
    const json = (plan: Awaited<ReturnType<typeof prepareRollback>>['plan']) => ({
      rack: plan.rack.name,
      from: plan.from,
      target: plan.target,
      skipped: plan.skipped,
      migrations: plan.migrations,
      parameters: plan.parameters.filter((p) => p.kind !== 'keep'),
      resourceChanges: plan.changeSet?.changes ?? [],
    });
    if (args['dry-run']) {
      const prepared = await prepareRollback(ctx, request);
      await discardRollback(prepared);
      ctx.result(
        { ...json(prepared.plan), outcome: 'dry-run' },
        () => `${render(prepared.plan)}\nDry run: nothing was changed.`,
      );
      return;
    }
    const { startLiveView } = await import('../ui/live.js');
    let live: Awaited<ReturnType<typeof startLiveView>> | undefined;
    // On a terminal the rollback runs in a live view, started once it is confirmed.
    const { plan, outcome } = await runRollback(ctx, request, async (plan) => {
      ctx.logger.info(render(plan));
      await ctx.confirm(`Roll ${plan.rack.name} back from ${plan.from} to ${plan.target}?`);
      live = await startLiveView(ctx, `Rolling ${plan.rack.name} back from ${plan.from} to ${plan.target}`);
    }).catch(async (error: unknown) => {
      await live?.fail(error);
      throw error;
    });
    await live?.stop({ ok: true, text: `Now at ${outcome.to}.` });
    ctx.result(
      { ...json(plan), outcome: 'rolled-back', durationMs: outcome.durationMs },
      () =>
        `Rack ${outcome.rack} rolled back from ${outcome.from} to ${outcome.to} in ${(outcome.durationMs / 1000).toFixed(1)}s.`,
    );
  },
});
