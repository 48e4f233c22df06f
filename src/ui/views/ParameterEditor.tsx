/**
 * Changing one parameter: the value as typed (a NoEcho value only as asterisks), checked by the
 * parameter-safety layer on every key, with its problems listed until there are none.
 */
import { Box, Text } from 'ink';
import { MASK } from '../../core/redact.js';
import { sanitize } from '../../core/sanitize.js';
import type { EditorState } from '../model/dashboardState.js';

export function ParameterEditor({ editor }: { editor: EditorState }) {
  const shown = editor.secret ? '*'.repeat(editor.value.length) : editor.value;
  const { check } = editor;
  return (
    <Box flexDirection="column">
      <Text
        bold
      >{`Change ${editor.key} of ${editor.rack}${editor.secret ? ' (NoEcho: the value is never shown)' : ''}`}</Text>
      {editor.description ? (
        <Text dimColor wrap="truncate-end">
          {sanitize(editor.description)}
        </Text>
      ) : null}
      {editor.constraint ? (
        <Text dimColor wrap="truncate-end">
          {sanitize(`Allowed: ${editor.constraint}`)}
        </Text>
      ) : null}
      {editor.secret ? <Text dimColor>{`Current value: ${MASK} (type the new value)`}</Text> : null}
      <Text> </Text>
      <Text>
        <Text bold>{`${editor.key} = `}</Text>
        <Text>{sanitize(shown)}</Text>
        <Text inverse> </Text>
      </Text>
      <Text> </Text>
      {check.problems.length > 0 ? (
        check.problems.map((problem, i) => (
          <Text key={i} color="red" wrap="wrap">
            {sanitize(`✗ ${problem}`, { multiline: true })}
          </Text>
        ))
      ) : check.unchanged ? (
        <Text dimColor>This is the value it has now.</Text>
      ) : (
        <Text color="green">
          {sanitize(
            `✓ allowed${check.change?.displayOld !== undefined ? ` (${check.change.displayOld} → ${check.change.displayNew ?? '-'})` : ''}; enter shows the plan`,
          )}
        </Text>
      )}
    </Box>
  );
}
