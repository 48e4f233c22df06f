/**
 * Planning an update's hops without AWS: migrations applied to the stack as each hop leaves it, --param
 * values placed at the first hop that declares them, secrets kept out of everything shown.
 */
import { describe, expect, it } from 'vitest';
import type { Release } from '../../../src/core/channels/catalog.js';
import { migrateStack, planHops, simulateStack, type HopsInput } from '../../../src/core/hopPlan.js';
import type { Migration } from '../../../src/core/migrations.js';
import type { ParameterDeclaration, RackTemplate } from '../../../src/core/template.js';

const PASSWORD = 'stack-Secret-1';

const release = (version: string, extra: Partial<Release> = {}): Release => ({
  version,
  template: `templates/rack-${version}.yaml`,
  sha256: 'a'.repeat(64),
  published: '2026-01-01T00:00:00Z',
  notes: `notes of ${version}`,
  barrier: false,
  ...extra,
});

const d = (key: string, extra: Partial<ParameterDeclaration> = {}): ParameterDeclaration => ({
  key,
  type: 'String',
  noEcho: false,
  ...extra,
});

/** The parameters of the shipped templates, release by release. */
const BASE = [
  d('Version'),
  d('Key', { default: '' }),
  d('Password', { noEcho: true, minLength: 8 }),
  d('InstanceCount', { type: 'Number', default: '3', minValue: 1, maxValue: 20 }),
];
const retention = (key: string) => d(key, { type: 'Number', default: '7', allowedValues: ['1', '3', '7', '14', '30'] });
const template = (...parameters: ParameterDeclaration[]): RackTemplate => ({ parameters, resources: [], outputs: [] });
const TEMPLATES: Record<string, RackTemplate> = {
  '1.0.0': template(...BASE),
  '1.1.0': template(...BASE, retention('LogRetention')),
  '1.2.0': template(...BASE, retention('LogRetentionDays')),
  '1.3.1': template(...BASE, retention('LogRetentionDays'), d('ApiDomain', { default: '' })),
  '1.4.0': template(
    ...BASE,
    retention('LogRetentionDays'),
    d('ApiDomain', { default: '' }),
    d('WebhookSecret', { noEcho: true }),
  ),
};
const MIGRATIONS: Migration[] = [
  { version: '1.2.0', changes: [{ kind: 'rename', from: 'LogRetention', to: 'LogRetentionDays' }] },
  { version: '1.4.0', changes: [{ kind: 'add', key: 'WebhookSecret', generate: { bytes: 24 } }] },
];

/** The stack of a 1.1.0 rack as DescribeStacks shows it: the NoEcho value masked. */
const STACK_110 = [
  { key: 'Version', value: '1.1.0' },
  { key: 'Key', value: '' },
  { key: 'Password', value: '****' },
  { key: 'InstanceCount', value: '3' },
  { key: 'LogRetention', value: '14' },
];

function plan(path: string[], extra: Partial<HopsInput> = {}) {
  return planHops({
    from: '1.1.0',
    stack: STACK_110,
    noEchoKeys: ['Password'],
    hops: path.map((version) => ({
      release: release(version, { barrier: version === '1.2.0' }),
      template: TEMPLATES[version]!,
    })),
    migrations: MIGRATIONS,
    params: {},
    generateSecret: (_spec, key) => `generated-${key}-value`,
    ...extra,
  });
}

const change = (hop: { parameters: { key: string }[] }, key: string) => hop.parameters.find((p) => p.key === key);

describe('planning the hops of an update', () => {
  it('applies the rename at the barrier and plans the next hop from the stack as the barrier leaves it', () => {
    const planned = plan(['1.2.0', '1.3.1']);
    expect(planned.problems).toEqual([]);
    expect(planned.warnings).toEqual([]);
    const [first, second] = planned.hops;
    expect(first).toMatchObject({ from: '1.1.0', to: '1.2.0', barrier: true, notes: 'notes of 1.2.0' });
    expect(first!.migrations).toEqual([
      { version: '1.2.0', kind: 'rename', from: 'LogRetention', key: 'LogRetentionDays', valueFrom: 'stack' },
    ]);
    expect(change(first!, 'LogRetentionDays')).toMatchObject({ kind: 'set', source: 'migration', displayNew: '14' });
    expect(change(first!, 'LogRetention')).toMatchObject({ kind: 'removed' });
    expect(change(first!, 'Password')).toMatchObject({ kind: 'keep', noEcho: true, displayOld: '****' });
    expect(planned.changes[0]).toEqual({
      userChanges: {},
      migrationChanges: { set: { LogRetentionDays: '14' }, remove: ['LogRetention'] },
      unrecoverable: [],
    });
    // The second hop sees the renamed parameter as the stack will have it after the first.
    expect(second).toMatchObject({ from: '1.2.0', to: '1.3.1', barrier: false, migrations: [] });
    expect(change(second!, 'LogRetentionDays')).toMatchObject({ kind: 'keep', displayOld: '14', displayNew: '14' });
    expect(change(second!, 'ApiDomain')).toMatchObject({ kind: 'new-default' });
    expect(change(second!, 'Version')).toMatchObject({ kind: 'set', displayOld: '1.2.0', displayNew: '1.3.1' });
  });

  it('gives a --param to the first hop that declares it, and one no hop declares to the last, which refuses it', () => {
    const placed = plan(['1.2.0', '1.3.1'], { params: { ApiDomain: 'api.example.com', InstanceCount: '5' } });
    expect(placed.changes.map((c) => c.userChanges)).toEqual([
      { InstanceCount: '5' },
      { ApiDomain: 'api.example.com' },
    ]);
    expect(change(placed.hops[1]!, 'ApiDomain')).toMatchObject({ kind: 'set', source: 'user' });

    const unknown = plan(['1.2.0', '1.3.1'], { params: { Bogus: '1' } });
    expect(unknown.changes.map((c) => c.userChanges)).toEqual([{}, { Bogus: '1' }]);
    expect(unknown.problems).toEqual([expect.stringMatching(/^1\.3\.1: .*Bogus/)]);
    expect(unknown.hops[1]!.parameters).toEqual([]);
  });

  it('draws a generated secret for the hop that crosses its migration, and never shows it', () => {
    const planned = plan(['1.2.0', '1.3.1', '1.4.0']);
    expect(planned.problems).toEqual([]);
    expect(planned.changes[2]!.migrationChanges.set).toEqual({ WebhookSecret: 'generated-WebhookSecret-value' });
    expect(change(planned.hops[2]!, 'WebhookSecret')).toMatchObject({ kind: 'set', noEcho: true });
    expect(JSON.stringify(planned.hops)).not.toContain('generated-WebhookSecret-value');
  });

  it('never reads a secret the API returned in clear: it stays UsePreviousValue and out of every plan', () => {
    const leaky = STACK_110.map((p) => (p.key === 'Password' ? { ...p, value: PASSWORD } : p));
    const planned = plan(['1.2.0', '1.3.1'], { stack: leaky });
    expect(planned.problems).toEqual([]);
    expect(JSON.stringify(planned)).not.toContain(PASSWORD);
    for (const hop of planned.hops) expect(change(hop, 'Password')).toMatchObject({ kind: 'keep', noEcho: true });
  });

  it('warns when a hop skips the release that introduced the parameter its migration changes', () => {
    const planned = plan(['1.2.0'], {
      from: '1.0.0',
      stack: STACK_110.filter((p) => p.key !== 'LogRetention').map((p) =>
        p.key === 'Version' ? { ...p, value: '1.0.0' } : p,
      ),
    });
    expect(planned.problems).toEqual([]);
    expect(planned.warnings).toEqual([
      expect.stringMatching(/^1\.2\.0: .*LogRetention.*; the template's default applies$/),
    ]);
    expect(change(planned.hops[0]!, 'LogRetentionDays')).toMatchObject({ kind: 'new-default' });
  });

  it('lists every hop’s problems with its version, planning later hops from the stack as it was', () => {
    const planned = plan(['1.2.0', '1.3.1'], { params: { InstanceCount: '99', ApiDomain: 'ok' } });
    expect(planned.problems).toEqual([expect.stringMatching(/^1\.2\.0: .*InstanceCount/)]);
    expect(planned.hops[0]!.parameters).toEqual([]);
    // The second hop still plans, against the stack the failed hop never changed (LogRetention not renamed).
    expect(change(planned.hops[1]!, 'LogRetention')).toMatchObject({ kind: 'removed', source: 'template' });
    expect(change(planned.hops[1]!, 'LogRetentionDays')).toMatchObject({ kind: 'new-default' });
  });
});

describe('the stack after a hop', () => {
  it('keeps previous values, takes sent ones, defaults the rest, and shows a secret only masked', () => {
    const after = simulateStack(
      TEMPLATES['1.3.1']!,
      [
        { key: 'Password', value: '****' },
        { key: 'LogRetentionDays', value: '14' },
      ],
      [
        { ParameterKey: 'Version', ParameterValue: '1.3.1' },
        { ParameterKey: 'Password', ParameterValue: PASSWORD },
        { ParameterKey: 'LogRetentionDays', UsePreviousValue: true },
      ],
    );
    expect(after).toEqual([
      { key: 'Version', value: '1.3.1' },
      { key: 'Key', value: '' },
      { key: 'Password', value: '****' },
      { key: 'InstanceCount', value: '3' },
      { key: 'LogRetentionDays', value: '14' },
      { key: 'ApiDomain', value: '' },
    ]);
  });
});

describe('migrating the stack', () => {
  it('undoes a rename backward, and cannot recover a secret a migration renames unless supplied', () => {
    const stack = [
      { key: 'Version', value: '1.4.0' },
      { key: 'LogRetentionDays', value: '14' },
      { key: 'WebhookSecret', value: '****' },
    ];
    const never = () => {
      throw new Error('a rollback never generates secrets');
    };
    const back = migrateStack(stack, new Set(['WebhookSecret']), [...MIGRATIONS].reverse(), 'backward', {
      generateSecret: never,
    });
    expect(back.changes).toEqual({ set: { LogRetention: '14' }, remove: ['LogRetentionDays', 'WebhookSecret'] });
    expect(back.unrecoverable).toEqual([]);
    expect(back.effects.map((e) => e.kind)).toEqual(['remove', 'rename']);

    const renamedSecret: Migration[] = [
      { version: '2.0.0', changes: [{ kind: 'rename', from: 'Password', to: 'Secret' }] },
    ];
    const forward = migrateStack(
      [{ key: 'Password', value: '****' }],
      new Set(['Password']),
      renamedSecret,
      'forward',
      {
        generateSecret: never,
      },
    );
    expect(forward.unrecoverable.map((u) => u.key)).toEqual(['Secret']);
    const supplied = migrateStack(
      [{ key: 'Password', value: '****' }],
      new Set(['Password']),
      renamedSecret,
      'forward',
      {
        generateSecret: never,
        supplied: { Secret: 'given-Secret-1' },
      },
    );
    expect(supplied.unrecoverable).toEqual([]);
    expect(supplied.changes.set).toEqual({ Secret: 'given-Secret-1' });
  });
});
