/** The lines around every screen: the title with refresh state, a notice, and the keys that work here. */
import { Box, Text } from 'ink';
import { sanitize } from '../../core/sanitize.js';
import { clockTime } from '../format.js';
import type { Notice } from '../model/dashboardState.js';

export function TitleLine({
  title,
  refreshing,
  refreshedAt,
}: {
  title: string;
  refreshing: number;
  refreshedAt?: number;
}) {
  const right =
    refreshing > 0 ? `refreshing ${refreshing}…` : refreshedAt ? `refreshed ${clockTime(new Date(refreshedAt))}` : '';
  return (
    <Box justifyContent="space-between">
      <Text bold wrap="truncate-end">
        {sanitize(title)}
      </Text>
      <Text dimColor>{right ? `${right}  ? help` : '? help'}</Text>
    </Box>
  );
}

export function NoticeLine({ notice }: { notice?: Notice }) {
  if (!notice) return <Text> </Text>;
  return (
    <Text color={notice.tone === 'error' ? 'red' : 'cyan'} wrap="truncate-end">
      {sanitize(notice.text)}
    </Text>
  );
}

export function KeyHints({ hints }: { hints: readonly [string, string][] }) {
  return (
    <Text wrap="truncate-end">
      {hints.map(([key, what], i) => (
        <Text key={key}>
          {i > 0 ? '  ' : ''}
          <Text bold>{key}</Text> <Text dimColor>{what}</Text>
        </Text>
      ))}
    </Text>
  );
}
