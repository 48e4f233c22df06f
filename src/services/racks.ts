/**
 * The rack registry as operators use it: register an existing stack, list, show and forget racks.
 */
import { alarmName, describeAlarms, isAlarmArn } from '../aws/alarms.js';
import { assertRegion } from '../aws/errors.js';
import { findStack, parameterValue, type StackSummary } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { RACK_NAME, RACK_NAME_RULE } from '../core/rackName.js';
import { parseStackId } from '../core/stackIdentity.js';
import { applyLabelChanges, type LabelChanges } from '../core/labels.js';
import { parseWindow } from '../core/windows.js';
import {
  addRack,
  checkedRack,
  listRacks,
  MAX_MONITOR_MINUTES,
  removeRack,
  resolveRack,
  type Rack,
  updateRack,
} from '../state/registry.js';

export interface RegisterInput {
  name: string;
  stack: string;
  region?: string;
  profile?: string;
  channel?: string;
  window?: string;
  roleArn?: string;
  labels?: LabelChanges;
  /** CloudWatch alarms (names or ARNs) for the rack's rollback triggers. */
  alarms?: string[];
  /** The rollback monitoring time, in minutes. */
  monitorMinutes?: number;
}

export interface RackView {
  rack: Rack;
  /** The stack's `Version` parameter; undefined when the stack could not be read. */
  version?: string;
  stackStatus?: string;
  /** Why the stack could not be read, if it could not. */
  problem?: string;
}

export async function registerRack(ctx: Context, input: RegisterInput): Promise<RackView> {
  if (!RACK_NAME.test(input.name)) {
    throw usageError(`"${input.name}" is not a valid rack name.`, { next: `Use ${RACK_NAME_RULE}.` });
  }
  if (input.window !== undefined) parseWindow(input.window);
  checkMonitor(input.monitorMinutes);
  const labels = input.labels ? applyLabelChanges(undefined, input.labels) : undefined;
  const alarms = input.alarms?.length ? uniqueAlarms(input.alarms) : undefined;
  // A StackId names its region; a name needs one given.
  const arn = parseStackId(input.stack);
  if (arn && input.region && input.region !== arn.region) {
    throw usageError(`Stack ${input.stack} is in ${arn.region}, not ${input.region}.`, {
      next: 'Leave out --region when you give the stack by its ARN, or give the stack by name.',
    });
  }
  const region = arn?.region ?? input.region ?? ctx.defaultRegion();
  assertRegion(region);
  const given = await checkedRack({
    name: input.name,
    stack: arn?.name ?? input.stack,
    region,
    ...((input.profile ?? ctx.options.profile) ? { profile: input.profile ?? ctx.options.profile } : {}),
    channel: input.channel ?? 'stable',
    ...(input.window ? { window: input.window } : {}),
    ...(input.roleArn ? { roleArn: input.roleArn } : {}),
    addedAt: ctx.clock.now().toISOString(),
    ...(labels && Object.keys(labels).length ? { labels: { ...labels } } : {}),
    ...(alarms ? { alarms } : {}),
    ...(input.monitorMinutes !== undefined ? { monitorMinutes: input.monitorMinutes } : {}),
  });
  const stack = await findStack(ctx.aws(given), input.stack);
  if (!stack) {
    throw usageError(`Stack "${input.stack}" does not exist in ${region}.`, {
      untouched: 'The registry was left as it is.',
      next: `Check the stack name and region (--region), or install a new rack with \`rack install ${given.name} --stack ${given.stack}\`.`,
    });
  }
  if (alarms) await requireAlarms(ctx, given, alarms);
  // Registered by its identity: the same stack by name and by ARN is one rack (addRack refuses a second).
  const rack = await checkedRack({ ...given, stack: stack.name, stackId: stack.id });
  await addRack(ctx.state, rack);
  return view(rack, stack);
}

function view(rack: Rack, stack: StackSummary | undefined): RackView {
  if (!stack) return { rack, problem: `stack ${rack.stack} not found in ${rack.region}` };
  return { rack, version: parameterValue(stack, 'Version'), stackStatus: stack.status };
}

export interface RackListing extends RackView {
  /** "unknown" when the catalog lacks the rack's version (a release of another source, or another tool's). */
  release?: 'known' | 'unknown';
  /** The pinned channel's target. */
  target?: string;
  /** up-to-date, update-available, yanked, in-progress, failed or unknown (see rack status). */
  state?: string;
  path?: string[];
}

/**
 * Every registered rack with its version, its channel's target and its state, read in parallel; a rack
 * whose stack cannot be read is listed with the reason. Channels are read once for all of them; when they
 * cannot be read, racks are still listed, without targets.
 */
export async function describeRacks(ctx: Context): Promise<RackListing[]> {
  const racks = await listRacks(ctx.state);
  if (racks.length === 0) return [];
  const { loadChannels } = await import('./releases.js');
  const { rackStatus } = await import('./status.js');
  const loaded = await loadChannels(ctx).catch((error: Error) => {
    ctx.events.emit({
      type: 'warning',
      text: `channels could not be read, so targets are not shown: ${error.message}`,
    });
    return undefined;
  });
  return Promise.all(
    racks.map(async (rack): Promise<RackListing> => {
      try {
        if (!loaded) return view(rack, await findStack(ctx.aws(rack), rack.stackId ?? rack.stack));
        const status = await rackStatus(ctx, rack, loaded);
        return {
          rack,
          version: status.version,
          ...(status.release ? { release: status.release } : {}),
          stackStatus: status.stackStatus,
          target: status.target,
          state: status.state,
          path: status.path,
          ...(status.stackStatus ? {} : { problem: `stack ${rack.stack} not found in ${rack.region}` }),
        };
      } catch (error) {
        return { rack, problem: (error as Error).message };
      }
    }),
  );
}

export async function describeRack(ctx: Context, name: string): Promise<RackView> {
  const rack = await resolveRack(ctx.state, name);
  return view(rack, await findStack(ctx.aws(rack), rack.stackId ?? rack.stack));
}

export interface LabelInput {
  labels?: LabelChanges;
  addAlarms?: string[];
  removeAlarms?: string[];
  monitorMinutes?: number;
}

/** `rack racks label`: labels set and removed, alarms added and removed, the monitoring time changed. */
export async function labelRack(ctx: Context, name: string, input: LabelInput): Promise<Rack> {
  checkMonitor(input.monitorMinutes);
  const rack = await resolveRack(ctx.state, name);
  const adding = uniqueAlarms(input.addAlarms ?? []);
  const removing = new Set((input.removeAlarms ?? []).map(alarmName));
  const unknown = [...removing].filter((alarm) => !(rack.alarms ?? []).some((a) => alarmName(a) === alarm));
  if (unknown.length > 0) {
    throw usageError(`Rack ${rack.name} has no alarm ${unknown.join(', ')} to remove.`, {
      untouched: 'The registry was left as it is.',
      next: `Its alarms: ${(rack.alarms ?? []).join(', ') || 'none'} (\`rack racks show ${rack.name}\`).`,
    });
  }
  if (adding.length > 0) await requireAlarms(ctx, rack, adding);
  return updateRack(ctx.state, rack.name, (current) => {
    const labels = input.labels ? applyLabelChanges(current.labels, input.labels) : current.labels;
    const kept = (current.alarms ?? []).filter((a) => !removing.has(alarmName(a)));
    const alarms = [...kept, ...adding.filter((a) => !kept.some((k) => alarmName(k) === alarmName(a)))];
    const { labels: _labels, alarms: _alarms, monitorMinutes: _monitor, ...rest } = current;
    const monitorMinutes = input.monitorMinutes ?? current.monitorMinutes;
    return {
      ...rest,
      ...(labels && Object.keys(labels).length ? { labels: { ...labels } } : {}),
      ...(alarms.length ? { alarms } : {}),
      ...(monitorMinutes !== undefined ? { monitorMinutes } : {}),
    };
  });
}

function checkMonitor(minutes: number | undefined): void {
  if (minutes === undefined) return;
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > MAX_MONITOR_MINUTES) {
    throw usageError(`--monitor must be a whole number of minutes from 0 to ${MAX_MONITOR_MINUTES} (got ${minutes}).`, {
      next: 'For example --monitor 10. CloudFormation watches the alarms that long after an update.',
    });
  }
}

function uniqueAlarms(alarms: readonly string[]): string[] {
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const alarm of alarms.map((a) => a.trim())) {
    if (alarm === '' || (alarm.startsWith('arn:') && !isAlarmArn(alarm))) {
      throw usageError(`"${alarm}" is not a CloudWatch alarm name or ARN.`, {
        next: 'Give the alarm by name (`--alarm prod-5xx`) or by ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`).',
      });
    }
    if (!seen.has(alarmName(alarm))) unique.push(alarm);
    seen.add(alarmName(alarm));
  }
  return unique;
}

/** An alarm that does not exist would fail every update of the rack (CloudFormation fails a missing trigger). */
async function requireAlarms(ctx: Context, rack: Rack, alarms: readonly string[]): Promise<void> {
  const found = await describeAlarms(ctx.aws(rack), alarms);
  const missing = alarms.filter((alarm) => !found.some((f) => f.name === alarmName(alarm)));
  if (missing.length > 0) {
    throw usageError(`No CloudWatch alarm named ${missing.join(', ')} in ${rack.region}.`, {
      untouched: 'The registry was left as it is.',
      next: "Check the name (`aws cloudwatch describe-alarms`); a rollback trigger must be an alarm in the stack's region.",
    });
  }
}

export async function forgetRack(ctx: Context, name: string): Promise<Rack> {
  return removeRack(ctx.state, name);
}
