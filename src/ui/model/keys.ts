/**
 * What each key does on each screen: a key becomes a reducer action, a command for the controller (which
 * calls services), or nothing. Pure, so every key flow can be tested without a terminal.
 */
import {
  DETAILS_TABS,
  selectedRack,
  type DashboardAction,
  type DashboardState,
  type DetailsTab,
} from './dashboardState.js';
import { tableHeight } from './racks.js';

/** The subset of ink's Key the dashboard reads. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export type Command =
  | { type: 'quit' }
  | { type: 'open-details'; rack: string; tab: DetailsTab }
  | { type: 'open-channels' }
  | { type: 'update'; rack: string }
  | { type: 'rollback'; rack: string }
  | { type: 'keyroll'; rack: string }
  | { type: 'answer'; yes: boolean }
  | { type: 'submit-parameter'; rack: string; key: string; value: string }
  /** Ctrl-C during an operation: stop following it (CloudFormation keeps working). */
  | { type: 'stop-following' };

export type Intent = { action: DashboardAction } | { command: Command };

const act = (action: DashboardAction): Intent => ({ action });
const run = (command: Command): Intent => ({ command });

export interface KeyHelp {
  keys: string;
  what: string;
}

/** The help screen, in the order the keys are listed there. */
export const KEY_HELP: readonly KeyHelp[] = [
  { keys: '↑ ↓  j k', what: 'move' },
  { keys: 'PgUp PgDn  g G', what: 'page, first, last' },
  { keys: 'enter', what: 'rack details: parameters, history, instances' },
  { keys: 'u', what: 'update the rack along its channel (shows the plan first)' },
  { keys: 'r', what: 'roll the rack back to its previous release' },
  { keys: 'p', what: 'parameters (enter on one to change it)' },
  { keys: 'i', what: 'instances' },
  { keys: 'K', what: 'keyroll: new SSH key, instances replaced' },
  { keys: 'c', what: 'channels: releases, promotions, soak, yanks, barriers' },
  { keys: '/', what: 'filter racks (esc clears)' },
  { keys: 'tab  ← →', what: 'switch tabs in rack details' },
  { keys: 'esc', what: 'back' },
  { keys: '?', what: 'this help' },
  { keys: 'q', what: 'quit' },
];

export function keyIntent(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  if (key.ctrl && input === 'c') {
    switch (state.screen === 'operation' ? state.operation?.phase : undefined) {
      case 'planning':
      case 'running':
        return run({ type: 'stop-following' });
      case 'confirm':
        return run({ type: 'answer', yes: false });
      default:
        return run({ type: 'quit' });
    }
  }
  if (state.help) return input === 'q' ? run({ type: 'quit' }) : act({ type: 'help', open: false });
  if (state.screen === 'list' && state.filter.editing) return filterKey(state, input, key);
  if (state.screen === 'edit') return editKey(state, input, key);
  if (state.screen === 'operation') return operationKey(state, input, key);
  if (input === '?') return act({ type: 'help', open: true });
  if (input === 'q') return run({ type: 'quit' });
  if (key.escape) return act({ type: 'back' });
  switch (state.screen) {
    case 'list':
      return listKey(state, input, key);
    case 'details':
      return detailsKey(state, input, key);
    case 'channels':
      return channelsKey(state, input, key);
  }
}

/** Keys that act on a rack, the same in the table and in its details. */
function rackKey(rack: string, input: string): Intent | undefined {
  switch (input) {
    case 'u':
      return run({ type: 'update', rack });
    case 'r':
      return run({ type: 'rollback', rack });
    case 'K':
      return run({ type: 'keyroll', rack });
    case 'p':
      return run({ type: 'open-details', rack, tab: 'parameters' });
    case 'i':
      return run({ type: 'open-details', rack, tab: 'instances' });
    case 'c':
      return run({ type: 'open-channels' });
    default:
      return undefined;
  }
}

function listKey(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  const page = tableHeight(state.viewport);
  if (key.upArrow || input === 'k') return act({ type: 'move', delta: -1 });
  if (key.downArrow || input === 'j') return act({ type: 'move', delta: 1 });
  if (key.pageUp) return act({ type: 'move', delta: -page });
  if (key.pageDown) return act({ type: 'move', delta: page });
  if (key.home || input === 'g') return act({ type: 'move-to', where: 'first' });
  if (key.end || input === 'G') return act({ type: 'move-to', where: 'last' });
  if (input === '/') return act({ type: 'filter-start' });
  if (input === 'c') return run({ type: 'open-channels' });
  const rack = selectedRack(state)?.rack.name;
  if (!rack) return undefined;
  if (key.return) return run({ type: 'open-details', rack, tab: 'parameters' });
  return rackKey(rack, input);
}

function filterKey(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  if (key.escape) return act({ type: 'filter-clear' });
  if (key.return) return act({ type: 'filter-commit' });
  if (key.upArrow) return act({ type: 'move', delta: -1 });
  if (key.downArrow) return act({ type: 'move', delta: 1 });
  if (key.backspace || key.delete) return act({ type: 'filter-input', text: state.filter.text.slice(0, -1) });
  if (isText(input, key)) return act({ type: 'filter-input', text: state.filter.text + input });
  return undefined;
}

function detailsKey(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  const details = state.details;
  if (!details) return act({ type: 'back' });
  const tabIndex = DETAILS_TABS.indexOf(details.tab);
  const turn = (by: number) =>
    act({ type: 'details-tab', tab: DETAILS_TABS[(tabIndex + by + DETAILS_TABS.length) % DETAILS_TABS.length]! });
  if (key.tab) return turn(key.shift ? -1 : 1);
  if (key.rightArrow) return turn(1);
  if (key.leftArrow) return turn(-1);
  if (input === 'h') return turn(-1);
  if (input === 'l') return turn(1);
  if (key.upArrow || input === 'k') return act({ type: 'details-move', delta: -1 });
  if (key.downArrow || input === 'j') return act({ type: 'details-move', delta: 1 });
  if (key.backspace) return act({ type: 'back' });
  if ((key.return || input === 'e') && details.tab === 'parameters' && details.parameters.kind === 'ready') {
    const parameter = details.parameters.value.shown[details.cursor];
    return parameter ? act({ type: 'edit-open', key: parameter.key }) : undefined;
  }
  // Opening the tab that is already open only moves to it.
  if (input === 'p') return act({ type: 'details-tab', tab: 'parameters' });
  if (input === 'i') return act({ type: 'details-tab', tab: 'instances' });
  return rackKey(details.rack, input);
}

function channelsKey(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  if (key.upArrow || input === 'k') return act({ type: 'channels-scroll', delta: -1 });
  if (key.downArrow || input === 'j') return act({ type: 'channels-scroll', delta: 1 });
  if (key.pageUp) return act({ type: 'channels-scroll', delta: -tableHeight(state.viewport) });
  if (key.pageDown) return act({ type: 'channels-scroll', delta: tableHeight(state.viewport) });
  if (key.backspace || input === 'c') return act({ type: 'back' });
  return undefined;
}

function editKey(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  const editor = state.editor;
  if (!editor || key.escape) return act({ type: 'back' });
  if (key.return) {
    if (editor.check.problems.length > 0 || editor.check.unchanged) return undefined;
    return run({ type: 'submit-parameter', rack: editor.rack, key: editor.key, value: editor.value });
  }
  if (key.backspace || key.delete) return act({ type: 'edit-input', value: editor.value.slice(0, -1) });
  if (key.ctrl && input === 'u') return act({ type: 'edit-input', value: '' });
  if (isText(input, key)) return act({ type: 'edit-input', value: editor.value + input });
  return undefined;
}

function operationKey(state: DashboardState, input: string, key: KeyPress): Intent | undefined {
  const op = state.operation;
  if (!op) return act({ type: 'back' });
  switch (op.phase) {
    case 'confirm':
      if (input === 'y' || input === 'Y') return run({ type: 'answer', yes: true });
      if (input === 'n' || input === 'N' || input === 'q' || key.escape) return run({ type: 'answer', yes: false });
      if (key.upArrow || input === 'k') return act({ type: 'plan-scroll', delta: -1 });
      if (key.downArrow || input === 'j') return act({ type: 'plan-scroll', delta: 1 });
      if (key.pageUp) return act({ type: 'plan-scroll', delta: -tableHeight(state.viewport) });
      if (key.pageDown || input === ' ') return act({ type: 'plan-scroll', delta: tableHeight(state.viewport) });
      return undefined;
    case 'done':
      if (input === 'q') return run({ type: 'quit' });
      if (key.escape || key.return || key.backspace) return act({ type: 'back' });
      return undefined;
    default:
      // Planning and running hold the screen; Ctrl-C (above) stops following.
      return undefined;
  }
}

/** Printable input: not a control sequence, not an arrow. */
function isText(input: string, key: KeyPress): boolean {
  return input.length > 0 && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(input);
}
