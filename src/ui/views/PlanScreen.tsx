/**
 * The confirmation before any write: the path, each step's notes and migrations, the parameter changes
 * (NoEcho values only as the planner masked them) and the change set's resource changes, replacements
 * first and marked. Long plans scroll.
 */
import { Box, Text } from 'ink';
import { cell } from '../format.js';
import { changeKind, replaces, type PlanView } from '../model/plans.js';
import type { Line } from './ChannelsScreen.js';
import { SafeText } from './SafeText.js';

function planLines(plan: PlanView, describe: (version: string) => string = (v) => v): Line[] {
  const lines: Line[] = [{ text: plan.title, bold: true }];
  if (plan.path.length > 1) lines.push({ text: `Path: ${plan.path.map(describe).join(' → ')}` });
  for (const warning of plan.warnings) lines.push({ text: `Warning: ${warning}`, color: 'yellow' });
  for (const line of plan.lines ?? []) lines.push({ text: line });
  plan.steps.forEach((step, index) => {
    lines.push({ text: '' });
    if (plan.path.length > 1) {
      lines.push({
        text: `Hop ${index + 1}/${plan.steps.length}: ${describe(step.from)} → ${describe(step.to)}${step.barrier ? ' (barrier)' : ''}`,
        bold: true,
      });
    }
    if (step.notes) lines.push({ text: `  Notes: ${step.notes}` });
    if (step.migrations.length > 0) lines.push({ text: `  Migrations: ${step.migrations.join('; ')}` });
    if (step.parameters.length === 0) lines.push({ text: '  Parameters: no changes.', dim: true });
    else {
      lines.push({ text: '  Parameters:' });
      const keyWidth = Math.max(9, ...step.parameters.map((c) => c.key.length + (c.noEcho ? 9 : 0)));
      lines.push({
        text: `    ${cell('PARAMETER', keyWidth)} ${cell('CHANGE', 17)} ${cell('FROM', 16)} TO`,
        dim: true,
      });
      for (const c of step.parameters) {
        lines.push({
          text: `    ${cell(c.key + (c.noEcho ? ' (NoEcho)' : ''), keyWidth)} ${cell(changeKind(c), 17)} ${cell(c.displayOld ?? '-', 16)} ${c.displayNew ?? '-'}`,
        });
      }
    }
    if (!step.resources)
      lines.push({ text: '  Resources: the change set is made when the hop before it has finished.', dim: true });
    else if (step.resources.length === 0) lines.push({ text: '  Resources: no resource changes reported.', dim: true });
    else {
      const replaced = step.resources.filter(replaces).length;
      lines.push({
        text: `  Resources: ${step.resources.length} change${step.resources.length === 1 ? '' : 's'}${replaced ? `, ${replaced} replacing a resource` : ''}`,
      });
      // Replacements first: they are what can lose data or interrupt traffic.
      const ordered = [...step.resources].sort((a, b) => Number(replaces(b)) - Number(replaces(a)));
      for (const r of ordered) {
        const replacement =
          r.action === 'Modify'
            ? r.replacement === 'True'
              ? 'REPLACED'
              : r.replacement === 'Conditional'
                ? 'may be replaced'
                : 'in place'
            : '';
        lines.push({
          text: `    ${cell(r.action, 7)} ${cell(r.logicalId, 28)} ${cell(r.type, 34)} ${replacement}`,
          color: replaces(r) ? 'red' : undefined,
        });
      }
    }
  });
  return lines;
}

export function PlanScreen({
  plan,
  scroll,
  height,
  describe,
}: {
  plan: PlanView;
  scroll: number;
  height: number;
  describe?: (version: string) => string;
}) {
  const lines = planLines(plan, describe);
  const body = height - 1;
  const start = Math.min(scroll, Math.max(0, lines.length - body));
  return (
    <Box flexDirection="column">
      {lines.slice(start, start + body).map((line, i) => (
        <SafeText key={start + i} color={line.color} bold={line.bold} dimColor={line.dim} wrap="truncate-end" keepLine>
          {line.text}
        </SafeText>
      ))}
      <Text>
        <SafeText bold color="yellow">
          {plan.question}
        </SafeText>
        <Text>{'  '}</Text>
        <Text bold>y</Text> <Text dimColor>confirm</Text>
        {'  '}
        <Text bold>n</Text> <Text dimColor>cancel</Text>
        {lines.length > body ? (
          <Text
            dimColor
          >{`  (↑ ↓ scroll, lines ${start + 1}–${Math.min(lines.length, start + body)} of ${lines.length})`}</Text>
        ) : null}
      </Text>
    </Box>
  );
}
