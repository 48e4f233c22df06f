import { defineCommand } from './command.js';
import { table } from './table.js';
import type { RackSyncPlan, RackSyncResult, RolloutSummary, SyncReport } from '../services/sync.js';

export default defineCommand({
  command: 'sync [racks..]',
  describe:
    "Bring racks to their pinned channels' targets: unstable first, then stable; maintenance windows, rollout waves, halts and known risks respected",
  builder: (y) =>
    y
      .positional('racks', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'Racks to sync (or --all)',
      })
      .option('all', { type: 'boolean', default: false, describe: 'Sync every registered rack' })
      .option('selector', {
        type: 'string',
        describe: 'Sync the racks whose labels match, e.g. tier=canary or tier=canary,region=eu',
      })
      .option('max-parallel', { type: 'number', default: 4, describe: 'Racks of one channel updating at once' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: "Show each rack's plan (from → target, path, window); change nothing",
      })
      .option('now', {
        type: 'boolean',
        default: false,
        describe: 'Update racks outside their maintenance windows too',
      }),
  writes: (args) => !args['dry-run'],
  run: async (ctx, args) => {
    const maxParallel = args['max-parallel'];
    if (!Number.isInteger(maxParallel) || maxParallel < 1) {
      const { usageError } = await import('../errors.js');
      throw usageError(`--max-parallel must be a whole number of at least 1 (got ${String(maxParallel)}).`, {
        next: 'For example: --max-parallel 4.',
      });
    }
    const selector =
      args.selector === undefined ? undefined : (await import('../core/labels.js')).parseSelector(args.selector);
    const request = {
      racks: args.racks.map(String),
      all: args.all,
      maxParallel,
      now: args.now,
      ...(selector ? { selector } : {}),
    };
    const sync = await import('../services/sync.js');

    if (args['dry-run']) {
      const plans = await sync.planSync(ctx, request);
      const actions = plans.map((plan) => sync.plannedAction(plan, request.now));
      const failing = plans.find((_plan, i) => actions[i]!.action === 'fail');
      const exitCode = failing?.problem?.exitCode ?? 0;
      ctx.result(
        {
          dryRun: true,
          exitCode,
          racks: plans.map((plan, i) => ({ ...planJson(plan), action: actions[i]!.action, plan: actions[i]!.text })),
        },
        () =>
          `${renderPlans(
            plans,
            actions.map((a) => a.text),
          )}\n\nDry run: nothing was changed.`,
      );
      return exitCode;
    }

    const [{ startLiveView }, { waveState }] = await Promise.all([
      import('../ui/live.js'),
      import('../core/rollout.js'),
    ]);
    let live: Awaited<ReturnType<typeof startLiveView>> | undefined;
    // On a terminal the racks run in a live view, started once the batch is confirmed.
    const { report } = await sync
      .runSync(ctx, request, async (plans) => {
        const moving = plans.filter((plan) => sync.plannedAction(plan, request.now).action === 'update');
        ctx.logger.info(
          renderPlans(
            plans,
            plans.map((plan) => sync.plannedAction(plan, request.now).text),
          ),
        );
        await ctx.confirm(
          `Update ${moving.length === 1 ? `rack ${moving[0]!.rack.name}` : `these ${moving.length} racks`} (${moving.map((p) => `${p.rack.name} ${p.from} → ${p.target}`).join(', ')})?`,
        );
        live = await startLiveView(ctx, `Syncing ${moving.length} rack${moving.length === 1 ? '' : 's'}`);
      })
      .catch(async (error: unknown) => {
        await live?.fail(error);
        throw error;
      });
    await live?.stop({
      ok: report.exitCode === 0,
      text: report.exitCode === 0 ? 'Every rack is where its channel says.' : 'Some racks failed; see the table.',
    });
    ctx.result(report, () =>
      [
        renderResults(report.racks, sync.resultText),
        ...(report.rollouts ? [renderRollouts(report.rollouts, waveState)] : []),
      ].join('\n\n'),
    );
    return report.exitCode;
  },
});

function planJson(plan: RackSyncPlan) {
  return {
    rack: plan.rack.name,
    channel: plan.channel,
    from: plan.from,
    target: plan.target,
    path: plan.path,
    ...(plan.rollout ? { rollout: plan.rollout } : {}),
    ...(plan.risks?.length
      ? {
          risks: plan.risks.map((r) => ({
            name: r.name,
            release: r.release,
            message: r.message,
            url: r.url,
            why: r.why,
            unknown: r.unknown,
          })),
        }
      : {}),
    ...(plan.window
      ? {
          window: {
            spec: plan.window.spec,
            open: plan.window.open,
            next: plan.window.next?.toISOString(),
            text: plan.window.text,
          },
        }
      : {}),
    ...(plan.problem
      ? {
          problem: {
            kind: plan.problem.kind,
            exitCode: plan.problem.exitCode,
            message: plan.problem.message,
            next: plan.problem.next,
          },
        }
      : {}),
  };
}

function renderPlans(plans: RackSyncPlan[], texts: string[]): string {
  const rows = plans.map((plan, i) => [
    plan.rack.name,
    plan.channel,
    plan.from ?? '?',
    plan.target ?? '?',
    plan.path.length ? plan.path.join(' → ') : '-',
    texts[i]!,
  ]);
  return table(['RACK', 'CHANNEL', 'FROM', 'TO', 'PATH', 'PLAN'], rows);
}

function renderResults(results: RackSyncResult[], text: (result: RackSyncResult) => string): string {
  const rows = results.map((r) => [
    r.rack,
    r.channel,
    r.from ?? '?',
    r.outcome === 'updated' || r.outcome === 'up-to-date' ? (r.reached ?? '?') : (r.target ?? '?'),
    r.durationMs === undefined ? '-' : `${(r.durationMs / 1000).toFixed(1)}s`,
    text(r),
  ]);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const summary = [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  return `${table(['RACK', 'CHANNEL', 'FROM', 'TO', 'DURATION', 'RESULT'], rows)}\n\n${results.length} rack${results.length === 1 ? '' : 's'}: ${summary}.`;
}

function renderRollouts(
  rollouts: NonNullable<SyncReport['rollouts']>,
  waveState: (wave: RolloutSummary['waves'][number]) => string,
): string {
  return rollouts
    .map((r) => {
      const waves = r.waves.map((w) => `${w.name} ${waveState(w)}`).join(' · ');
      return `Rollout of ${r.version} on ${r.channel}: ${r.halted ? `HALTED by ${r.halted.by}: ${r.halted.reason}` : waves}`;
    })
    .join('\n');
}
