import { defineCommand } from './command.js';
import type { UninstallPlan } from '../services/uninstall.js';

function describeUninstall(plan: UninstallPlan): string {
  const { rack } = plan;
  if (!plan.stackExists) {
    return `Stack ${rack.stack} no longer exists in ${rack.region}; only the registry entry of ${rack.name} will be removed (its history is kept).`;
  }
  const lines = [
    `Uninstall rack ${rack.name}: delete stack ${rack.stack} in ${rack.region}${plan.version ? ` (release ${plan.version})` : ''}, with every resource it created.`,
  ];
  const bucket = plan.settingsBucket;
  const count = plan.settingsObjects;
  if (bucket && count === undefined) lines.push(`The settings bucket ${bucket} no longer exists.`);
  else if (bucket && count === 0)
    lines.push(
      `The settings bucket ${bucket}, where the rack keeps its keys and private data, is empty; it goes with the stack.`,
    );
  else if (bucket) {
    lines.push(
      `The settings bucket ${bucket} holds the rack's keys and private data: its ${count} object${count === 1 ? '' : 's'} (versions and delete markers included) are deleted first, for good.`,
    );
  }
  lines.push(`The rack is then removed from the registry; its history is kept.`);
  return lines.join('\n');
}

export default defineCommand({
  command: 'uninstall <name>',
  describe: "Delete a rack's stack (emptying its settings bucket first) and remove it from the registry",
  builder: (y) =>
    y.positional('name', { type: 'string', demandOption: true, describe: 'The registered rack to uninstall' }),
  writes: () => true,
  run: async (ctx, args) => {
    const [{ runUninstall }, { runLive }] = await Promise.all([
      import('../services/uninstall.js'),
      import('./liveOperation.js'),
    ]);
    const { plan, outcome } = await runLive(ctx, (hooks) => runUninstall(ctx, args.name, hooks), {
      describe: describeUninstall,
      question: (plan) =>
        plan.stackExists
          ? `Delete stack ${plan.rack.stack} and everything in ${plan.settingsBucket ?? 'it'}? This cannot be undone.`
          : `Remove ${plan.rack.name} from the registry?`,
      title: (plan) => `Uninstalling ${plan.rack.name}`,
      done: (r) => (r.outcome.outcome === 'forgotten' ? 'Removed from the registry.' : 'Stack deleted.'),
    });
    ctx.result(
      { ...outcome, settingsBucket: plan.settingsBucket ?? null, version: plan.version ?? null, historyKept: true },
      () =>
        outcome.outcome === 'forgotten'
          ? `Removed ${outcome.rack} from the registry; its stack ${outcome.stack} was already gone. Its history is kept in ${outcome.history}.`
          : `Uninstalled ${outcome.rack}: deleted stack ${outcome.stack} in ${outcome.region}` +
            `${plan.settingsBucket ? ` and ${outcome.objectsDeleted} object${outcome.objectsDeleted === 1 ? '' : 's'} of ${plan.settingsBucket}` : ''}. Its history is kept in ${outcome.history}.`,
    );
  },
});
