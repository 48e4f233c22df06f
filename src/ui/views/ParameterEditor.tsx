/**
 * Changing one parameter: the value as typed (a NoEcho value only as asterisks), checked by the
 * parameter-safety layer on every key, with its problems listed until there are none.
 */
import { Box, Text } from 'ink';
import { MASK } from '../../core/redact.js';
import type { EditorState } from '../model/dashboardState.js';
import { SafeText } from './SafeText.js';

export function ParameterEditor({ editor }: { editor: EditorState }) {
  const shown = editor.secret ? '*'.repeat(editor.value.length) : editor.value;
  const { check } = editor;
  return (
    <Box flexDirection="column">
      <SafeText bold>
        {`Change ${editor.key} of ${editor.rack}${editor.secret ? ' (NoEcho: the value is never shown)' : ''}`}
      </SafeText>
      {editor.description ? (
        <SafeText dimColor wrap="truncate-end">
          {editor.description}
        </SafeText>
      ) : null}
      {editor.constraint ? (
        <SafeText dimColor wrap="truncate-end">
          {`Allowed: ${editor.constraint}`}
        </SafeText>
      ) : null}
      {editor.secret ? <Text dimColor>{`Current value: ${MASK} (type the new value)`}</Text> : null}
      <Text> </Text>
      <Text>
        <SafeText bold>{`${editor.key} = `}</SafeText>
        <SafeText>{shown}</SafeText>
        <Text inverse> </Text>
      </Text>
      <Text> </Text>
      {check.problems.length > 0 ? (
        check.problems.map((problem, i) => (
          <SafeText key={i} color="red" wrap="wrap" multiline>
            {`✗ ${problem}`}
          </SafeText>
        ))
      ) : check.unchanged ? (
        <Text dimColor>This is the value it has now.</Text>
      ) : (
        <SafeText color="green">
          {`✓ allowed${check.change?.displayOld !== undefined ? ` (${check.change.displayOld} → ${check.change.displayNew ?? '-'})` : ''}; enter shows the plan`}
        </SafeText>
      )}
    </Box>
  );
}
