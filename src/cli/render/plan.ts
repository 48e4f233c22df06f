/** Plain-text rendering of a parameter plan and a change set, shown before any write. */
import type { ResourceChange } from '../../aws/changeSets.js';
import type { PlannedChange } from '../../core/parameterPlan.js';
import { table } from '../table.js';

export function renderParameterChanges(changes: readonly PlannedChange[]): string {
  const changed = changes.filter((c) => c.kind !== 'keep');
  if (changed.length === 0) return 'Parameters: no changes.';
  return [
    'Parameters:',
    indent(
      table(
        ['PARAMETER', 'CHANGE', 'FROM', 'TO'],
        changed.map((c) => [
          c.key + (c.noEcho ? ' (NoEcho)' : ''),
          describeKind(c),
          c.displayOld ?? '-',
          c.displayNew ?? '-',
        ]),
      ),
    ),
  ].join('\n');
}

function describeKind(c: PlannedChange): string {
  if (c.kind === 'removed') return 'removed';
  if (c.kind === 'new-default') return 'new (default)';
  return c.source === 'user' ? 'set' : c.source === 'migration' || c.source === 'rename' ? `set by ${c.source}` : 'set';
}

export function renderResourceChanges(changes: readonly ResourceChange[]): string {
  if (changes.length === 0) return 'Resources: no resource changes reported.';
  return [
    'Resources:',
    indent(
      table(
        ['ACTION', 'RESOURCE', 'TYPE', 'REPLACEMENT'],
        changes.map((c) => [c.action, c.logicalId, c.type, c.action === 'Modify' ? (c.replacement ?? '-') : '-']),
      ),
    ),
  ].join('\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
