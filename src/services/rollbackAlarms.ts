/**
 * A rack's alarm rollback triggers: the CloudWatch alarms registered with it (`rack racks add/label --alarm`)
 * and those its template names in a `RollbackAlarms` output (comma-separated names or ARNs). Every change set
 * rack makes for the rack carries them as its RollbackConfiguration, with a monitoring time (`--monitor`,
 * 5 minutes by default for a rack with alarms), so CloudFormation itself rolls an update back when one goes
 * to ALARM; the health gate after each hop waits for them to be OK.
 *
 * rack owns the stack's triggers: CloudFormation keeps the last ones given and applies them to later updates
 * that give none, so a rack whose alarms were all removed sends an empty list to clear them. `rack rollback`
 * sends that empty list too — going back is what an operator does while an alarm fires, and a trigger in
 * ALARM would roll the rollback back.
 */
import { type AlarmState, type AlarmType, alarmName, describeAlarms } from '../aws/alarms.js';
import type { StackSummary } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { refused } from '../errors.js';
import { DEFAULT_MONITOR_MINUTES, type Rack } from '../state/registry.js';
import type { WaitResult } from './stackWait.js';

/** The output a rack template may declare to name alarms of its own. */
const ROLLBACK_ALARMS_OUTPUT = 'RollbackAlarms';

export interface RackAlarm {
  name: string;
  arn: string;
  type: AlarmType;
}

export interface RollbackSettings {
  /** The alarms the change set carries (empty: none). */
  alarms: RackAlarm[];
  /** What to send as the change set's RollbackConfiguration; undefined: nothing (the stack has none either). */
  configuration?: { triggers: Array<{ arn: string; type: string }>; monitoringMinutes: number };
}

/** The alarms named for a rack, as given: the registry's, then the template output's, once each by name. */
export function alarmNamesOf(rack: Rack, stack: Pick<StackSummary, 'outputs'>): string[] {
  const fromOutput = (stack.outputs[ROLLBACK_ALARMS_OUTPUT] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  const names: string[] = [];
  for (const given of [...(rack.alarms ?? []), ...fromOutput]) {
    if (seen.has(alarmName(given))) continue;
    seen.add(alarmName(given));
    names.push(given);
  }
  return names;
}

/**
 * The RollbackConfiguration a change set of the rack carries. Refuses (exit 3, nothing written) an alarm
 * that does not exist: CloudFormation would fail the update for it, after rack had started it.
 */
export async function rollbackSettings(
  aws: AwsClients,
  rack: Rack,
  stack: StackSummary,
  options: { triggers?: boolean } = {},
): Promise<RollbackSettings> {
  const clearSaved = (stack.rollbackTriggers ?? []).length > 0 ? { triggers: [], monitoringMinutes: 0 } : undefined;
  if (options.triggers === false) return { alarms: [], ...(clearSaved ? { configuration: clearSaved } : {}) };
  const names = alarmNamesOf(rack, stack);
  const alarms = names.length ? await resolveAlarms(aws, rack, names) : [];
  const minutes = rack.monitorMinutes ?? (alarms.length > 0 ? DEFAULT_MONITOR_MINUTES : 0);
  if (alarms.length === 0 && minutes === 0) return { alarms, ...(clearSaved ? { configuration: clearSaved } : {}) };
  return {
    alarms,
    configuration: { triggers: alarms.map((a) => ({ arn: a.arn, type: a.type })), monitoringMinutes: minutes },
  };
}

async function resolveAlarms(aws: AwsClients, rack: Rack, names: string[]): Promise<RackAlarm[]> {
  const found = await describeAlarms(aws, names);
  const byName = new Map(found.map((alarm) => [alarm.name, alarm]));
  const missing = names.filter((name) => !byName.has(alarmName(name)));
  if (missing.length > 0) {
    throw refused(
      `${missing.length === 1 ? 'An alarm' : 'Alarms'} of rack ${rack.name} cannot be found in ${aws.target.region}: ${missing.join(', ')}.`,
      {
        untouched: 'Nothing was written to the stack.',
        next: `CloudFormation fails an update whose rollback trigger is missing. Create the alarm, or remove it with \`rack racks label ${rack.name} --remove-alarm <name>\` (or from the template's ${ROLLBACK_ALARMS_OUTPUT} output).`,
        details: { reason: 'alarm-missing', alarms: missing },
      },
    );
  }
  return names.map((name) => {
    const alarm = byName.get(alarmName(name))!;
    return { name: alarm.name, arn: alarm.arn, type: alarm.type };
  });
}

/** The alarms that are not OK now (ALARM or INSUFFICIENT_DATA), as the health gate reports them. */
export async function alarmsNotOk(aws: AwsClients, alarms: readonly RackAlarm[]): Promise<AlarmState[]> {
  if (alarms.length === 0) return [];
  const states = await describeAlarms(
    aws,
    alarms.map((a) => a.name),
  );
  const missing = alarms.filter((a) => !states.some((s) => s.name === a.name));
  return [
    ...states.filter((s) => s.state !== 'OK'),
    ...missing.map((a) => ({ ...a, state: 'INSUFFICIENT_DATA' as const, reason: 'the alarm no longer exists' })),
  ];
}

/**
 * Which alarm rolled an update back: one the stack's events or final reason name (CloudFormation names the
 * trigger there), else one in ALARM now. Undefined when none can be told (the rollback had another cause).
 */
export async function firedAlarm(
  aws: AwsClients,
  alarms: readonly RackAlarm[],
  result: Pick<WaitResult, 'events' | 'statusReason'>,
): Promise<string | undefined> {
  if (alarms.length === 0) return undefined;
  const reasons = [result.statusReason ?? '', ...result.events.map((e) => e.reason ?? '')];
  const named = alarms.find((alarm) => reasons.some((reason) => reason.includes(alarm.arn)));
  if (named) return named.name;
  return alarmInAlarm(
    aws,
    alarms.map((a) => a.name),
  );
}

/** The first of the named alarms (names or ARNs) in ALARM now; undefined when none is, or they cannot be read. */
export async function alarmInAlarm(aws: AwsClients, names: readonly string[]): Promise<string | undefined> {
  const states = await describeAlarms(aws, names).catch(() => []);
  return states.find((s) => s.state === 'ALARM')?.name;
}
