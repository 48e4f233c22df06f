/**
 * Key flows through the whole dashboard: fake services, a fake terminal of fixed size, keys on stdin,
 * assertions on the last frame.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardApp } from '../../../src/ui/dashboard/App.js';
import { updateFailed } from '../../../src/errors.js';
import { keyrollPlanView } from '../../../src/ui/model/plans.js';
import {
  fakeServices,
  frameWhere,
  frameWith,
  KEYS,
  rack,
  ROLLBACK_PLAN,
  renderTerminal,
  SECRET,
  status,
  UPDATE_PLAN,
  upToDate,
  type FakeServices,
  type Script,
  type Terminal,
} from './fixtures.js';

const at = new Date('2026-11-21T12:00:05Z');
const OPTIONS = { refreshMs: 60_000, concurrency: 4, tickMs: 50 };
let terminal: Terminal | undefined;
afterEach(() => terminal?.instance.unmount());

function open(services: FakeServices, size?: { columns: number; rows: number }): Terminal {
  terminal = renderTerminal(<DashboardApp services={services} options={OPTIONS} />, size);
  return terminal;
}

const racks = () => [rack('prod'), rack('staging', { channel: 'unstable' }), rack('test')];

describe('the dashboard', () => {
  it('lists racks at once, fills in statuses as they arrive, and quits with q', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const t = open(fakeServices(racks(), { slow }));
    const loading = await frameWith(t.lastFrame, 'staging');
    expect(loading).toMatch(/prod\s+stable\s+loading…/);
    expect(loading).toContain('refreshing 3…');
    release();
    const loaded = await frameWith(t.lastFrame, 'update available');
    expect(loaded).toMatch(/› prod\s+stable\s+1\.2\.0\s+1\.3\.1\s+update available/);
    await t.type('q');
    await t.exited;
  });

  it('keys answer while statuses are still loading', async () => {
    const t = open(fakeServices(racks(), { slow: new Promise(() => undefined) }));
    await frameWith(t.lastFrame, 'test');
    await t.type('j', KEYS.down);
    expect(await frameWhere(t.lastFrame, (f) => /› test/.test(f))).toMatch(/test\s+stable\s+loading…/);
    await t.type('?');
    await frameWith(t.lastFrame, 'this help');
    await t.type('x', KEYS.up, 'k');
    expect(await frameWhere(t.lastFrame, (f) => /› prod/.test(f))).not.toContain('this help');
  });

  it('scrolls 200 racks, rendering only what fits', async () => {
    const many = Array.from({ length: 200 }, (_, i) => rack(`rack-${String(i).padStart(3, '0')}`));
    const t = open(fakeServices(many, { statuses: many.map(upToDate) }), { columns: 100, rows: 20 });
    await frameWhere(t.lastFrame, (f) => f.includes('up to date'));
    await t.type('G');
    const end = await frameWith(t.lastFrame, '› rack-199');
    expect(end).not.toContain('rack-000');
    expect(end.split('\n').filter((l) => /rack-\d{3}/.test(l))).toHaveLength(14);
    expect(end).toContain('rows 187–200 of 200');
    await t.type(KEYS.pageDown, 'g');
    await frameWith(t.lastFrame, '› rack-000');
  });

  it('filters with /, keeps the filter with enter and clears it with esc', async () => {
    const services = fakeServices(racks());
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('/', 's', 't', 'a');
    // "sta" is in "stable" too: every rack matches.
    expect(await frameWith(t.lastFrame, '/sta')).toContain('3 of 3 racks');
    await t.type('g');
    const filtered = await frameWith(t.lastFrame, '/stag');
    expect(filtered).toContain('1 of 3 racks');
    expect(filtered).not.toMatch(/^. prod /m);
    expect(filtered).toContain('› staging');
    // Keys typed while filtering are text, not commands.
    expect(services.calls).toEqual([]);
    await t.type(KEYS.enter, 'u');
    // With the filter kept, keys act again: u plans the update of the rack the filter left selected.
    await frameWith(t.lastFrame, 'y confirm');
    expect(services.calls).toEqual(['update staging:plan']);
    await t.type('n');
    const cancelled = await frameWith(t.lastFrame, 'The update of staging was cancelled');
    expect(cancelled).toContain('rack — 1 of 3 racks matching "stag" (esc clears)');
    await t.type(KEYS.escape);
    await frameWhere(t.lastFrame, (f) => f.includes('prod') && f.includes('test') && f.includes('rack — 3 racks'));
  });

  it('shows rack details: parameters masked, history, instances', async () => {
    const t = open(fakeServices(racks()));
    await frameWith(t.lastFrame, 'update available');
    await t.type(KEYS.enter);
    const details = await frameWith(t.lastFrame, 'Password');
    expect(details).toContain('rack — prod');
    expect(details).toMatch(/Password\s+\*\*\*\*/);
    expect(details).not.toContain(SECRET);
    await t.type(KEYS.tab);
    await frameWith(t.lastFrame, '1.1.0 → 1.2.0');
    await t.type(KEYS.tab);
    expect(await frameWith(t.lastFrame, 'i-0fff')).toMatch(/i-0fff\s+InService\s+Healthy\s+us-east-1b/);
    await t.type(KEYS.escape);
    await frameWith(t.lastFrame, 'enter details');
    await t.type('i');
    await frameWith(t.lastFrame, 'key rack-prod-1 · ECS ACTIVE, 1 task');
  });

  it('updates a rack: the plan, y, hops and resource events, the outcome, and the new version in the table', async () => {
    let services!: FakeServices;
    let finish!: () => void;
    const script: Script = {
      plan: UPDATE_PLAN,
      events: [
        { type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' },
        { type: 'stack-status', rack: 'prod', stack: 'prod-stack', status: 'UPDATE_IN_PROGRESS', at },
        {
          type: 'resource',
          rack: 'prod',
          logicalId: 'LaunchTemplate',
          resourceType: 'AWS::EC2::LaunchTemplate',
          status: 'UPDATE_COMPLETE',
          at,
        },
      ],
      hold: new Promise((resolve) => (finish = resolve)),
      after: () => services.statuses.set('prod', upToDate(rack('prod'))),
      outcome: { ok: true, text: 'Rack prod updated from 1.2.0 to 1.3.1 in 61.0s (1 hop).' },
    };
    services = fakeServices(racks(), { update: script });
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('u');
    const plan = await frameWith(t.lastFrame, 'Update prod to 1.3.1?');
    expect(plan).toMatch(/Database\s+AWS::RDS::DBInstance\s+REPLACED/);
    await t.type('y');
    const running = await frameWith(t.lastFrame, 'LaunchTemplate');
    expect(running).toContain('▶ hop 1/1 1.2.0 → 1.3.1');
    expect(running).toContain('stack UPDATE_IN_PROGRESS');
    expect(running).toMatch(/elapsed \d+s/);
    expect(running).toContain('ctrl-c stop following');
    await t.type('q', KEYS.escape);
    expect(t.lastFrame()).toContain('▶ hop 1/1');
    finish();
    const done = await frameWith(t.lastFrame, 'Rack prod updated from 1.2.0 to 1.3.1');
    expect(done).toContain('✓ hop 1/1');
    expect(done).toMatch(/took \d+s/);
    await t.type(KEYS.enter);
    const table = await frameWhere(t.lastFrame, (f) => /› prod\s+stable\s+1\.3\.1\s+1\.3\.1\s+up to date/.test(f));
    expect(table).toContain('enter details');
  });

  it('n at the confirmation changes nothing', async () => {
    const services = fakeServices(racks());
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('u');
    await frameWith(t.lastFrame, 'Update prod to 1.3.1?');
    await t.type('n');
    await frameWith(t.lastFrame, 'The update of prod was cancelled; nothing was changed.');
    expect(services.calls).toEqual(['update prod:plan']);
  });

  it('a refusal while planning is shown with what to do next', async () => {
    const refusal: Script = {
      events: [],
      error: new Error('The update of prod was refused: 1.3.0 is yanked. Next: pass --version 1.3.1.'),
    };
    const t = open(fakeServices(racks(), { update: refusal }));
    await frameWith(t.lastFrame, 'update available');
    await t.type('u');
    const frame = await frameWith(t.lastFrame, 'was refused');
    expect(frame).toContain('✗');
    expect(frame).toContain('enter back to the racks');
  });

  it('a failed update shows the failing hop and the cause', async () => {
    const failing: Script = {
      plan: UPDATE_PLAN,
      events: [
        { type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' },
        {
          type: 'resource',
          rack: 'prod',
          logicalId: 'Service',
          resourceType: 'AWS::ECS::Service',
          status: 'UPDATE_FAILED',
          reason: 'tasks failed to start',
          at,
        },
      ],
      error: updateFailed(
        'The update of prod to 1.3.1 failed and was rolled back; cause: Service (AWS::ECS::Service): tasks failed to start.',
      ),
    };
    const t = open(fakeServices(racks(), { update: failing }));
    await frameWith(t.lastFrame, 'update available');
    await t.type('u', 'y');
    const frame = await frameWith(t.lastFrame, 'was rolled back');
    expect(frame).toContain('✗ hop 1/1');
    expect(frame).toMatch(/Service\s+AWS::ECS::Service\s+UPDATE_FAILED: tasks failed/);
  });

  it('ctrl-c during an operation stops following it', async () => {
    const waiting: Script = {
      plan: UPDATE_PLAN,
      events: [{ type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' }],
      hold: new Promise(() => undefined),
    };
    const services = fakeServices(racks(), { update: waiting });
    // The hold never ends; the operation ends when its signal is aborted.
    services.update = (r) => async (hooks) => {
      await hooks.confirm(UPDATE_PLAN);
      hooks.reporter.emit({ type: 'hop-start', rack: r, index: 1, total: 1, from: '1.2.0', to: '1.3.1' });
      await new Promise((_, reject) =>
        hooks.signal.addEventListener('abort', () =>
          reject(new Error('Stopped following prod-stack; CloudFormation keeps working.')),
        ),
      );
      return { ok: true, text: 'unreachable' };
    };
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('u', 'y');
    await frameWith(t.lastFrame, '▶ hop 1/1');
    await t.type(KEYS.ctrlC);
    await frameWith(t.lastFrame, 'Stopped following prod-stack; CloudFormation keeps working.');
  });

  it('ctrl-c while planning stops before the confirmation, and nothing is written', async () => {
    const services = fakeServices(racks());
    let planned!: () => void;
    const planning = new Promise<void>((resolve) => (planned = resolve));
    services.update = () => async (hooks) => {
      await planning;
      await hooks.confirm(UPDATE_PLAN);
      services.calls.push('write');
      return { ok: true, text: 'written' };
    };
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('u');
    await frameWith(t.lastFrame, 'Planning the update of prod');
    await t.type(KEYS.ctrlC);
    planned();
    await frameWith(t.lastFrame, 'The update of prod was cancelled; nothing was changed.');
    expect(services.calls).toEqual([]);
  });

  it('changes a parameter: checked as typed, the plan, then the write', async () => {
    const services = fakeServices(racks(), {
      setParameter: {
        plan: {
          ...UPDATE_PLAN,
          title: 'Change the parameters of prod',
          path: [],
          question: 'Apply these changes to prod?',
        },
        events: [],
        outcome: { ok: true, text: 'Updated the parameters of prod.' },
      },
    });
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('p');
    await frameWith(t.lastFrame, 'InstanceCount');
    await t.type('j', 'j', KEYS.enter);
    await frameWith(t.lastFrame, 'InstanceCount = 3');
    await t.type(KEYS.backspace, '2', '5');
    await frameWith(t.lastFrame, 'above the maximum 20');
    await t.type(KEYS.enter);
    expect(services.calls).toEqual([]);
    await t.type(KEYS.backspace);
    await frameWith(t.lastFrame, '✓ allowed (3 → 2)');
    await t.type(KEYS.enter);
    await frameWith(t.lastFrame, 'Apply these changes to prod?');
    await t.type('y');
    await frameWith(t.lastFrame, 'Updated the parameters of prod.');
    expect(services.calls).toEqual(['set prod InstanceCount', 'params prod:plan', 'params prod:write']);
  });

  it('types a NoEcho value without ever showing it', async () => {
    const t = open(fakeServices(racks()));
    await frameWith(t.lastFrame, 'update available');
    await t.type('p', 'G');
    await t.type(KEYS.down, KEYS.down, KEYS.down, KEYS.down, KEYS.enter);
    await frameWith(t.lastFrame, 'NoEcho: the value is never shown');
    await t.type(SECRET);
    const frame = await frameWith(t.lastFrame, '✓ allowed');
    expect(frame).toContain(`Password = ${'*'.repeat(SECRET.length)}`);
    expect(frame).not.toContain(SECRET);
  });

  it('shows channels with c', async () => {
    const t = open(fakeServices(racks()));
    await frameWith(t.lastFrame, 'update available');
    await t.type('c');
    const frame = await frameWith(t.lastFrame, 'of soak left');
    expect(frame).toContain('rack — channels');
    expect(frame).toMatch(/yanked: api breaks \(fixed in 1\.3\.1\)/);
    await t.type(KEYS.escape);
    await frameWith(t.lastFrame, 'enter details');
  });

  it('rolls back with r, after n at a keyroll changed nothing', async () => {
    const rollback: Script = {
      plan: ROLLBACK_PLAN,
      events: [
        { type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.1.0' },
        { type: 'hop-done', rack: 'prod', index: 1, total: 1, to: '1.1.0', ms: 30_000 },
      ],
      outcome: { ok: true, text: 'Rack prod rolled back from 1.2.0 to 1.1.0 in 30.0s.' },
    };
    const services = fakeServices(racks(), { rollback });
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('K');
    await frameWith(t.lastFrame, 'Roll the SSH key of prod and replace 1 instance?');
    await t.type('n');
    await frameWith(t.lastFrame, 'The keyroll of prod was cancelled; nothing was changed.');
    await t.type('r');
    await frameWith(t.lastFrame, 'Roll prod back to 1.1.0?');
    await t.type('y');
    await frameWith(t.lastFrame, 'Rack prod rolled back from 1.2.0 to 1.1.0');
    expect(services.calls).toEqual(['keyroll prod:plan', 'rollback prod:plan', 'rollback prod:write']);
  });

  it('rolls the key with K: the plan names the warnings and the instances, y answers both', async () => {
    const keyroll: Script = {
      plan: keyrollPlanView({
        rack: { name: 'prod' },
        currentKey: 'rack-prod-1',
        instances: [
          { instanceId: 'i-0aaa', keyName: 'rack-prod-1', registered: true },
          { instanceId: 'i-0bbb', registered: false },
        ],
        desired: 2,
        floor: 1,
        surge: false,
        pruneOld: false,
        warnings: ['service api runs 1 task: it stops while its instance is replaced'],
        mustAcknowledge: true,
      }),
      events: [
        { type: 'instance', rack: 'prod', instanceId: 'i-0aaa', text: 'draining' },
        { type: 'instance', rack: 'prod', instanceId: 'i-0aaa', text: 'terminated, replaced by i-0ccc' },
      ],
      outcome: { ok: true, text: 'Rack prod now uses key pair rack-prod-2; 2 instances replaced in 80.0s.' },
    };
    const instances = [
      {
        id: 'i-0aaa',
        state: 'InService',
        health: 'Healthy',
        zone: 'us-east-1a',
        type: 't3.small',
        note: 'key rack-prod-1 · ECS ACTIVE, 2 tasks',
      },
    ];
    const services = fakeServices(racks(), { keyroll, instances });
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('i');
    expect(await frameWith(t.lastFrame, 'i-0aaa')).toMatch(
      /i-0aaa\s+InService\s+Healthy\s+us-east-1a\s+t3\.small\s+key rack-prod-1 · ECS ACTIVE, 2 tasks\s+-/,
    );
    await t.type('K');
    const plan = await frameWith(t.lastFrame, 'Accept the warnings and roll the key of prod?');
    expect(plan).toContain('Warning: service api runs 1 task');
    expect(plan).toContain('Replace i-0bbb (key none, not in ECS)');
    expect(plan).toContain('In service throughout: at least 1 of 2');
    await t.type('y');
    const done = await frameWith(t.lastFrame, 'now uses key pair rack-prod-2');
    expect(done).toContain('i-0aaa: terminated, replaced by i-0ccc');
    expect(services.calls).toEqual(['keyroll prod:plan', 'keyroll prod:write']);
  });

  it('n at the rollback confirmation changes nothing', async () => {
    const services = fakeServices(racks());
    const t = open(services);
    await frameWith(t.lastFrame, 'update available');
    await t.type('r');
    await frameWith(t.lastFrame, 'Roll prod back to 1.1.0?');
    await t.type('n');
    await frameWith(t.lastFrame, 'The rollback of prod was cancelled; nothing was changed.');
    expect(services.calls).toEqual(['rollback prod:plan']);
  });

  it('shows unreachable racks with the reason, and versions the catalog lacks', async () => {
    const [prod, staging, test] = racks();
    const services = fakeServices(racks(), {
      unreachable: ['test'],
      statuses: [status(prod!), status(staging!, { version: '0.9.0', release: 'unknown', state: 'unknown' })],
    });
    const t = open(services);
    const frame = await frameWith(t.lastFrame, 'cannot reach');
    expect(frame).toMatch(/test\s+stable\s+unreachable\s+cannot reach us-east-1/);
    expect(frame).toContain('0.9.0 (unknown release)');
    void test;
  });
});
