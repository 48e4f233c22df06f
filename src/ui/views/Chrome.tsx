/** The lines around every screen: the title with refresh state, a notice, and the keys that work here. */
import { Box, Text } from 'ink';
import { clockTime } from '../format.js';
import type { Notice } from '../model/dashboardState.js';
import { SafeText } from './SafeText.js';

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
      <SafeText bold wrap="truncate-end">
        {title}
      </SafeText>
      <Text dimColor>{right ? `${right}  ? help` : '? help'}</Text>
    </Box>
  );
}

export function NoticeLine({ notice }: { notice?: Notice }) {
  if (!notice) return <Text> </Text>;
  return (
    <SafeText color={notice.tone === 'error' ? 'red' : 'cyan'} wrap="truncate-end">
      {notice.text}
    </SafeText>
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
