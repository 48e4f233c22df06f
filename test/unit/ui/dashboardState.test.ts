import { describe, expect, it } from 'vitest';
import {
  dashboardReducer,
  initialDashboard,
  selectedRack,
  type DashboardAction,
  type DashboardState,
} from '../../../src/ui/model/dashboardState.js';
import { matchesFilter, rowState, tableHeight, tableWindow, type RackEntry } from '../../../src/ui/model/racks.js';
import { NOW, parameters, rack, status, UPDATE_PLAN, upToDate } from './fixtures.js';

const viewport = { rows: 16, columns: 100 };
const apply = (state: DashboardState, ...actions: DashboardAction[]) => actions.reduce(dashboardReducer, state);
const names = (n: number) => Array.from({ length: n }, (_, i) => rack(`rack-${String(i).padStart(3, '0')}`));
const withRacks = (n: number) =>
  apply(initialDashboard(viewport, NOW.getTime()), { type: 'registry', racks: names(n) });

describe('racks table state', () => {
  it('lists the registry at once, selecting the first rack, with statuses loading', () => {
    const state = apply(withRacks(3), { type: 'status-loading', names: ['rack-000', 'rack-001', 'rack-002'] });
    expect(state.loaded).toBe(true);
    expect(state.selected).toBe('rack-000');
    expect(state.refreshing).toBe(3);
    expect(state.racks.map(rowState)).toEqual(['loading', 'loading', 'loading']);
  });

  it('settles each status as it arrives; a failed read keeps the last status and says why', () => {
    const [a, b] = names(2);
    let state = apply(withRacks(2), { type: 'status-loading', names: ['rack-000', 'rack-001'] });
    state = apply(state, { type: 'status', name: a!.name, status: status(a!), now: 1 });
    expect(state.refreshing).toBe(1);
    state = apply(state, { type: 'status-failed', name: b!.name, message: 'timeout', now: 2 });
    expect(state.racks.map(rowState)).toEqual(['update-available', 'unreachable']);
    state = apply(
      state,
      { type: 'status-loading', names: [a!.name] },
      { type: 'status-failed', name: a!.name, message: 'throttled', now: 3 },
    );
    expect(state.racks[0]!.status?.state).toBe('update-available');
    expect(state.racks[0]!.problem).toBe('throttled');
    expect(state.refreshing).toBe(0);
  });

  it('keeps statuses across a registry re-read', () => {
    const [a] = names(1);
    const state = apply(
      withRacks(1),
      { type: 'status', name: a!.name, status: upToDate(a!), now: 1 },
      { type: 'registry', racks: names(2) },
    );
    expect(state.racks.map(rowState)).toEqual(['up-to-date', 'loading']);
  });

  it('renders only a window of rows, moved just enough to keep the selection visible', () => {
    const height = tableHeight(viewport);
    let state = withRacks(200);
    expect(tableWindow(state.racks, '', state.selected, state.offset, viewport)).toMatchObject({
      start: 0,
      selected: 0,
      height,
    });
    state = apply(state, ...Array.from({ length: height }, () => ({ type: 'move', delta: 1 }) as const));
    const window = tableWindow(state.racks, '', state.selected, state.offset, viewport);
    expect(window.selected).toBe(height);
    expect(window.start).toBe(1);
    state = apply(state, { type: 'move-to', where: 'last' });
    expect(state.selected).toBe('rack-199');
    expect(state.offset).toBe(200 - height);
    state = apply(state, { type: 'move', delta: -1000 });
    expect(state.selected).toBe('rack-000');
    expect(state.offset).toBe(0);
  });

  it('filters on name, stack, channel, version and state, and keeps the selection among the matches', () => {
    const [a, b] = [rack('prod-eu', { channel: 'stable' }), rack('staging', { channel: 'unstable' })];
    const entry = (r: typeof a, s = status(r)): RackEntry => ({ rack: r, status: s, loading: false });
    expect(matchesFilter(entry(a), 'EU')).toBe(true);
    expect(matchesFilter(entry(b), 'unstable')).toBe(true);
    expect(matchesFilter(entry(a, upToDate(a)), 'up to date')).toBe(true);
    expect(matchesFilter(entry(a), '1.3.1')).toBe(true);
    expect(matchesFilter(entry(a), 'nothing')).toBe(false);

    let state = apply(initialDashboard(viewport, 0), { type: 'registry', racks: [a, b] }, { type: 'filter-start' });
    for (const ch of 'stag') state = apply(state, { type: 'filter-input', text: state.filter.text + ch });
    expect(selectedRack(state)?.rack.name).toBe('staging');
    state = apply(state, { type: 'filter-commit' });
    expect(state.filter).toEqual({ text: 'stag', editing: false });
    state = apply(state, { type: 'back' });
    expect(state.filter.text).toBe('');
  });

  it('esc walks back: help, editor, details, and never out of a running operation', () => {
    let state = apply(
      withRacks(1),
      { type: 'details-open', rack: 'rack-000', tab: 'parameters' },
      { type: 'details-parameters', rack: 'rack-000', value: { kind: 'ready', value: parameters() } },
      { type: 'edit-open', key: 'InstanceCount' },
    );
    expect(state.screen).toBe('edit');
    state = apply(state, { type: 'help', open: true }, { type: 'back' });
    expect([state.help, state.screen]).toEqual([false, 'edit']);
    state = apply(state, { type: 'back' });
    expect(state.screen).toBe('details');
    state = apply(state, { type: 'back' });
    expect(state.screen).toBe('list');

    state = apply(
      state,
      { type: 'operation-planning', rack: 'rack-000', label: 'update' },
      { type: 'operation-confirm', plan: UPDATE_PLAN },
      { type: 'operation-running', title: 'Update', now: 5 },
      { type: 'back' },
    );
    expect(state.screen).toBe('operation');
    state = apply(
      state,
      { type: 'operation-finished', outcome: { ok: true, text: 'Now at 1.3.1.' }, now: 9 },
      { type: 'back' },
    );
    expect(state.screen).toBe('list');
    expect(state.operation).toBeUndefined();
  });

  it("results for another rack's details are dropped", () => {
    const state = apply(
      withRacks(2),
      { type: 'details-open', rack: 'rack-001', tab: 'history' },
      { type: 'details-history', rack: 'rack-000', value: { kind: 'ready', value: [] } },
    );
    expect(state.details!.history.kind).toBe('loading');
  });

  it('the parameter editor checks every keystroke with the planner', () => {
    let state = apply(
      withRacks(1),
      { type: 'details-open', rack: 'rack-000', tab: 'parameters' },
      { type: 'details-parameters', rack: 'rack-000', value: { kind: 'ready', value: parameters() } },
      { type: 'edit-open', key: 'InstanceCount' },
    );
    expect(state.editor).toMatchObject({ value: '3', secret: false, check: { problems: [], unchanged: true } });
    state = apply(state, { type: 'edit-input', value: '' }, { type: 'edit-input', value: '2' });
    expect(state.editor!.check).toMatchObject({ problems: [], unchanged: false });
    state = apply(state, { type: 'edit-input', value: '25' });
    expect(state.editor!.check.problems.join()).toContain('above the maximum 20');
    state = apply(state, { type: 'back' }, { type: 'edit-open', key: 'Password' });
    expect(state.editor).toMatchObject({ value: '', secret: true });
  });

  it('an operation keeps warnings reported while planning, and starts its clock at the write', () => {
    let state = apply(
      withRacks(1),
      { type: 'operation-planning', rack: 'rack-000', label: 'update' },
      { type: 'operation-event', event: { type: 'warning', text: 'pattern left to CloudFormation' }, now: 1 },
    );
    expect(state.operation!.phase).toBe('planning');
    state = apply(
      state,
      { type: 'operation-confirm', plan: UPDATE_PLAN },
      { type: 'operation-running', title: UPDATE_PLAN.title, now: 10 },
      { type: 'tick', now: 15_000 },
    );
    expect(state.operation!.progress).toMatchObject({
      title: UPDATE_PLAN.title,
      startedAt: 10,
      now: 15_000,
      warnings: ['pattern left to CloudFormation'],
    });
  });

  it('knows the catalog once read', () => {
    expect(apply(withRacks(0), { type: 'catalog', versions: ['1.2.0'] }).catalog?.has('1.2.0')).toBe(true);
  });
});
