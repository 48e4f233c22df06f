/**
 * What the confirmation before a write shows, built from a service's plan: the path, each hop's notes,
 * migrations and parameter changes, and the change set's resource changes with replacements. The same
 * view serves updates, rollbacks and parameter changes. NoEcho values arrive masked from the planner.
 */
import type { ResourceChange } from '../../aws/changeSets.js';
import { describeEffect } from '../../core/migrationText.js';
import type { PlannedChange } from '../../core/parameterPlan.js';
import type { KeyrollPlan } from '../../services/keyroll.js';
import type { RollbackPlan } from '../../services/rollback.js';
import type { UpdatePlan } from '../../services/update.js';

export interface PlanStep {
  from: string;
  to: string;
  barrier: boolean;
  notes?: string;
  migrations: string[];
  /** Only what changes; kept parameters are left out. */
  parameters: PlannedChange[];
  /** Undefined: the change set is made when the step before it has finished. */
  resources?: ResourceChange[];
}

export interface PlanView {
  /** "Update prod from 1.2.0 to 1.3.1 (channel stable)". */
  title: string;
  /** Versions from the current one to the target; empty for a change that stays on a release. */
  path: string[];
  warnings: string[];
  /** What else the write will do, one line each (a keyroll's instances). */
  lines?: string[];
  steps: PlanStep[];
  question: string;
}

const changed = (changes: readonly PlannedChange[]) => changes.filter((c) => c.kind !== 'keep');

export function updatePlanView(plan: UpdatePlan): PlanView {
  return {
    title: `Update ${plan.rack.name} from ${plan.from} to ${plan.target} (channel ${plan.channel})`,
    path: [plan.from, ...plan.hops.map((h) => h.to)],
    warnings: plan.warnings,
    steps: plan.hops.map((hop, index) => ({
      from: hop.from,
      to: hop.to,
      barrier: hop.barrier,
      notes: hop.notes,
      migrations: hop.migrations.map(describeEffect),
      parameters: changed(hop.parameters),
      resources: index === 0 ? (plan.firstChangeSet?.changes ?? []) : undefined,
    })),
    question: `Update ${plan.rack.name} to ${plan.target}?`,
  };
}

/** A rollback plan as rollback.ts shapes it; only the fields the view needs. */
export type RollbackPlanLike = Pick<
  RollbackPlan,
  'from' | 'target' | 'notes' | 'skipped' | 'migrations' | 'parameters'
> & {
  rack: { name: string };
  changeSet?: { changes: ResourceChange[] };
};

export function rollbackPlanView(plan: RollbackPlanLike): PlanView {
  return {
    title: `Roll ${plan.rack.name} back from ${plan.from} to ${plan.target}`,
    path: [plan.from, plan.target],
    warnings: plan.skipped.map((s) => `skipping ${s.version}: ${s.why}`),
    steps: [
      {
        from: plan.from,
        to: plan.target,
        barrier: false,
        notes: plan.notes,
        migrations: plan.migrations.map(describeEffect),
        parameters: changed(plan.parameters),
        resources: plan.changeSet?.changes ?? [],
      },
    ],
    question: `Roll ${plan.rack.name} back to ${plan.target}?`,
  };
}

export function parametersPlanView(
  rack: string,
  version: string | undefined,
  parameters: readonly PlannedChange[],
  resources: ResourceChange[],
): PlanView {
  const v = version ?? '?';
  return {
    title: `Change the parameters of ${rack}`,
    path: [],
    warnings: [],
    steps: [{ from: v, to: v, barrier: false, migrations: [], parameters: changed(parameters), resources }],
    question: `Apply these changes to ${rack}?`,
  };
}

/** A keyroll plan as keyroll.ts shapes it; only the fields the view needs. */
export type KeyrollPlanLike = Pick<
  KeyrollPlan,
  'currentKey' | 'instances' | 'desired' | 'floor' | 'surge' | 'pruneOld' | 'warnings' | 'mustAcknowledge'
> & {
  rack: { name: string };
  resuming?: { keyName: string; replaced: number; stackUpdated: boolean };
};

export function keyrollPlanView(plan: KeyrollPlanLike): PlanView {
  const count = `${plan.instances.length} instance${plan.instances.length === 1 ? '' : 's'}`;
  return {
    title: `Keyroll of ${plan.rack.name}: a new SSH key pair, the stack's Key changed, ${count} replaced one at a time`,
    path: [],
    warnings: plan.warnings,
    lines: [
      `Key now: ${plan.currentKey || '(none)'}`,
      ...(plan.resuming
        ? [
            `Continuing the keyroll to ${plan.resuming.keyName}: ${plan.resuming.replaced} replaced so far${plan.resuming.stackUpdated ? ', the stack already uses it' : ''}`,
          ]
        : []),
      `In service throughout: at least ${plan.floor} of ${plan.desired}${plan.surge ? ' (one extra instance meanwhile)' : ''}`,
      ...plan.instances.map(
        (i) => `Replace ${i.instanceId} (key ${i.keyName ?? 'none'}${i.registered ? '' : ', not in ECS'})`,
      ),
      ...(plan.pruneOld ? ['Then delete the older key pairs no instance uses'] : []),
    ],
    steps: [],
    question: plan.mustAcknowledge
      ? `Accept the warnings and roll the key of ${plan.rack.name}?`
      : `Roll the SSH key of ${plan.rack.name} and replace ${count}?`,
  };
}

/** "set", "set by migration", "new (default)", "removed" — as the plain preview says it. */
export function changeKind(c: PlannedChange): string {
  if (c.kind === 'removed') return 'removed';
  if (c.kind === 'new-default') return 'new (default)';
  return c.source === 'migration' || c.source === 'rename' ? `set by ${c.source}` : 'set';
}

/** True when a resource change replaces the resource (or may). */
export const replaces = (change: ResourceChange) =>
  change.action === 'Modify' && (change.replacement === 'True' || change.replacement === 'Conditional');
