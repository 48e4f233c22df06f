import { defineCommand } from './command.js';
import { describeEffect } from '../core/migrationText.js';
import { renderParameterChanges, renderResourceChanges } from './render/plan.js';
import type { RollbackPlan } from '../services/rollback.js';

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
  writes: (args) => !args['dry-run'],
  run: async (ctx, args) => {
    if (args.skip.length && !args.continue) {
      const { usageError } = await import('../errors.js');
      throw usageError('--skip only goes with --continue.', {
        next: 'Run `rack rollback --continue --skip <logicalId>`.',
      });
    }
    const [{ runLive }, rollback] = await Promise.all([
      import('./liveOperation.js'),
      import('../services/rollback.js'),
    ]);
    if (args.continue) {
      const skip = args.skip.map(String);
      const result = await runLive(ctx, (hooks) => rollback.continueRollback(ctx, ctx.options.rack, skip, hooks), {
        describe: ({ rack }) =>
          `Rack ${rack.name}: continue its failed rollback${skip.length ? `, skipping ${skip.join(', ')}` : ''}.`,
        question: () => `Continue the failed rollback${skip.length ? `, skipping ${skip.join(', ')}` : ''}?`,
        title: ({ rack }) => `Continuing the rollback of ${rack.name}`,
        done: (r) => `${r.status}.`,
      });
      ctx.result(
        { ...result, outcome: 'rollback-continued' },
        () => `The rollback of ${result.rack} finished: ${result.status}.`,
      );
      return;
    }
    const { parseParameterArgs } = await import('../core/parameterChanges.js');
    const params = parseParameterArgs(args.param.map(String), { allowEmpty: true });
    const request = { rack: ctx.options.rack, to: args.to, params, dryRun: args['dry-run'] };
    const result = await runLive(ctx, (hooks) => rollback.runRollback(ctx, request, hooks), {
      describe: renderRollbackPlan,
      question: (plan) => `Roll ${plan.rack.name} back from ${plan.from} to ${plan.target}?`,
      title: (plan) => `Rolling ${plan.rack.name} back from ${plan.from} to ${plan.target}`,
      done: (r) => (r.type === 'rolled-back' ? `Now at ${r.outcome.to}.` : rollback.rollbackSummary(r)),
    });
    if (result.type === 'already-there') {
      ctx.result({ rack: result.rack, target: result.version, outcome: 'already-there' }, () =>
        rollback.rollbackSummary(result),
      );
      return;
    }
    if (result.type === 'recovered') {
      ctx.result(
        {
          rack: result.entry.rack,
          from: result.entry.from,
          target: result.entry.to,
          outcome: 'rolled-back',
          recovered: true,
        },
        () => rollback.rollbackSummary(result),
      );
      return;
    }
    if (result.type === 'dry-run') {
      ctx.result(
        { ...rollbackPlanJson(result.plan), outcome: 'dry-run' },
        () => `${renderRollbackPlan(result.plan)}\n${rollback.rollbackSummary(result)}`,
      );
      return;
    }
    ctx.result(
      { ...rollbackPlanJson(result.plan), outcome: 'rolled-back', durationMs: result.outcome.durationMs },
      () => rollback.rollbackSummary(result),
    );
  },
});

function renderRollbackPlan(plan: RollbackPlan): string {
  return [
    `Rack ${plan.rack.name}: roll back ${plan.from} → ${plan.target} in one hop`,
    ...plan.skipped.map((s) => `  passing over ${s.version} (${s.why})`),
    `  Notes of ${plan.target}: ${plan.notes}`,
    ...(plan.migrations.length ? [`  Undoing migrations: ${plan.migrations.map(describeEffect).join('; ')}`] : []),
    renderParameterChanges(plan.parameters),
    renderResourceChanges(plan.changeSet?.changes ?? []),
  ].join('\n');
}

function rollbackPlanJson(plan: RollbackPlan) {
  return {
    rack: plan.rack.name,
    from: plan.from,
    target: plan.target,
    skipped: plan.skipped,
    migrations: plan.migrations,
    parameters: plan.parameters.filter((p) => p.kind !== 'keep'),
    resourceChanges: plan.changeSet?.changes ?? [],
  };
}
