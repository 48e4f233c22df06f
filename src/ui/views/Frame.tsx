/**
 * The whole dashboard frame for a state: title, the screen the state is on, a notice line and the keys
 * that work there. A pure view: everything it shows comes from the state.
 */
import { Box, Text } from 'ink';
import { cell } from '../format.js';
import type { DashboardState } from '../model/dashboardState.js';
import { KEY_HELP } from '../model/keys.js';
import { tableHeight, tableWindow } from '../model/racks.js';
import { ChannelsScreen } from './ChannelsScreen.js';
import { KeyHints, NoticeLine, TitleLine } from './Chrome.js';
import { OperationProgress } from './OperationProgress.js';
import { ParameterEditor } from './ParameterEditor.js';
import { PlanScreen } from './PlanScreen.js';
import { RackDetails } from './RackDetails.js';
import { RackTable } from './RackTable.js';
import { SafeText } from './SafeText.js';

export interface FrameProps {
  state: DashboardState;
}

type Hints = readonly [string, string][];

const LIST_HINTS: Hints = [
  ['enter', 'details'],
  ['u', 'update'],
  ['r', 'rollback'],
  ['p', 'params'],
  ['i', 'instances'],
  ['K', 'keyroll'],
  ['c', 'channels'],
  ['/', 'filter'],
  ['q', 'quit'],
];
const DETAILS_HINTS: Hints = [
  ['tab', 'switch'],
  ['enter', 'edit parameter'],
  ['u', 'update'],
  ['r', 'rollback'],
  ['K', 'keyroll'],
  ['esc', 'back'],
  ['q', 'quit'],
];
const BACK_HINTS: Hints = [
  ['↑ ↓', 'scroll'],
  ['esc', 'back'],
  ['q', 'quit'],
];
const EDIT_HINTS: Hints = [
  ['enter', 'show the plan'],
  ['ctrl-u', 'clear'],
  ['esc', 'cancel'],
];
const RUNNING_HINTS: Hints = [['ctrl-c', 'stop following (CloudFormation keeps working)']];
const DONE_HINTS: Hints = [
  ['enter', 'back to the racks'],
  ['q', 'quit'],
];

export function Frame({ state }: FrameProps) {
  const { viewport, catalog } = state;
  const describe = (version: string) => (catalog && !catalog.has(version) ? `${version} (unknown release)` : version);
  const body = tableHeight(viewport) + 1;
  return (
    <Box flexDirection="column" width={viewport.columns}>
      <TitleLine title={title(state)} refreshing={state.refreshing} refreshedAt={state.refreshedAt} />
      {state.help ? <HelpScreen /> : <Screen state={state} height={body} describe={describe} />}
      <StatusLine state={state} />
      <KeyHints
        hints={
          state.help
            ? [
                ['any key', 'close help'],
                ['q', 'quit'],
              ]
            : hintsFor(state)
        }
      />
    </Box>
  );
}

function title(state: DashboardState): string {
  switch (state.screen) {
    case 'list': {
      const count = state.racks.length;
      const all = `${count} rack${count === 1 ? '' : 's'}`;
      if (!state.filter.text || state.filter.editing) return `rack — ${all}`;
      const { visible } = tableWindow(state.racks, state.filter.text, state.selected, state.offset, state.viewport);
      return `rack — ${visible.length} of ${all} matching "${state.filter.text}" (esc clears)`;
    }
    case 'details':
    case 'edit':
      return `rack — ${state.details?.rack ?? ''}`;
    case 'channels':
      return 'rack — channels';
    case 'operation':
      return `rack — ${state.operation?.label ?? ''} of ${state.operation?.rack ?? ''}`;
  }
}

function Screen({
  state,
  height,
  describe,
}: {
  state: DashboardState;
  height: number;
  describe?: (v: string) => string;
}) {
  switch (state.screen) {
    case 'list':
      if (!state.loaded) return <Text dimColor>Reading the rack registry…</Text>;
      if (state.registryProblem) {
        return (
          <SafeText color="red" multiline>
            {state.registryProblem}
          </SafeText>
        );
      }
      return (
        <RackTable
          racks={state.racks}
          filter={state.filter.text}
          selected={state.selected}
          offset={state.offset}
          viewport={state.viewport}
          now={state.now}
        />
      );
    case 'details':
      return state.details ? (
        <RackDetails
          details={state.details}
          entry={state.racks.find((e) => e.rack.name === state.details!.rack)}
          viewport={state.viewport}
          now={state.now}
        />
      ) : null;
    case 'channels':
      return <ChannelsScreen channels={state.channels} scroll={state.channelsScroll} height={height} />;
    case 'edit':
      return state.editor ? <ParameterEditor editor={state.editor} /> : null;
    case 'operation': {
      const op = state.operation;
      if (!op) return null;
      if (op.phase === 'confirm' && op.plan)
        return <PlanScreen plan={op.plan} scroll={op.planScroll} height={height} describe={describe} />;
      if (op.progress && (op.phase !== 'planning' || op.progress.racks.length > 0))
        return (
          <OperationProgress state={op.progress} height={height} width={state.viewport.columns} describe={describe} />
        );
      if (op.result) {
        return (
          <SafeText color={op.result.ok ? 'green' : 'red'} wrap="wrap" multiline>
            {`${op.result.ok ? '✓' : '✗'} ${op.result.text}`}
          </SafeText>
        );
      }
      return (
        <Box flexDirection="column">
          <Text
            dimColor
          >{`Planning the ${op.label} of ${op.rack}: reading the stack, the releases and the change set…`}</Text>
          {op.progress?.warnings.map((warning, i) => (
            <SafeText key={i} color="yellow" wrap="truncate-end">
              {`Warning: ${warning}`}
            </SafeText>
          ))}
        </Box>
      );
    }
  }
}

function StatusLine({ state }: { state: DashboardState }) {
  if (state.screen === 'list' && state.filter.editing) {
    const { visible } = tableWindow(state.racks, state.filter.text, state.selected, state.offset, state.viewport);
    return (
      <Text wrap="truncate-end">
        <Text bold>/</Text>
        <Text>{state.filter.text}</Text>
        <Text inverse> </Text>
        <Text dimColor>{`  ${visible.length} of ${state.racks.length} racks · enter keep · esc clear`}</Text>
      </Text>
    );
  }
  return <NoticeLine notice={state.notice} />;
}

function hintsFor(state: DashboardState): Hints {
  switch (state.screen) {
    case 'list':
      return LIST_HINTS;
    case 'details':
      return DETAILS_HINTS;
    case 'channels':
      return BACK_HINTS;
    case 'edit':
      return EDIT_HINTS;
    case 'operation':
      if (state.operation?.phase === 'running') return RUNNING_HINTS;
      if (state.operation?.phase === 'done') return DONE_HINTS;
      if (state.operation?.phase === 'planning') return [['ctrl-c', 'stop']];
      return [];
  }
}

function HelpScreen() {
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      {KEY_HELP.map((k) => (
        <Text key={k.keys}>
          {'  '}
          <Text bold>{cell(k.keys, 16)}</Text> {k.what}
        </Text>
      ))}
      <Text> </Text>
      <Text dimColor>Every write shows its plan first and asks; nothing is changed until you press y.</Text>
      <Text dimColor>Data refreshes in the background; keys always answer.</Text>
    </Box>
  );
}
