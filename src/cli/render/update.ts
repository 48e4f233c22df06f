/** Plain-text rendering of an update plan: the path, each release's notes, each hop's parameters. */
import { describeEffect } from '../../core/migrationText.js';
import type { UpdatePlan } from '../../services/update.js';
import { renderParameterChanges, renderResourceChanges } from './plan.js';

export function renderUpdatePlan(plan: UpdatePlan): string {
  const lines = [
    `Rack ${plan.rack.name}: ${plan.from} → ${plan.target} (channel ${plan.channel}), ${plan.hops.length} hop${plan.hops.length === 1 ? '' : 's'}: ${[plan.from, ...plan.hops.map((h) => h.to)].join(' → ')}`,
  ];
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`);
  plan.hops.forEach((hop, index) => {
    lines.push('', `Hop ${index + 1}/${plan.hops.length}: ${hop.from} → ${hop.to}${hop.barrier ? ' (barrier)' : ''}`);
    lines.push(`  Notes: ${hop.notes}`);
    if (hop.migrations.length > 0) lines.push(`  Migrations: ${hop.migrations.map(describeEffect).join('; ')}`);
    lines.push(indent(renderParameterChanges(hop.parameters)));
    if (index === 0 && plan.firstChangeSet) lines.push(indent(renderResourceChanges(plan.firstChangeSet.changes)));
    else if (index > 0) lines.push('  Resources: the change set is made when the hop before it has finished.');
  });
  return lines.join('\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** The plan as --json shows it: no secrets (NoEcho values are already masked by the planner). */
export function updatePlanJson(plan: UpdatePlan) {
  return {
    rack: plan.rack.name,
    channel: plan.channel,
    from: plan.from,
    target: plan.target,
    path: plan.hops.map((h) => h.to),
    warnings: plan.warnings,
    hops: plan.hops.map((hop, index) => ({
      from: hop.from,
      to: hop.to,
      barrier: hop.barrier,
      notes: hop.notes,
      migrations: hop.migrations,
      parameters: hop.parameters.filter((p) => p.kind !== 'keep'),
      ...(index === 0 && plan.firstChangeSet
        ? { changeSet: plan.firstChangeSet.name, resourceChanges: plan.firstChangeSet.changes }
        : {}),
    })),
  };
}
