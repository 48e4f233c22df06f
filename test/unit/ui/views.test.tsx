/** Every view, rendered at the fixed 100 columns of ink-testing-library, asserted on its last frame. */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import {
  dashboardReducer,
  initialDashboard,
  type DashboardAction,
  type DashboardState,
} from '../../../src/ui/model/dashboardState.js';
import { operationReducer, startOperation, type OperationAction } from '../../../src/ui/model/operation.js';
import { parametersPlanView } from '../../../src/ui/model/plans.js';
import type { RackEntry } from '../../../src/ui/model/racks.js';
import { ChannelsScreen } from '../../../src/ui/views/ChannelsScreen.js';
import { Frame } from '../../../src/ui/views/Frame.js';
import { OperationProgress } from '../../../src/ui/views/OperationProgress.js';
import { ParameterEditor } from '../../../src/ui/views/ParameterEditor.js';
import { PlanScreen } from '../../../src/ui/views/PlanScreen.js';
import { RackDetails } from '../../../src/ui/views/RackDetails.js';
import { RackTable } from '../../../src/ui/views/RackTable.js';
import { CHANNELS, history, NOW, parameters, plain, rack, SECRET, status, UPDATE_PLAN, upToDate } from './fixtures.js';

afterEach(() => cleanup());

const viewport = { rows: 20, columns: 100 };
const frame = (tree: React.ReactElement) => plain(render(tree).lastFrame());
const apply = (state: DashboardState, ...actions: DashboardAction[]) => actions.reduce(dashboardReducer, state);
const at = new Date('2026-11-21T11:58:30Z');

describe('RackTable', () => {
  const entries = (): RackEntry[] => {
    const [prod, staging, old, lost, fresh] = [
      rack('prod'),
      rack('staging', { channel: 'unstable' }),
      rack('old'),
      rack('lost'),
      rack('fresh'),
    ];
    return [
      {
        rack: prod,
        loading: false,
        status: status(prod, {
          lastOperation: {
            operation: 'update',
            result: 'succeeded',
            startedAt: '2026-11-21T10:00:00Z',
            from: '1.1.0',
            to: '1.2.0',
          },
        }),
      },
      {
        rack: staging,
        loading: false,
        status: status(staging, { version: '9.9.9', release: 'unknown', target: '1.4.0', state: 'unknown' }),
      },
      { rack: old, loading: false, status: status(old, { version: '1.3.0', state: 'yanked' }) },
      { rack: lost, loading: false, problem: 'stack lost-stack was not found' },
      { rack: fresh, loading: true },
    ];
  };

  it('shows name, channel, version, target, state and last operation, with the selection marked', () => {
    const text = frame(
      <RackTable racks={entries()} filter="" selected="prod" offset={0} viewport={viewport} now={NOW.getTime()} />,
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/NAME\s+CHANNEL\s+VERSION\s+TARGET\s+STATE\s+LAST OPERATION/);
    expect(lines[1]).toMatch(
      /^› prod\s+stable\s+1\.2\.0\s+1\.3\.1\s+update available\s+update→1\.2\.0 succeeded 2h ago/,
    );
    expect(text).toMatch(/staging\s+unstable\s+9\.9\.9 \(unknown release\)\s+1\.4\.0\s+unknown/);
    expect(text).toMatch(/old\s+stable\s+1\.3\.0\s+1\.3\.1\s+on a yanked release/);
    expect(text).toMatch(/lost\s+stable\s+unreachable\s+stack lost-stack was not fou…/);
    expect(text).toMatch(/fresh\s+stable\s+loading…/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('renders only the rows that fit, of 200 racks', () => {
    const many: RackEntry[] = Array.from({ length: 200 }, (_, i) => {
      const r = rack(`rack-${String(i).padStart(3, '0')}`);
      return { rack: r, loading: false, status: upToDate(r) };
    });
    const text = frame(
      <RackTable racks={many} filter="" selected="rack-150" offset={0} viewport={viewport} now={NOW.getTime()} />,
    );
    const rows = text.split('\n').filter((l) => /rack-\d{3}/.test(l));
    expect(rows).toHaveLength(viewport.rows - 6);
    expect(text).toContain('› rack-150');
    expect(text).not.toContain('rack-000');
    expect(text).toMatch(/rows \d+–151 of 200/);
  });

  it('says when nothing is registered and when nothing matches', () => {
    expect(frame(<RackTable racks={[]} filter="" offset={0} viewport={viewport} now={0} />)).toContain(
      'No racks are registered',
    );
    expect(frame(<RackTable racks={entries()} filter="zzz" offset={0} viewport={viewport} now={0} />)).toContain(
      'No rack matches the filter',
    );
  });
});

describe('RackDetails', () => {
  const prod = rack('prod');
  const entry: RackEntry = {
    rack: prod,
    loading: false,
    status: status(prod, {
      warnings: ['1.2.0 is close to end of life'],
      lock: {
        holder: {
          id: 'l',
          rack: 'prod',
          stack: 'prod-stack',
          operation: 'update',
          user: 'carol',
          host: 'box',
          pid: 1,
          since: '2026-11-21T11:50:00Z',
          leaseUntil: '',
        },
      },
    }),
  };
  const ready = <T,>(value: T) => ({ kind: 'ready' as const, value });
  const base = {
    rack: 'prod',
    cursor: 0,
    parameters: ready(parameters()),
    history: ready(history('prod')),
    instances: { kind: 'failed' as const, message: 'Could not list the instances: AccessDenied.' },
  };

  it('summarises the rack and lists its parameters with NoEcho masked', () => {
    const text = frame(
      <RackDetails
        details={{ ...base, tab: 'parameters', cursor: 4 }}
        entry={entry}
        viewport={viewport}
        now={NOW.getTime()}
      />,
    );
    expect(text).toContain('Stack prod-stack in us-east-1 · channel stable');
    expect(text).toContain('Version 1.2.0 · target 1.3.1 · path 1.2.0 → 1.3.1');
    expect(text).toContain('State: update available · stack UPDATE_COMPLETE');
    expect(text).toContain('Lock: update by carol@box since 10m ago');
    expect(text).toContain('Warning: 1.2.0 is close to end of life');
    expect(text).toMatch(/› Password\s+\*\*\*\*\s+\?\s+NoEcho, length 8\.\., pattern/);
    expect(text).toMatch(/InstanceCount\s+3\s+yes\s+Number, 1\.\.20/);
    expect(text).not.toContain(SECRET);
  });

  it('lists history newest first and says when instances could not be read', () => {
    const historyText = frame(
      <RackDetails details={{ ...base, tab: 'history' }} entry={entry} viewport={viewport} now={NOW.getTime()} />,
    );
    const lines = historyText.split('\n');
    const update = lines.findIndex((l) => l.includes('update') && l.includes('1.1.0 → 1.2.0'));
    const install = lines.findIndex((l) => l.includes('install'));
    expect(update).toBeGreaterThan(0);
    expect(install).toBeGreaterThan(update);
    expect(lines[update]).toMatch(/2026-11-20 10:00\s+26h ago\s+update\s+1\.1\.0 → 1\.2\.0\s+succeeded\s+1m 35s\s+bob/);
    expect(
      frame(<RackDetails details={{ ...base, tab: 'instances' }} entry={entry} viewport={viewport} now={0} />),
    ).toContain('Could not list the instances: AccessDenied.');
  });

  it('shows instances, loading and failures', () => {
    const instances = ready([
      {
        id: 'i-0abc',
        state: 'InService',
        health: 'Healthy',
        zone: 'us-east-1a',
        type: 't3.small',
        launchedAt: '2026-11-20',
      },
    ]);
    expect(
      frame(
        <RackDetails details={{ ...base, tab: 'instances', instances }} entry={entry} viewport={viewport} now={0} />,
      ),
    ).toMatch(/i-0abc\s+InService\s+Healthy\s+us-east-1a\s+t3\.small/);
    expect(
      frame(
        <RackDetails
          details={{ ...base, tab: 'parameters', parameters: { kind: 'loading' } }}
          entry={entry}
          viewport={viewport}
          now={0}
        />,
      ),
    ).toContain('Loading…');
    expect(
      frame(
        <RackDetails
          details={{ ...base, tab: 'parameters', parameters: { kind: 'failed', message: 'AccessDenied' } }}
          entry={entry}
          viewport={viewport}
          now={0}
        />,
      ),
    ).toContain('AccessDenied');
  });
});

describe('ChannelsScreen', () => {
  it('shows releases with promotion dates, barriers, yanks, targets and soak remaining', () => {
    const text = frame(<ChannelsScreen channels={{ kind: 'ready', value: CHANNELS }} scroll={0} height={30} />);
    expect(text).toContain('Source: the bundled channels');
    expect(text).toContain('unstable — New releases · target 1.4.0');
    expect(text).toMatch(/1\.2\.0\s+2026-10-01\s+barrier/);
    expect(text).toMatch(/1\.3\.0\s+2026-10-10\s+yanked: api breaks \(fixed in 1\.3\.1\)/);
    expect(text).toContain('stable — Soaked releases · promoted from unstable after 7d · target 1.3.1');
    expect(text).toMatch(/1\.3\.1\s+2026-11-11\s+target · promoted with --force/);
    expect(text).toContain('next: 1.4.0, in unstable since 2026-11-18 — 3d 12h of soak left');
    // unstable (the feeder) comes before stable
    expect(text.indexOf('unstable —')).toBeLessThan(text.indexOf('stable — Soaked'));
  });

  it('scrolls when taller than the screen', () => {
    const text = frame(<ChannelsScreen channels={{ kind: 'ready', value: CHANNELS }} scroll={5} height={4} />);
    expect(text).not.toContain('Source:');
    expect(text).toMatch(/lines 6–9 of \d+/);
  });
});

describe('PlanScreen', () => {
  it('shows path, notes, migrations, parameter changes (NoEcho masked) and replacements first', () => {
    const text = frame(<PlanScreen plan={UPDATE_PLAN} scroll={0} height={30} />);
    expect(text).toContain('Update prod from 1.2.0 to 1.3.1 (channel stable)');
    expect(text).toContain('Path: 1.2.0 → 1.3.1');
    expect(text).toContain('Notes: Fixes the api service');
    expect(text).toContain('Migrations: rename LogRetention → LogRetentionDays');
    expect(text).toMatch(/Version\s+set\s+1\.2\.0\s+1\.3\.1/);
    expect(text).toMatch(/Password \(NoEcho\)\s+set\s+\*\*\*\*\s+\(new value\)/);
    expect(text).toContain('Resources: 2 changes, 1 replacing a resource');
    expect(text.indexOf('Database')).toBeLessThan(text.indexOf('LaunchTemplate'));
    expect(text).toMatch(/Modify\s+Database\s+AWS::RDS::DBInstance\s+REPLACED/);
    expect(text).toMatch(/Modify\s+LaunchTemplate\s+AWS::EC2::LaunchTemplate\s+in place/);
    expect(text).toContain('Update prod to 1.3.1?  y confirm  n cancel');
  });

  it('shows versions the catalog lacks as unknown releases, and scrolls a long plan', () => {
    const describe = (v: string) => (v === '1.2.0' ? `${v} (unknown release)` : v);
    expect(frame(<PlanScreen plan={UPDATE_PLAN} scroll={0} height={30} describe={describe} />)).toContain(
      'Path: 1.2.0 (unknown release) → 1.3.1',
    );
    const short = frame(<PlanScreen plan={UPDATE_PLAN} scroll={3} height={5} />);
    expect(short).not.toContain('Path:');
    expect(short).toMatch(/lines 4–7 of \d+/);
  });

  it('a parameter change has no path and says so when no resources change', () => {
    const text = frame(
      <PlanScreen
        plan={parametersPlanView(
          'prod',
          '1.2.0',
          [{ key: 'InstanceCount', kind: 'set', source: 'user', noEcho: false, displayOld: '3', displayNew: '4' }],
          [],
        )}
        scroll={0}
        height={20}
      />,
    );
    expect(text).toContain('Change the parameters of prod');
    expect(text).not.toContain('Path:');
    expect(text).toMatch(/InstanceCount\s+set\s+3\s+4/);
    expect(text).toContain('Resources: no resource changes reported.');
  });
});

describe('OperationProgress', () => {
  const fold = (actions: OperationAction[]) =>
    actions.reduce(operationReducer, startOperation('Updating prod from 1.2.0 to 1.3.1', 0));
  const running = fold([
    {
      type: 'event',
      now: 1000,
      event: { type: 'hop-start', rack: 'prod', index: 1, total: 2, from: '1.2.0', to: '1.3.0' },
    },
    {
      type: 'event',
      now: 2000,
      event: { type: 'hop-done', rack: 'prod', index: 1, total: 2, to: '1.3.0', ms: 42_000 },
    },
    {
      type: 'event',
      now: 3000,
      event: { type: 'hop-start', rack: 'prod', index: 2, total: 2, from: '1.3.0', to: '1.3.1' },
    },
    {
      type: 'event',
      now: 4000,
      event: { type: 'stack-status', rack: 'prod', stack: 'prod-stack', status: 'UPDATE_IN_PROGRESS', at },
    },
    {
      type: 'event',
      now: 5000,
      event: {
        type: 'resource',
        rack: 'prod',
        logicalId: 'LaunchTemplate',
        resourceType: 'AWS::EC2::LaunchTemplate',
        status: 'UPDATE_COMPLETE',
        at,
      },
    },
    { type: 'event', now: 6000, event: { type: 'instance', rack: 'prod', instanceId: 'i-0abc', text: 'draining' } },
    {
      type: 'event',
      now: 7000,
      event: { type: 'health', rack: 'prod', text: 'waiting for health: 1 of 2 instances in service', ok: false },
    },
    { type: 'tick', now: 65_000 },
  ]);

  it('shows hops with progress, stack status, instances, health, resource events and elapsed time', () => {
    const text = frame(<OperationProgress state={running} height={20} width={100} />);
    expect(text).toMatch(/Updating prod from 1\.2\.0 to 1\.3\.1\s+elapsed 1m 05s/);
    expect(text).toContain('✓ hop 1/2 1.2.0 → 1.3.0 (42s)   ▶ hop 2/2 1.3.0 → 1.3.1   stack UPDATE_IN_PROGRESS');
    expect(text).toContain('i-0abc: draining');
    expect(text).toContain('waiting for health: 1 of 2 instances in service');
    expect(text).toContain('Resource events (1)');
    expect(text).toMatch(/11:58:30 LaunchTemplate\s+AWS::EC2::LaunchTemplate\s+UPDATE_COMPLETE/);
  });

  it('ends with the outcome and how long it took; unknown releases are named', () => {
    const done = operationReducer(running, {
      type: 'finish',
      outcome: { ok: false, text: 'The update failed and was rolled back.' },
      now: 90_000,
    });
    const text = frame(
      <OperationProgress
        state={done}
        height={20}
        width={100}
        describe={(v) => (v === '1.2.0' ? `${v} (unknown release)` : v)}
      />,
    );
    expect(text).toContain('took 1m 30s');
    expect(text).toContain('✗ The update failed and was rolled back.');
    expect(text).toContain('✗ hop 2/2');
    expect(text).toContain('1.2.0 (unknown release) → 1.3.0');
  });

  it('for many racks (sync) counts the finished ones and lists the running and failed within the screen', () => {
    const events: OperationAction[] = [];
    for (let i = 0; i < 30; i++) {
      const rack = `rack-${String(i).padStart(2, '0')}`;
      events.push({
        type: 'event',
        now: i,
        event: { type: 'hop-start', rack, index: 1, total: 1, from: '1.2.0', to: '1.3.1' },
      });
      if (i < 20)
        events.push({
          type: 'event',
          now: i,
          event: {
            type: 'rack-done',
            rack,
            outcome: i === 3 ? 'failed' : 'ok',
            text: i === 3 ? 'rolled back' : 'now at 1.3.1',
          },
        });
    }
    const text = frame(<OperationProgress state={fold(events)} height={20} width={100} />);
    expect(text).toContain('20 of 30 racks done: 19 updated, 1 failed, 0 skipped');
    expect(text).toMatch(/rack-03: ✗ hop 1\/1 1\.2\.0 → 1\.3\.1 · rolled back/);
    expect(text).toContain('rack-20: ▶ hop 1/1');
    expect(text).not.toContain('rack-00:');
    expect(text).toMatch(/… and \d+ more/);
    expect(text.split('\n').length).toBeLessThanOrEqual(20);
  });

  it('keeps the newest resource events that fit', () => {
    const many = fold(
      Array.from({ length: 50 }, (_, i) => ({
        type: 'event' as const,
        now: i,
        event: {
          type: 'resource' as const,
          rack: 'prod',
          logicalId: `Res${i}`,
          resourceType: 'AWS::S3::Bucket',
          status: 'UPDATE_COMPLETE',
          at,
        },
      })),
    );
    const text = frame(<OperationProgress state={many} height={10} width={100} />);
    expect(text).toContain('Res49');
    expect(text).not.toContain('Res10 ');
    expect(text.split('\n').length).toBeLessThanOrEqual(10);
  });
});

describe('ParameterEditor', () => {
  const editorFor = (key: string, value: string) => {
    const state = apply(
      initialDashboard(viewport, 0),
      { type: 'registry', racks: [rack('prod')] },
      { type: 'details-open', rack: 'prod', tab: 'parameters' },
      { type: 'details-parameters', rack: 'prod', value: { kind: 'ready', value: parameters() } },
      { type: 'edit-open', key },
      { type: 'edit-input', value },
    );
    return state.editor!;
  };

  it("shows the value, what is allowed, and the planner's verdict", () => {
    expect(frame(<ParameterEditor editor={editorFor('InstanceCount', '25')} />)).toContain(
      '✗ InstanceCount: "25" is above the maximum 20 (MaxValue).',
    );
    const ok = frame(<ParameterEditor editor={editorFor('InstanceCount', '4')} />);
    expect(ok).toContain('InstanceCount = 4');
    expect(ok).toContain('Allowed: Number, 1..20');
    expect(ok).toContain('✓ allowed (3 → 4); enter shows the plan');
  });

  it('never shows a secret being typed', () => {
    const text = frame(<ParameterEditor editor={editorFor('Password', SECRET)} />);
    expect(text).toContain(`Password = ${'*'.repeat(SECRET.length)}`);
    expect(text).toContain('NoEcho: the value is never shown');
    expect(text).not.toContain(SECRET);
    expect(frame(<ParameterEditor editor={editorFor('Password', 'ab cd')} />)).toContain('shorter than 8 characters');
  });
});

describe('Frame', () => {
  const state = () =>
    apply(
      initialDashboard(viewport, NOW.getTime()),
      { type: 'registry', racks: [rack('prod')] },
      { type: 'status', name: 'prod', status: status(rack('prod')), now: NOW.getTime() },
    );

  it('frames the table with a title, the refresh time and key hints', () => {
    const text = frame(<Frame state={state()} />);
    expect(text).toMatch(/^rack — 1 rack\s+refreshed 12:00:00\s+\? help/);
    expect(text).toContain(
      'enter details  u update  r rollback  p params  i instances  K keyroll  c channels  / filter  q quit',
    );
    expect(text.split('\n').length).toBeLessThan(viewport.rows);
  });

  it('shows help, the filter line, notices, and the registry being read', () => {
    expect(frame(<Frame state={apply(state(), { type: 'help', open: true })} />)).toContain(
      'roll the rack back to its previous release',
    );
    expect(
      frame(<Frame state={apply(state(), { type: 'filter-start' }, { type: 'filter-input', text: 'pr' })} />),
    ).toContain('/pr   1 of 1 racks · enter keep · esc clear');
    expect(
      frame(
        <Frame
          state={apply(state(), {
            type: 'notice',
            notice: { text: 'Could not read the registry: permission denied.', tone: 'error' },
          })}
        />,
      ),
    ).toContain('Could not read the registry: permission denied.');
    expect(frame(<Frame state={initialDashboard(viewport, 0)} />)).toContain('Reading the rack registry…');
    expect(
      frame(
        <Frame
          state={apply(initialDashboard(viewport, 0), {
            type: 'registry-failed',
            message: 'The rack registry is damaged',
          })}
        />,
      ),
    ).toContain('The rack registry is damaged');
  });

  it('shows planning, with warnings, then the result of a refusal', () => {
    const planning = apply(
      state(),
      { type: 'operation-planning', rack: 'prod', label: 'update' },
      { type: 'operation-event', event: { type: 'warning', text: 'pattern left to CloudFormation' }, now: 1 },
    );
    const text = frame(<Frame state={planning} />);
    expect(text).toContain('rack — update of prod');
    expect(text).toContain('Planning the update of prod');
    expect(text).toContain('Warning: pattern left to CloudFormation');
    const refused = apply(planning, {
      type: 'operation-finished',
      outcome: { ok: false, text: 'The update was refused.' },
      now: 2,
    });
    expect(frame(<Frame state={refused} />)).toContain('enter back to the racks  q quit');
  });

  it('names versions the catalog lacks in the plan', () => {
    const confirm = apply(
      state(),
      { type: 'catalog', versions: ['1.3.1'] },
      { type: 'operation-planning', rack: 'prod', label: 'update' },
      { type: 'operation-confirm', plan: UPDATE_PLAN },
    );
    expect(frame(<Frame state={confirm} />)).toContain('Path: 1.2.0 (unknown release) → 1.3.1');
  });
});
