/**
 * The dashboard's state and its reducer. Views render this state and nothing else; the controller
 * dispatches what the services answered; keys become actions (see keys.ts). Pure: times and data come
 * in with the actions.
 */
import type { OperationEvent } from '../../io/events.js';
import type { ParameterView } from '../../services/params.js';
import type { RackStatus } from '../../services/status.js';
import type { HistoryEntry } from '../../state/history.js';
import type { Rack } from '../../state/registry.js';
import type { ChannelsView } from '../../services/channelView.js';
import { operationReducer, startOperation, type OperationState, type Outcome } from './operation.js';
import { checkParameterInput, type EditableParameters, type InputCheck } from './parameterInput.js';
import type { PlanView } from './plans.js';
import { tableWindow, type RackEntry, type Viewport } from './racks.js';

export type Loadable<T> = { kind: 'loading' } | { kind: 'ready'; value: T } | { kind: 'failed'; message: string };

export interface InstanceRow {
  id: string;
  state: string;
  health?: string;
  zone?: string;
  type?: string;
  launchedAt?: string;
  note?: string;
}

export type DetailsTab = 'parameters' | 'history' | 'instances';
export const DETAILS_TABS: readonly DetailsTab[] = ['parameters', 'history', 'instances'];

export interface RackParameters extends EditableParameters {
  shown: ParameterView[];
}

export interface DetailsState {
  rack: string;
  tab: DetailsTab;
  /** The selected line of the tab's list. */
  cursor: number;
  parameters: Loadable<RackParameters>;
  history: Loadable<HistoryEntry[]>;
  instances: Loadable<InstanceRow[]>;
}

export interface EditorState {
  rack: string;
  key: string;
  secret: boolean;
  /** What has been typed. For a NoEcho key it is only ever shown as asterisks. */
  value: string;
  check: InputCheck;
  constraint: string | null;
  description: string | null;
}

export type OperationPhase = 'planning' | 'confirm' | 'running' | 'done';

export interface OperationScreen {
  rack: string;
  /** "update", "rollback", "parameter change", "keyroll". */
  label: string;
  phase: OperationPhase;
  plan?: PlanView;
  /** First line of the plan shown, when the plan is longer than the screen. */
  planScroll: number;
  progress?: OperationState;
  /** How it ended, including refusals before anything started and a cancelled confirmation. */
  result?: Outcome;
}

export type ScreenKind = 'list' | 'details' | 'channels' | 'edit' | 'operation';

export interface Notice {
  text: string;
  tone: 'info' | 'error';
}

export interface DashboardState {
  /** The registry has been read. */
  loaded: boolean;
  registryProblem?: string;
  racks: RackEntry[];
  selected?: string;
  offset: number;
  viewport: Viewport;
  filter: { text: string; editing: boolean };
  screen: ScreenKind;
  help: boolean;
  details?: DetailsState;
  channels: Loadable<ChannelsView>;
  channelsScroll: number;
  editor?: EditorState;
  operation?: OperationScreen;
  notice?: Notice;
  /** Status reads under way in the background. */
  refreshing: number;
  refreshedAt?: number;
  /** The catalog's versions, once read: a version outside it shows as "unknown release". */
  catalog?: ReadonlySet<string>;
  now: number;
}

export type DashboardAction =
  | { type: 'resize'; viewport: Viewport }
  | { type: 'tick'; now: number }
  | { type: 'registry'; racks: Rack[] }
  | { type: 'registry-failed'; message: string }
  | { type: 'catalog'; versions: string[] }
  | { type: 'status-loading'; names: string[] }
  | { type: 'status'; name: string; status: RackStatus; now: number }
  | { type: 'status-failed'; name: string; message: string; now: number }
  | { type: 'move'; delta: number }
  | { type: 'move-to'; where: 'first' | 'last' }
  | { type: 'filter-start' }
  | { type: 'filter-input'; text: string }
  | { type: 'filter-commit' }
  | { type: 'filter-clear' }
  | { type: 'help'; open: boolean }
  | { type: 'back' }
  | { type: 'notice'; notice?: Notice }
  | { type: 'details-open'; rack: string; tab: DetailsTab }
  | { type: 'details-tab'; tab: DetailsTab }
  | { type: 'details-move'; delta: number }
  | { type: 'details-parameters'; rack: string; value: Loadable<RackParameters> }
  | { type: 'details-history'; rack: string; value: Loadable<HistoryEntry[]> }
  | { type: 'details-instances'; rack: string; value: Loadable<InstanceRow[]> }
  | { type: 'channels-open' }
  | { type: 'channels-loaded'; value: Loadable<ChannelsView> }
  | { type: 'channels-scroll'; delta: number }
  | { type: 'edit-open'; key: string }
  | { type: 'edit-input'; value: string }
  | { type: 'operation-planning'; rack: string; label: string }
  | { type: 'operation-confirm'; plan: PlanView }
  | { type: 'plan-scroll'; delta: number }
  | { type: 'operation-running'; title: string; now: number }
  | { type: 'operation-event'; event: OperationEvent; now: number }
  | { type: 'operation-finished'; outcome: Outcome; now: number };

export function initialDashboard(viewport: Viewport, now: number): DashboardState {
  return {
    loaded: false,
    racks: [],
    offset: 0,
    viewport,
    filter: { text: '', editing: false },
    screen: 'list',
    help: false,
    channels: { kind: 'loading' },
    channelsScroll: 0,
    refreshing: 0,
    now,
  };
}

export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'resize':
      return { ...state, viewport: action.viewport };
    case 'tick':
      return {
        ...state,
        now: action.now,
        operation: state.operation?.progress
          ? {
              ...state.operation,
              progress: operationReducer(state.operation.progress, { type: 'tick', now: action.now }),
            }
          : state.operation,
      };
    case 'registry': {
      const previous = new Map(state.racks.map((entry) => [entry.rack.name, entry]));
      const racks = action.racks.map((rack) => ({ loading: false, ...previous.get(rack.name), rack }));
      return {
        ...state,
        loaded: true,
        registryProblem: undefined,
        racks,
        selected: state.selected ?? racks[0]?.rack.name,
      };
    }
    case 'registry-failed':
      return { ...state, loaded: true, registryProblem: action.message };
    case 'catalog':
      return { ...state, catalog: new Set(action.versions) };
    case 'status-loading': {
      const names = new Set(action.names);
      return {
        ...state,
        refreshing: state.refreshing + names.size,
        racks: state.racks.map((e) => (names.has(e.rack.name) ? { ...e, loading: true } : e)),
      };
    }
    case 'status':
      return settle(state, action.name, action.now, (e) => ({
        ...e,
        status: action.status,
        problem: undefined,
        loading: false,
      }));
    case 'status-failed':
      // A rack that was read before keeps its last status; the problem says why it is stale.
      return settle(state, action.name, action.now, (e) => ({ ...e, problem: action.message, loading: false }));
    case 'move':
      return moveSelection(state, action.delta);
    case 'move-to':
      return moveSelection(state, action.where === 'first' ? -Infinity : Infinity);
    case 'filter-start':
      return { ...state, filter: { ...state.filter, editing: true } };
    case 'filter-input':
      return { ...state, filter: { text: action.text, editing: true }, offset: 0 };
    case 'filter-commit':
      return { ...state, filter: { ...state.filter, editing: false } };
    case 'filter-clear':
      return { ...state, filter: { text: '', editing: false }, offset: 0 };
    case 'help':
      return { ...state, help: action.open };
    case 'notice':
      return { ...state, notice: action.notice };
    case 'back':
      return back(state);
    case 'details-open':
      return {
        ...state,
        screen: 'details',
        notice: undefined,
        details:
          state.details?.rack === action.rack
            ? { ...state.details, tab: action.tab, cursor: 0 }
            : {
                rack: action.rack,
                tab: action.tab,
                cursor: 0,
                parameters: { kind: 'loading' },
                history: { kind: 'loading' },
                instances: { kind: 'loading' },
              },
      };
    case 'details-tab':
      return state.details ? { ...state, details: { ...state.details, tab: action.tab, cursor: 0 } } : state;
    case 'details-move': {
      const details = state.details;
      if (!details) return state;
      const length = detailsLength(details);
      return {
        ...state,
        details: { ...details, cursor: clamp(details.cursor + action.delta, 0, Math.max(0, length - 1)) },
      };
    }
    case 'details-parameters':
      return withDetails(state, action.rack, (d) => ({ ...d, parameters: action.value }));
    case 'details-history':
      return withDetails(state, action.rack, (d) => ({ ...d, history: action.value }));
    case 'details-instances':
      return withDetails(state, action.rack, (d) => ({ ...d, instances: action.value }));
    case 'channels-open':
      return { ...state, screen: 'channels', channelsScroll: 0, notice: undefined };
    case 'channels-loaded':
      return { ...state, channels: action.value };
    case 'channels-scroll':
      return { ...state, channelsScroll: Math.max(0, state.channelsScroll + action.delta) };
    case 'edit-open':
      return openEditor(state, action.key);
    case 'edit-input': {
      const editor = state.editor;
      const parameters = state.details?.parameters;
      if (!editor || parameters?.kind !== 'ready') return state;
      return {
        ...state,
        editor: {
          ...editor,
          value: action.value,
          check: checkParameterInput(parameters.value, editor.key, action.value),
        },
      };
    }
    case 'operation-planning':
      return {
        ...state,
        screen: 'operation',
        help: false,
        notice: undefined,
        operation: { rack: action.rack, label: action.label, phase: 'planning', planScroll: 0 },
      };
    case 'operation-confirm':
      return withOperation(state, (op) => ({ ...op, phase: 'confirm', plan: action.plan, planScroll: 0 }));
    case 'plan-scroll':
      return withOperation(state, (op) => ({ ...op, planScroll: Math.max(0, op.planScroll + action.delta) }));
    case 'operation-running':
      // Warnings reported while planning stay; the clock starts with the write.
      return withOperation(state, (op) => ({
        ...op,
        phase: 'running',
        progress: {
          ...(op.progress ?? startOperation(action.title, action.now)),
          title: action.title,
          startedAt: action.now,
          now: action.now,
        },
      }));
    case 'operation-event':
      // Events can come before any confirmation: warnings while planning, or an operation being attached to.
      return withOperation(state, (op) => ({
        ...op,
        progress: operationReducer(op.progress ?? startOperation(`The ${op.label} of ${op.rack}`, action.now), {
          type: 'event',
          event: action.event,
          now: action.now,
        }),
      }));
    case 'operation-finished':
      return withOperation(state, (op) => ({
        ...op,
        phase: 'done',
        result: action.outcome,
        progress:
          op.progress && operationReducer(op.progress, { type: 'finish', outcome: action.outcome, now: action.now }),
      }));
  }
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

function settle(
  state: DashboardState,
  name: string,
  now: number,
  change: (entry: RackEntry) => RackEntry,
): DashboardState {
  const racks = state.racks.map((entry) => (entry.rack.name === name ? change(entry) : entry));
  return { ...state, racks, refreshing: Math.max(0, state.refreshing - 1), refreshedAt: now };
}

function moveSelection(state: DashboardState, delta: number): DashboardState {
  const window = tableWindow(state.racks, state.filter.text, state.selected, state.offset, state.viewport);
  if (window.visible.length === 0) return state;
  const index = clamp(window.selected + delta, 0, window.visible.length - 1);
  const moved = tableWindow(
    state.racks,
    state.filter.text,
    window.visible[index]!.rack.name,
    window.start,
    state.viewport,
  );
  return { ...state, selected: window.visible[index]!.rack.name, offset: moved.start };
}

/** Esc: one step back towards the racks table. A running operation cannot be left. */
function back(state: DashboardState): DashboardState {
  if (state.help) return { ...state, help: false };
  switch (state.screen) {
    case 'edit':
      return { ...state, screen: 'details', editor: undefined };
    case 'operation':
      if (state.operation && state.operation.phase !== 'done') return state;
      return { ...state, screen: 'list', operation: undefined };
    case 'list':
      return state.filter.text
        ? { ...state, filter: { text: '', editing: false }, offset: 0 }
        : { ...state, notice: undefined };
    default:
      return { ...state, screen: 'list' };
  }
}

function withDetails(
  state: DashboardState,
  rack: string,
  change: (details: DetailsState) => DetailsState,
): DashboardState {
  return state.details?.rack === rack ? { ...state, details: change(state.details) } : state;
}

function withOperation(state: DashboardState, change: (op: OperationScreen) => OperationScreen): DashboardState {
  return state.operation ? { ...state, operation: change(state.operation) } : state;
}

function detailsLength(details: DetailsState): number {
  const part = details[details.tab];
  return part.kind === 'ready'
    ? details.tab === 'parameters'
      ? (part.value as RackParameters).shown.length
      : (part.value as unknown[]).length
    : 0;
}

function openEditor(state: DashboardState, key: string): DashboardState {
  const parameters = state.details?.parameters;
  if (!state.details || parameters?.kind !== 'ready') return state;
  const shown = parameters.value.shown.find((p) => p.key === key);
  if (!shown) return state;
  // A secret starts empty (its value is never known); anything else starts from the value it has.
  const value = shown.noEcho ? '' : (shown.value ?? '');
  return {
    ...state,
    screen: 'edit',
    editor: {
      rack: state.details.rack,
      key,
      secret: shown.noEcho,
      value,
      check: checkParameterInput(parameters.value, key, value),
      constraint: shown.constraint,
      description: shown.description,
    },
  };
}

/** The rack the racks table has selected, if any is visible. */
export function selectedRack(state: DashboardState): RackEntry | undefined {
  const window = tableWindow(state.racks, state.filter.text, state.selected, state.offset, state.viewport);
  return window.visible[window.selected];
}
