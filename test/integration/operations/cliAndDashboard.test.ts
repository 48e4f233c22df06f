/**
 * The CLI and the dashboard call the same `run*` for every operation (docs/architecture.md, "The operation
 * lifecycle"): two racks made alike, each named prod in its own RACK_HOME, one driven by `rack` in-process and
 * the other by the dashboard's contextServices, through update, a parameter change, a keyroll and a rollback.
 * After each, the stacks hold the same parameters, the histories the same entry, and both say the same
 * sentence (times, key names and fingerprints aside).
 */
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../../src/context.js';
import type { OperationEvent } from '../../../src/io/events.js';
import type { HistoryEntry } from '../../../src/state/history.js';
import { readHistory } from '../../../src/state/history.js';
import { contextServices } from '../../../src/ui/dashboard/contextServices.js';
import type { DashboardServices, Operation } from '../../../src/ui/dashboard/services.js';
import type { PlanView } from '../../../src/ui/model/plans.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { repoRoot } from '../../harness/runRack.js';
import { clientsOf, freshRack, groupInstances, type Clients, type TestRack } from '../instances/rackFixture.js';

const PASSWORD = 'both-callers-Secret-7';
let aws: LocalAws;
let clients: Clients;
/** Driven by `rack …`. */
let cli: TestRack;
/** Driven by the dashboard's services. */
let ui: TestRack;
let ctx: Context;
let services: DashboardServices;
const warnings: string[] = [];

beforeAll(async () => {
  aws = await startLocalAws({ inServiceDelayMs: 300, ecsTaskStartMs: 100 });
  clients = clientsOf(aws);
  cli = await freshRack(aws, clients, { version: '1.1.0', password: PASSWORD, prefix: 'cli' });
  ui = await freshRack(aws, clients, { version: '1.1.0', password: PASSWORD, prefix: 'ui' });
  // The context `rack ui` builds, on the second rack's home; nothing of it reaches a terminal here.
  ctx = createContext(
    {
      argv: [],
      env: { HOME: os.tmpdir(), ...ui.env },
      cwd: repoRoot,
      stdin: new PassThrough(),
      stdout: { write: () => true },
      stderr: { write: () => true },
    },
    { json: false, yes: false, debug: false },
  );
  services = contextServices(ctx, {
    emit: (event) => {
      if (event.type === 'warning') warnings.push(event.text);
    },
  });
});
afterAll(async () => aws?.stop());

/** Runs a dashboard operation as its controller does, answering yes to the plan. */
async function viaDashboard(operation: Operation) {
  const plans: PlanView[] = [];
  const events: OperationEvent[] = [];
  const outcome = await operation({
    confirm: async (plan) => void plans.push(plan),
    reporter: { emit: (event) => events.push(event) },
    signal: new AbortController().signal,
  });
  return { outcome, plans, events };
}

async function viaCli(...args: string[]) {
  const result = await cli.rack([...args, '--yes']);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** The sentence without what differs from run to run: durations, key pair names and fingerprints. */
const sentence = (text: string) =>
  text
    .trim()
    .replace(/\d+\.\ds\b/g, '<t>s')
    .replace(/key pair \S+ \(SHA256:[^)]+\)/g, 'key pair <key> (<fingerprint>)');

/** A history entry as both callers must leave it: what, from, to, how it ended, its hops and steps. */
function entryShape(entry: HistoryEntry | undefined) {
  expect(entry).toBeDefined();
  const { operation, from, to, channel, result, hops, steps, note, cause } = entry!;
  return {
    operation,
    from,
    to,
    channel,
    result,
    // A keyroll's note names its key pair, unique to each rack.
    note: note?.replace(/key pair [^\s;]+/g, 'key pair <key>'),
    cause,
    hops: hops.map(({ from, to, result }) => ({ from, to, result })),
    steps: steps.map((s) => s.step),
  };
}

async function lastEntries() {
  const [a, b] = await Promise.all([readHistory(ctx.state, 'prod'), cliHistory()]);
  return { dashboard: entryShape(a.at(-1)), cli: entryShape(b.at(-1)) };
}

async function cliHistory(): Promise<HistoryEntry[]> {
  const result = await cli.rack(['history', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return result.json().entries;
}

/** Both stacks' parameters, without the Key a keyroll names uniquely for each. */
async function parameters() {
  const [a, b] = await Promise.all([aws.stackParameters(cli.stackName), aws.stackParameters(ui.stackName)]);
  const { Key: cliKey, ...cliRest } = a;
  const { Key: uiKey, ...uiRest } = b;
  return { cli: cliRest, ui: uiRest, keys: { cli: cliKey, ui: uiKey } };
}

describe('the CLI and the dashboard run the same operations', () => {
  it('update: across the barrier to the target, the same hops, history and sentence', async () => {
    const said = await viaCli('update');
    const { outcome, plans, events } = await viaDashboard(services.update('prod'));
    expect(outcome.ok).toBe(true);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.path).toEqual(['1.1.0', '1.2.0', '1.3.1']);
    expect(events.filter((e) => e.type === 'hop-done')).toHaveLength(2);
    expect(sentence(outcome.text)).toBe(sentence(said));
    expect(sentence(said)).toBe('Rack prod updated from 1.1.0 to 1.3.1 in <t>s (2 hops).');

    const stacks = await parameters();
    expect(stacks.ui).toEqual(stacks.cli);
    // LogRetention (its default, 7) renamed at the barrier.
    expect(stacks.cli).toMatchObject({ Version: '1.3.1', LogRetentionDays: '7', Password: PASSWORD });
    expect(stacks.cli).not.toHaveProperty('LogRetention');
    const { dashboard, cli: fromCli } = await lastEntries();
    expect(dashboard).toEqual(fromCli);
    expect(fromCli).toMatchObject({ operation: 'update', from: '1.1.0', to: '1.3.1', result: 'succeeded' });
  });

  it('params change: one parameter through a change set, the same stack, history and sentence', async () => {
    const said = await viaCli('params', 'set', 'LogRetentionDays=30');
    const { outcome, plans } = await viaDashboard(services.setParameter('prod', 'LogRetentionDays', '30'));
    expect(outcome.ok).toBe(true);
    expect(plans).toHaveLength(1);
    expect(sentence(outcome.text)).toBe(sentence(said));
    expect(said).toBe('Updated the parameters of prod.');

    const stacks = await parameters();
    expect(stacks.ui).toEqual(stacks.cli);
    expect(stacks.cli).toMatchObject({ Version: '1.3.1', LogRetentionDays: '30', Password: PASSWORD });
    const { dashboard, cli: fromCli } = await lastEntries();
    expect(dashboard).toEqual(fromCli);
    expect(fromCli).toMatchObject({ operation: 'params set', result: 'succeeded', note: 'changed LogRetentionDays' });
  });

  it('keyroll: a new key pair on the stack and on every instance, the same history and sentence', async () => {
    const said = await viaCli('instances', 'keyroll');
    const { outcome, plans } = await viaDashboard(services.keyroll('prod'));
    expect(outcome.ok).toBe(true);
    expect(plans).toHaveLength(1);
    expect(sentence(outcome.text)).toBe(sentence(said));
    expect(sentence(said)).toBe('Rack prod now uses key pair <key> (<fingerprint>); 2 instances replaced in <t>s.');

    const stacks = await parameters();
    expect(stacks.ui).toEqual(stacks.cli);
    for (const [rack, key] of [
      [cli, stacks.keys.cli],
      [ui, stacks.keys.ui],
    ] as const) {
      expect(said.includes(key!) || outcome.text.includes(key!)).toBe(true);
      const group = await groupInstances(clients, rack.group);
      expect(group.instances.map((i) => i.keyName)).toEqual(group.instances.map(() => key));
    }
    const { dashboard, cli: fromCli } = await lastEntries();
    expect(dashboard).toEqual(fromCli);
    expect(fromCli).toMatchObject({
      operation: 'keyroll',
      result: 'succeeded',
      note: 'key pair <key>; 2 instances replaced',
    });
  });

  it('reads: the parameters and instances the details show are what `rack params` and `rack instances` show', async () => {
    const params = await cli.rack(['params', '--json']);
    expect(params.code, params.stderr).toBe(0);
    const shown = await services.parameters('prod');
    // The same but for the key pair each keyroll named.
    const withoutKey = (list: { key: string; value?: string | null }[]) =>
      list.map((p) => (p.key === 'Key' ? { ...p, value: '<key>' } : p));
    expect(withoutKey(shown.shown)).toEqual(withoutKey(params.json().parameters));
    expect(shown.shown.find((p) => p.key === 'Password')).toMatchObject({ value: '****', noEcho: true });
    expect(JSON.stringify(shown)).not.toContain(PASSWORD);
    expect(shown.declarations.map((d) => d.key)).toEqual(shown.shown.map((p) => p.key));

    const listed = await cli.rack(['instances', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = await services.instances('prod');
    expect(rows).toHaveLength(listed.json().instances.length);
    for (const row of rows) expect(row.note).toMatch(/^key rack-ui-\S+ · ECS ACTIVE, \d+ tasks?$/);
  });

  it('rollback: back to the previous release, the same stack, history and sentence', async () => {
    const said = await viaCli('rollback');
    const { outcome, plans } = await viaDashboard(services.rollback('prod'));
    expect(outcome.ok).toBe(true);
    expect(plans).toHaveLength(1);
    expect(sentence(outcome.text)).toBe(sentence(said));
    expect(sentence(said)).toBe('Rack prod rolled back from 1.3.1 to 1.2.0 in <t>s.');

    const stacks = await parameters();
    expect(stacks.ui).toEqual(stacks.cli);
    expect(stacks.cli).toMatchObject({ Version: '1.2.0', LogRetentionDays: '30', Password: PASSWORD });
    const { dashboard, cli: fromCli } = await lastEntries();
    expect(dashboard).toEqual(fromCli);
    expect(fromCli).toMatchObject({ operation: 'rollback', from: '1.3.1', to: '1.2.0', result: 'succeeded' });
    expect(warnings).toEqual([]);
  });
});
