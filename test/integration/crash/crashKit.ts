/**
 * What the kill-point suite shares: a local AWS whose stack updates take a little while (scripted timelines),
 * fresh racks, and the checks every kill point ends with — the secret intact (read through the harness's side
 * door), no lock left, no change set rack made left AVAILABLE, and a history with no entry still in progress
 * and at most one entry per run of the command.
 */
import { CloudFormationClient, DescribeStacksCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { expect } from 'vitest';
import type { HistoryEntry } from '../../../src/state/history.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../harness/localAws.js';
import { describeKillPoint, runRackToKillPoint, type KillPoint, type KillPointRun } from '../../harness/killPoints.js';
import { runRack, runRackBinary, tempHome, type RunResult } from '../../harness/runRack.js';
import { scriptTimelines, type ScriptedTimeline, type Timelines } from '../../harness/timelines.js';

export const PASSWORD = 'crash-Secret-42';

export interface CrashKit {
  aws: LocalAws;
  timelines: Timelines;
  cfn: CloudFormationClient;
  stop(): Promise<void>;
}

export async function startCrashKit(options: LocalAwsOptions = {}): Promise<CrashKit> {
  const aws = await startLocalAws(options);
  const timelines = scriptTimelines(aws);
  return {
    aws,
    timelines,
    cfn: new CloudFormationClient(aws.clientConfig()),
    stop: async () => {
      timelines.clear();
      await aws.stop();
    },
  };
}

export interface CrashRack {
  name: string;
  stackName: string;
  /** The timeline that plays the stack's operations (its `runs` are the operations that really ran). */
  timeline: ScriptedTimeline;
  home: string;
  env: Record<string, string>;
  /** The built binary, to its end. */
  binary(args: string[]): Promise<RunResult>;
  /** In-process, for reads. */
  rack(args: string[]): Promise<RunResult>;
}

let counter = 0;

/** A registered rack on a stack created at `version`; its updates take `inProgressMs` (every one of them). */
export async function freshRack(
  kit: CrashKit,
  options: { version: string; prefix: string; parameters?: Record<string, string>; inProgressMs?: number },
): Promise<CrashRack> {
  const stackName = `${options.prefix}-${++counter}`;
  await createRackStack(kit.aws, {
    stackName,
    version: options.version,
    password: PASSWORD,
    parameters: options.parameters ?? {},
  });
  return registerRack(kit, stackName, 'prod', options.inProgressMs);
}

export async function registerRack(
  kit: CrashKit,
  stackName: string,
  name: string,
  inProgressMs = 250,
  home = tempHome('rack-crash-'),
): Promise<CrashRack> {
  const rack = unregisteredRack(kit, stackName, name, inProgressMs, home);
  const added = await rack.rack(['racks', 'add', name, '--stack', stackName]);
  expect(added.code, added.stderr).toBe(0);
  return rack;
}

/** A home for a rack not registered yet (an install); its stack's operations take `inProgressMs`. */
export function unregisteredRack(
  kit: CrashKit,
  stackName: string,
  name: string,
  inProgressMs = 250,
  home = tempHome('rack-crash-'),
): CrashRack {
  const timeline = kit.timelines.script({
    stackName,
    inProgressMs,
    outcome: 'complete',
    times: Number.POSITIVE_INFINITY,
    operations: ['ExecuteChangeSet', 'UpdateStack', 'CreateStack', 'DeleteStack'],
  });
  const env = { ...kit.aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '30' };
  return {
    name,
    stackName,
    timeline,
    home,
    env,
    binary: (args) => runRackBinary(args, env, { timeoutMs: 90_000 }),
    rack: (args) => runRack(args, { env }),
  };
}

/** The killed run ended where the point says: by the signal, or (SIGINT/SIGTERM) handling it itself. */
export function expectStopped(run: KillPointRun): void {
  const label = `${describeKillPoint(run.point)}\n${run.stderr}`;
  expect(run.request, `the point was reached: ${label}`).toBeDefined();
  if (run.point.signal === 'SIGKILL') expect(run.signal, label).toBe('SIGKILL');
  else expect([0, 130], label).toContain(run.code);
}

export async function versionOf(kit: CrashKit, stackName: string): Promise<string | undefined> {
  return (await kit.aws.stackParameters(stackName)).Version;
}

export async function stackStatus(kit: CrashKit, stackName: string): Promise<string | undefined> {
  const out = await kit.cfn.send(new DescribeStacksCommand({ StackName: stackName })).catch(() => undefined);
  return out?.Stacks?.[0]?.StackStatus;
}

/** Change sets rack made that could still be executed. */
export async function availableChangeSets(kit: CrashKit, stackName: string): Promise<string[]> {
  const out = await kit.cfn.send(new ListChangeSetsCommand({ StackName: stackName }));
  return (out.Summaries ?? [])
    .filter((s) => s.ChangeSetName?.startsWith('rack-') && s.ExecutionStatus === 'AVAILABLE')
    .map((s) => s.ChangeSetName!);
}

export async function history(rack: CrashRack): Promise<HistoryEntry[]> {
  const shown = await rack.rack(['history', '--json']);
  expect(shown.code, shown.stderr).toBe(0);
  return shown.json().entries;
}

/**
 * What every kill point ends with, after the documented recovery: the secret as it was, the lock free (no
 * --force was needed), no change set of rack's left executable, no history entry still in progress, and at
 * most `runs` entries of the operation (one per run that wrote anything), ids unique.
 */
async function expectRecovered(
  kit: CrashKit,
  rack: CrashRack,
  operation: string,
  options: { runs?: number; label: string },
): Promise<HistoryEntry[]> {
  const { label } = options;
  expect((await kit.aws.stackParameters(rack.stackName)).Password, label).toBe(PASSWORD);
  const lock = await rack.rack(['unlock', '--json']);
  expect(lock.json().holder, label).toBeUndefined();
  expect(await availableChangeSets(kit, rack.stackName), label).toEqual([]);
  const entries = await history(rack);
  expect(
    entries.filter((e) => e.result === 'in-progress'),
    label,
  ).toEqual([]);
  expect(new Set(entries.map((e) => e.id)).size, label).toBe(entries.length);
  const ofOperation = entries.filter((e) => e.operation === operation);
  expect(ofOperation.length, label).toBeGreaterThanOrEqual(1);
  expect(ofOperation.length, label).toBeLessThanOrEqual(options.runs ?? 2);
  for (const entry of ofOperation) expect(entry.finishedAt, label).toBeDefined();
  return ofOperation;
}

export interface Scenario {
  /** A fresh rack (or racks) for one kill point; returns the rack the command acts on. */
  setup(): Promise<CrashRack>;
  args: string[];
  /** The history operation of the command. */
  operation: string;
  /** The killed run's entry as recovery completes it (its true outcome); several when timing decides. */
  expected(point: KillPoint): string | string[];
  /** Checks after the recovery run: the rack at its target, and what else the operation promises. */
  reached(rack: CrashRack, label: string): Promise<void>;
  /** Checks right after the stop, before any recovery (e.g. the keyroll's invariant). */
  stopped?(rack: CrashRack, point: KillPoint, label: string): Promise<void>;
  /** How many entries of the operation the recovery run may add: 0 when the stopped run had finished. */
  recoveryEntries?(point: KillPoint): number;
  /** `rack status` needs a registered rack: an install's recovery is the same command again only. */
  statusFirst?: boolean;
}

/**
 * One kill point: run the command to the point; when it handled the signal itself (SIGINT), check it let
 * go of its lock; then `rack status` (which finishes what the stopped run left: its record, its stack
 * operation, its change sets), then the same command again, and every check of `expectRecovered`.
 */
export async function killAndRecover(kit: CrashKit, scenario: Scenario, point: KillPoint): Promise<void> {
  const label = describeKillPoint(point);
  const rack = await scenario.setup();
  const run = await runRackToKillPoint(kit.aws, point, scenario.args, rack.env, { timeoutMs: 90_000 });
  expectStopped(run);
  await scenario.stopped?.(rack, point, label);
  if (point.signal === 'SIGINT') {
    expect((await rack.rack(['unlock', '--json'])).json().holder, `${label}: released by the process`).toBeUndefined();
    // Stopped before anything was executed: the process deleted its change sets itself.
    if (accepted(scenario, point).join() === 'cancelled') {
      expect(await availableChangeSets(kit, rack.stackName), label).toEqual([]);
      expect(run.stderr, label).toMatch(/Interrupted before/);
    }
  }

  let first: HistoryEntry | undefined;
  if (scenario.statusFirst !== false) {
    const status = await rack.rack(['status']);
    expect(status.code, `${label}\n${status.stderr}`).toBe(0);
    expect(await availableChangeSets(kit, rack.stackName), label).toEqual([]);
    expect((await rack.rack(['unlock', '--json'])).json().holder, label).toBeUndefined();
    [first] = (await history(rack)).filter((e) => e.operation === scenario.operation);
    expect(accepted(scenario, point), `${label}\n${JSON.stringify(first)}`).toContain(first?.result);
    if (point.signal === 'SIGKILL') expect(first?.note, label).toMatch(/recovered by .+ was gone/);
  }

  const again = await rack.binary(scenario.args);
  expect(again.code, `${label}\n${again.stderr}`).toBe(0);
  const [killed, ...rest] = await expectRecovered(kit, rack, scenario.operation, { label });
  if (first) expect(killed!.id, label).toBe(first.id);
  else if (point.signal === 'SIGKILL') expect(killed!.note, label).toMatch(/recovered by .+ was gone/);
  expect(accepted(scenario, point), label).toContain(killed!.result);
  for (const entry of rest) expect(entry.result, label).toBe('succeeded');
  const added = scenario.recoveryEntries?.(point) ?? (killed!.result === 'succeeded' ? 0 : 1);
  expect(rest.length, label).toBe(added);
  await scenario.reached(rack, label);
}

const accepted = (scenario: Scenario, point: KillPoint): string[] => [scenario.expected(point)].flat();
