import { describe, expect, it } from 'vitest';
import {
  dashboardReducer,
  initialDashboard,
  type DashboardAction,
  type DashboardState,
} from '../../../src/ui/model/dashboardState.js';
import { keyIntent, KEY_HELP, type KeyPress } from '../../../src/ui/model/keys.js';
import { checkParameterInput } from '../../../src/ui/model/parameterInput.js';
import {
  changeKind,
  keyrollPlanView,
  replaces,
  rollbackPlanView,
  updatePlanView,
} from '../../../src/ui/model/plans.js';
import type { UpdatePlan } from '../../../src/services/update.js';
import { NOW, parameters, rack, SECRET, UPDATE_PLAN } from './fixtures.js';

const apply = (state: DashboardState, ...actions: DashboardAction[]) => actions.reduce(dashboardReducer, state);
const list = () =>
  apply(initialDashboard({ rows: 20, columns: 100 }, NOW.getTime()), {
    type: 'registry',
    racks: [rack('prod'), rack('staging')],
  });
const press = (state: DashboardState, input: string, key: KeyPress = {}) => keyIntent(state, input, key);

describe('keys on the racks table', () => {
  it('moves with arrows and j/k, pages, and jumps to the ends', () => {
    const state = list();
    expect(press(state, 'j')).toEqual({ action: { type: 'move', delta: 1 } });
    expect(press(state, '', { downArrow: true })).toEqual({ action: { type: 'move', delta: 1 } });
    expect(press(state, 'k')).toEqual({ action: { type: 'move', delta: -1 } });
    expect(press(state, '', { upArrow: true })).toEqual({ action: { type: 'move', delta: -1 } });
    expect(press(state, '', { pageDown: true })).toEqual({ action: { type: 'move', delta: 14 } });
    expect(press(state, 'G')).toEqual({ action: { type: 'move-to', where: 'last' } });
    expect(press(state, 'g')).toEqual({ action: { type: 'move-to', where: 'first' } });
  });

  it('acts on the selected rack: enter, u, r, p, i, K; c, /, ?, q', () => {
    const state = apply(list(), { type: 'move', delta: 1 });
    expect(press(state, '', { return: true })).toEqual({
      command: { type: 'open-details', rack: 'staging', tab: 'parameters' },
    });
    expect(press(state, 'u')).toEqual({ command: { type: 'update', rack: 'staging' } });
    expect(press(state, 'r')).toEqual({ command: { type: 'rollback', rack: 'staging' } });
    expect(press(state, 'p')).toEqual({ command: { type: 'open-details', rack: 'staging', tab: 'parameters' } });
    expect(press(state, 'i')).toEqual({ command: { type: 'open-details', rack: 'staging', tab: 'instances' } });
    expect(press(state, 'K')).toEqual({ command: { type: 'keyroll', rack: 'staging' } });
    expect(press(state, 'c')).toEqual({ command: { type: 'open-channels' } });
    expect(press(state, '/')).toEqual({ action: { type: 'filter-start' } });
    expect(press(state, '?')).toEqual({ action: { type: 'help', open: true } });
    expect(press(state, 'q')).toEqual({ command: { type: 'quit' } });
    expect(press(state, 'c', { ctrl: true })).toEqual({ command: { type: 'quit' } });
  });

  it('with no rack visible, rack keys do nothing', () => {
    const state = apply(list(), { type: 'filter-input', text: 'zzz' }, { type: 'filter-commit' });
    expect(press(state, 'u')).toBeUndefined();
    expect(press(state, '', { return: true })).toBeUndefined();
  });

  it('typing into the filter: letters (even q and u) go to the filter; enter keeps it; esc clears it', () => {
    const state = apply(list(), { type: 'filter-start' }, { type: 'filter-input', text: 'st' });
    expect(press(state, 'q')).toEqual({ action: { type: 'filter-input', text: 'stq' } });
    expect(press(state, 'u')).toEqual({ action: { type: 'filter-input', text: 'stu' } });
    expect(press(state, '', { backspace: true })).toEqual({ action: { type: 'filter-input', text: 's' } });
    expect(press(state, '', { return: true })).toEqual({ action: { type: 'filter-commit' } });
    expect(press(state, '', { escape: true })).toEqual({ action: { type: 'filter-clear' } });
  });

  it('help closes on any key, except q which quits', () => {
    const state = apply(list(), { type: 'help', open: true });
    expect(press(state, 'x')).toEqual({ action: { type: 'help', open: false } });
    expect(press(state, 'q')).toEqual({ command: { type: 'quit' } });
    expect(KEY_HELP.map((k) => k.keys).join(' ')).toMatch(/j k.*enter.*u.*r.*p.*i.*K.*c.*\/.*\?.*q/);
  });
});

describe('keys in rack details and the editor', () => {
  const details = () =>
    apply(
      list(),
      { type: 'details-open', rack: 'prod', tab: 'parameters' },
      { type: 'details-parameters', rack: 'prod', value: { kind: 'ready', value: parameters() } },
    );

  it('switches tabs with tab, shift-tab and arrows, moves the cursor, and edits the parameter under it', () => {
    const state = apply(details(), { type: 'details-move', delta: 2 });
    expect(press(state, '', { tab: true })).toEqual({ action: { type: 'details-tab', tab: 'history' } });
    expect(press(state, '', { tab: true, shift: true })).toEqual({ action: { type: 'details-tab', tab: 'instances' } });
    expect(press(state, '', { rightArrow: true })).toEqual({ action: { type: 'details-tab', tab: 'history' } });
    expect(press(state, 'j')).toEqual({ action: { type: 'details-move', delta: 1 } });
    expect(press(state, '', { return: true })).toEqual({ action: { type: 'edit-open', key: 'InstanceCount' } });
    expect(press(state, 'u')).toEqual({ command: { type: 'update', rack: 'prod' } });
    expect(press(state, '', { escape: true })).toEqual({ action: { type: 'back' } });
  });

  it('the cursor stays within the list', () => {
    const state = apply(details(), { type: 'details-move', delta: 99 });
    expect(state.details!.cursor).toBe(4);
  });

  it('submits only a value the planner allows and that changes something', () => {
    let state = apply(details(), { type: 'edit-open', key: 'InstanceCount' });
    expect(press(state, '', { return: true })).toBeUndefined();
    state = apply(state, { type: 'edit-input', value: '30' });
    expect(press(state, '', { return: true })).toBeUndefined();
    state = apply(state, { type: 'edit-input', value: '5' });
    expect(press(state, '', { return: true })).toEqual({
      command: { type: 'submit-parameter', rack: 'prod', key: 'InstanceCount', value: '5' },
    });
    expect(press(state, 'q')).toEqual({ action: { type: 'edit-input', value: '5q' } });
    expect(press(state, 'u', { ctrl: true })).toEqual({ action: { type: 'edit-input', value: '' } });
    expect(press(state, '', { escape: true })).toEqual({ action: { type: 'back' } });
  });
});

describe('keys during an operation', () => {
  const planning = () => apply(list(), { type: 'operation-planning', rack: 'prod', label: 'update' });

  it('planning and running hold the screen; ctrl-c stops them', () => {
    expect(press(planning(), 'q')).toBeUndefined();
    expect(press(planning(), 'c', { ctrl: true })).toEqual({ command: { type: 'stop-following' } });
    const running = apply(
      planning(),
      { type: 'operation-confirm', plan: UPDATE_PLAN },
      { type: 'operation-running', title: 't', now: 0 },
    );
    expect(press(running, 'q')).toBeUndefined();
    expect(press(running, '', { escape: true })).toBeUndefined();
    expect(press(running, 'c', { ctrl: true })).toEqual({ command: { type: 'stop-following' } });
  });

  it('the confirmation answers y or n (esc and q also mean no) and scrolls the plan', () => {
    const confirm = apply(planning(), { type: 'operation-confirm', plan: UPDATE_PLAN });
    expect(press(confirm, 'y')).toEqual({ command: { type: 'answer', yes: true } });
    for (const [input, key] of [
      ['n', {}],
      ['q', {}],
      ['', { escape: true }],
      ['c', { ctrl: true }],
    ] as const) {
      expect(press(confirm, input, key)).toEqual({ command: { type: 'answer', yes: false } });
    }
    expect(press(confirm, '', { downArrow: true })).toEqual({ action: { type: 'plan-scroll', delta: 1 } });
  });

  it('when done, enter or esc goes back and q quits', () => {
    const done = apply(planning(), { type: 'operation-finished', outcome: { ok: false, text: 'refused' }, now: 1 });
    expect(press(done, '', { return: true })).toEqual({ action: { type: 'back' } });
    expect(press(done, 'q')).toEqual({ command: { type: 'quit' } });
  });
});

describe('checking a parameter as it is typed', () => {
  const check = (key: string, value: string) => checkParameterInput(parameters(), key, value);

  it("takes the planner's word on constraints", () => {
    expect(check('InstanceCount', '4')).toMatchObject({
      problems: [],
      unchanged: false,
      change: { kind: 'set', displayOld: '3', displayNew: '4' },
    });
    expect(check('InstanceCount', 'four').problems.join()).toContain('is not a number');
    expect(check('InstanceType', 't2.nano').problems.join()).toContain('not one of the allowed values');
    expect(check('InstanceCount', '3').unchanged).toBe(true);
  });

  it('refuses masked values and constraint breaks for a secret without ever naming the value', () => {
    const masked = check('Password', '*****');
    expect(masked.problems.length).toBeGreaterThan(0);
    const short = check('Password', 'Xq9z!');
    expect(short.problems.join()).toContain('shorter than 8');
    expect(short.problems.join()).not.toContain('Xq9z!');
    const ok = check('Password', SECRET);
    expect(ok).toMatchObject({ problems: [], unchanged: false });
    expect(JSON.stringify(ok)).not.toContain(SECRET);
  });

  it('refuses Version and Key, naming the command that owns each', () => {
    expect(check('Version', '1.3.1').problems.join()).toContain('rack update');
    expect(check('Key', 'mine').problems.join()).toContain('rack instances keyroll');
  });
});

describe('plans as the confirmation shows them', () => {
  it("an update plan keeps only changed parameters and the first hop's resources", () => {
    const plan = {
      rack: rack('prod'),
      channel: 'stable',
      from: '1.1.0',
      target: '1.3.1',
      warnings: ['1.1.0 is yanked'],
      hops: [
        {
          from: '1.1.0',
          to: '1.2.0',
          notes: 'n1',
          barrier: true,
          migrations: [
            { version: '1.2.0', kind: 'rename', from: 'LogRetention', key: 'LogRetentionDays', valueFrom: 'previous' },
          ],
          parameters: [
            { key: 'Version', kind: 'set', source: 'user', noEcho: false, displayOld: '1.1.0', displayNew: '1.2.0' },
            { key: 'InstanceCount', kind: 'keep', source: 'stack', noEcho: false, displayOld: '3', displayNew: '3' },
          ],
        },
        { from: '1.2.0', to: '1.3.1', notes: 'n2', barrier: false, migrations: [], parameters: [] },
      ],
      firstChangeSet: {
        id: 'cs',
        name: 'cs',
        stackName: 's',
        hasChanges: true,
        changes: [{ action: 'Modify', logicalId: 'Db', type: 'AWS::RDS::DBInstance', replacement: 'True', scope: [] }],
      },
    } as unknown as UpdatePlan;
    const view = updatePlanView(plan);
    expect(view.path).toEqual(['1.1.0', '1.2.0', '1.3.1']);
    expect(view.steps[0]!.parameters.map((p) => p.key)).toEqual(['Version']);
    expect(view.steps[0]!.migrations).toEqual(['rename LogRetention → LogRetentionDays']);
    expect(view.steps[0]!.resources).toHaveLength(1);
    expect(view.steps[1]!.resources).toBeUndefined();
    expect(view.warnings).toEqual(['1.1.0 is yanked']);
  });

  it('a rollback plan is one step with its skipped releases as warnings', () => {
    const view = rollbackPlanView({
      rack: { name: 'prod' },
      from: '1.3.1',
      target: '1.1.0',
      notes: 'n',
      skipped: [{ version: '1.3.0', why: 'yanked' }],
      migrations: [],
      parameters: [],
      changeSet: { changes: [] },
    });
    expect(view).toMatchObject({
      title: 'Roll prod back from 1.3.1 to 1.1.0',
      path: ['1.3.1', '1.1.0'],
      warnings: ['skipping 1.3.0: yanked'],
    });
  });

  it('a keyroll plan lists the key, the floor and each instance, and asks to accept warnings when it must', () => {
    const plan = {
      rack: { name: 'prod' },
      currentKey: '',
      instances: [{ instanceId: 'i-1', registered: true }],
      desired: 2,
      floor: 2,
      surge: true,
      pruneOld: true,
      warnings: [],
      mustAcknowledge: false,
    };
    const view = keyrollPlanView(plan);
    expect(view.lines).toEqual([
      'Key now: (none)',
      'In service throughout: at least 2 of 2 (one extra instance meanwhile)',
      'Replace i-1 (key none)',
      'Then delete the older key pairs no instance uses',
    ]);
    expect(view.question).toBe('Roll the SSH key of prod and replace 1 instance?');
    expect(keyrollPlanView({ ...plan, mustAcknowledge: true, warnings: ['w'] }).question).toBe(
      'Accept the warnings and roll the key of prod?',
    );
  });

  it('names change kinds and replacements', () => {
    expect(changeKind({ key: 'A', kind: 'set', source: 'rename', noEcho: false })).toBe('set by rename');
    expect(changeKind({ key: 'A', kind: 'new-default', source: 'default', noEcho: false })).toBe('new (default)');
    expect(replaces({ action: 'Modify', logicalId: 'X', type: 'T', replacement: 'Conditional', scope: [] })).toBe(true);
    expect(replaces({ action: 'Add', logicalId: 'X', type: 'T', scope: [] })).toBe(false);
  });
});
