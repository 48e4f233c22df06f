import { describe, expect, it } from 'vitest';
import { ago, instancesTable, keyrollPlanText } from '../../../src/cli/instances/format.js';
import type { InstancesView } from '../../../src/services/instances.js';
import type { KeyrollPlan } from '../../../src/services/keyroll.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const secondsBefore = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

describe('ago', () => {
  it("reads like the seed document's STARTED column", () => {
    expect(ago(secondsBefore(3), NOW)).toBe('just now');
    expect(ago(secondsBefore(45), NOW)).toBe('45 seconds ago');
    expect(ago(secondsBefore(60), NOW)).toBe('1 minute ago');
    expect(ago(secondsBefore(59 * 60), NOW)).toBe('59 minutes ago');
    expect(ago(secondsBefore(3600 + 59), NOW)).toBe('1 hour ago');
    expect(ago(secondsBefore(3 * 86_400), NOW)).toBe('3 days ago');
    expect(ago(new Date(NOW.getTime() + 5000), NOW)).toBe('just now');
  });
});

describe('instancesTable', () => {
  const view: InstancesView = {
    rack: 'prod',
    stack: 'prod',
    key: 'rack-prod-new',
    cluster: 'prod',
    desired: 2,
    instances: [
      {
        id: 'i-1',
        state: 'InService',
        health: 'Healthy',
        zone: 'eu-west-1a',
        type: 't3.small',
        launchedAt: secondsBefore(7200).toISOString(),
        keyName: 'rack-prod-new',
        currentKey: true,
        ecs: {
          status: 'ACTIVE',
          agentConnected: true,
          runningTasks: 3,
          pendingTasks: 0,
          cpuReserved: 0,
          memoryReserved: 29.12,
        },
      },
      {
        id: 'i-2',
        state: 'Pending',
        health: 'Healthy',
        zone: 'eu-west-1b',
        type: 't3.small',
        keyName: 'old',
        currentKey: false,
        ecs: null,
      },
    ],
  };

  it('shows key and ECS columns where the rack runs ECS', () => {
    expect(instancesTable(view, NOW).split('\n')).toEqual([
      'ID   STATE      HEALTH   ZONE        TYPE      LAUNCHED     KEY      ECS     TASKS  CPU    MEM',
      'i-1  InService  Healthy  eu-west-1a  t3.small  2 hours ago  current  active  3      0.00%  29.12%',
      'i-2  Pending    Healthy  eu-west-1b  t3.small  -            old      -       -      -      -',
    ]);
  });

  it('leaves out the ECS columns without a cluster, and says when there is nothing', () => {
    const plain = {
      ...view,
      cluster: undefined,
      key: '',
      instances: view.instances.map(({ ecs: _, ...i }) => ({ ...i, currentKey: false })),
    };
    expect(instancesTable(plain, NOW).split('\n')[0]).toBe(
      'ID   STATE      HEALTH   ZONE        TYPE      LAUNCHED     KEY',
    );
    expect(instancesTable(plain, NOW).split('\n')[1]).toMatch(/ -$/);
    expect(instancesTable({ ...view, instances: [] }, NOW)).toBe('Rack prod has no instances.');
  });
});

describe('keyrollPlanText', () => {
  const plan: KeyrollPlan = {
    rack: {
      name: 'prod',
      stack: 'prod-stack',
      region: 'eu-west-1',
      channel: 'stable',
      addedAt: '2026-01-01T00:00:00Z',
    },
    currentKey: 'rack-prod-old',
    instances: [
      { instanceId: 'i-1', keyName: 'rack-prod-old', registered: true },
      { instanceId: 'i-2', registered: false },
    ],
    desired: 2,
    floor: 1,
    surge: false,
    pruneOld: true,
    warnings: ['Service api runs 1 task: it will see downtime while the instances are replaced.'],
    fragileServices: [{ name: 'api', desired: 1, running: 1 }],
    mustAcknowledge: true,
  };

  it('names the key, the instances, the floor and the warnings', () => {
    expect(keyrollPlanText(plan).split('\n')).toEqual([
      'Keyroll of prod (stack prod-stack): a new ed25519 key pair replaces key pair rack-prod-old.',
      '2 instances to replace, one at a time, drained first; at least 1 of 2 stay in service.',
      '  i-1  key rack-prod-old',
      '  i-2  key (none)  (not registered with the cluster)',
      'Older key pairs of this rack are deleted at the end (--prune-old).',
      'Warning: Service api runs 1 task: it will see downtime while the instances are replaced.',
    ]);
  });

  it('says what a continued keyroll has left', () => {
    const text = keyrollPlanText({
      ...plan,
      surge: true,
      floor: 2,
      resuming: { keyName: 'rack-prod-new', startedAt: '2026-03-01T11:00:00Z', replaced: 1, stackUpdated: true },
    });
    expect(text).toContain(
      'Continuing the keyroll of prod started 2026-03-01T11:00:00Z: key pair rack-prod-new, the stack already names it, 1 instance(s) replaced so far.',
    );
    expect(text).toContain('at least 2 of 2 stay in service (--surge: one extra instance for the duration).');
  });
});
