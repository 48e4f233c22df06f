/** How `rack instances` and the keyroll show instances and plans, as text. */
import type { InstancesView } from '../../services/instances.js';
import type { KeyrollPlan } from '../../services/keyroll.js';
import { table } from '../table.js';

/** "just now", "59 minutes ago", "1 hour ago", "3 days ago" (the seed document's STARTED column). */
export function ago(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  if (seconds < 10) return 'just now';
  for (const [size, name] of units) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${name}${count === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}

const pct = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(2)}%`);

export function instancesTable(view: InstancesView, now: Date): string {
  if (view.instances.length === 0) return `Rack ${view.rack} has no instances.`;
  const ecs = view.cluster !== undefined;
  const headers = [
    'ID',
    'STATE',
    'HEALTH',
    'ZONE',
    'TYPE',
    'LAUNCHED',
    'KEY',
    ...(ecs ? ['ECS', 'TASKS', 'CPU', 'MEM'] : []),
  ];
  const rows = view.instances.map((i) => [
    i.id,
    i.state,
    i.health,
    i.zone || '-',
    i.type ?? '-',
    i.launchedAt ? ago(new Date(i.launchedAt), now) : '-',
    view.key === '' ? '-' : i.currentKey ? 'current' : 'old',
    ...(ecs
      ? i.ecs
        ? [i.ecs.status.toLowerCase(), String(i.ecs.runningTasks), pct(i.ecs.cpuReserved), pct(i.ecs.memoryReserved)]
        : ['-', '-', '-', '-']
      : []),
  ]);
  return table(headers, rows);
}

export function keyrollPlanText(plan: KeyrollPlan): string {
  const lines: string[] = [];
  if (plan.resuming) {
    lines.push(
      `Continuing the keyroll of ${plan.rack.name} started ${plan.resuming.startedAt}: key pair ${plan.resuming.keyName}, ` +
        `${plan.resuming.stackUpdated ? 'the stack already names it' : 'the stack update still to do'}, ${plan.resuming.replaced} instance(s) replaced so far.`,
    );
  } else {
    lines.push(
      `Keyroll of ${plan.rack.name} (stack ${plan.rack.stack}): a new ed25519 key pair replaces ${plan.currentKey ? `key pair ${plan.currentKey}` : 'no key'}.`,
    );
  }
  const count = plan.instances.length;
  lines.push(
    `${count} instance${count === 1 ? '' : 's'} to replace, one at a time, drained first; at least ${plan.floor} of ${plan.desired} stay in service` +
      `${plan.surge ? ' (--surge: one extra instance for the duration)' : ''}.`,
  );
  for (const i of plan.instances)
    lines.push(
      `  ${i.instanceId}  key ${i.keyName ?? '(none)'}${i.registered ? '' : '  (not registered with the cluster)'}`,
    );
  if (plan.pruneOld) lines.push('Older key pairs of this rack are deleted at the end (--prune-old).');
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}
