/**
 * CloudWatch alarms, typed for rack: a rack's rollback triggers and its health gate read them. Alarms are
 * named by name or by ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`); DescribeAlarms takes names,
 * so an ARN is read by the name it ends with (a rollback trigger's alarm is in the stack's own region).
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AwsClients } from './clients.js';
import { toRackError } from './errors.js';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The rollback trigger types CloudFormation takes. */
export type AlarmType = 'AWS::CloudWatch::Alarm' | 'AWS::CloudWatch::CompositeAlarm';

export interface AlarmState {
  name: string;
  arn: string;
  type: AlarmType;
  state: AlarmStateValue;
  reason?: string;
  since?: Date;
}

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]*:\d*:alarm:(.+)$/;

/** The alarm's name, from a name or an ARN. */
export const alarmName = (nameOrArn: string): string => ALARM_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;

export const isAlarmArn = (value: string): boolean => ALARM_ARN.test(value);

/** The named alarms that exist, metric and composite, in the order CloudWatch lists them. */
export async function describeAlarms(aws: AwsClients, namesOrArns: readonly string[]): Promise<AlarmState[]> {
  const names = [...new Set(namesOrArns.map(alarmName))];
  if (names.length === 0) return [];
  const client = await aws.cloudwatch();
  const found: AlarmState[] = [];
  // DescribeAlarms takes at most 100 names a call.
  for (let start = 0; start < names.length; start += 100) {
    let token: string | undefined;
    do {
      const out = await client
        .send(
          new DescribeAlarmsCommand({
            AlarmNames: names.slice(start, start + 100),
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken: token,
          }),
        )
        .catch((error) => {
          throw toRackError(error, { doing: `reading CloudWatch alarms in ${aws.target.region}` });
        });
      for (const alarm of out.MetricAlarms ?? []) found.push(view(alarm, 'AWS::CloudWatch::Alarm'));
      for (const alarm of out.CompositeAlarms ?? []) found.push(view(alarm, 'AWS::CloudWatch::CompositeAlarm'));
      token = out.NextToken;
    } while (token);
  }
  return found;
}

function view(
  alarm: {
    AlarmName?: string;
    AlarmArn?: string;
    StateValue?: string;
    StateReason?: string;
    StateUpdatedTimestamp?: Date;
  },
  type: AlarmType,
): AlarmState {
  const state = alarm.StateValue === 'ALARM' || alarm.StateValue === 'OK' ? alarm.StateValue : 'INSUFFICIENT_DATA';
  return {
    name: alarm.AlarmName ?? '',
    arn: alarm.AlarmArn ?? '',
    type,
    state,
    ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
    ...(alarm.StateUpdatedTimestamp ? { since: alarm.StateUpdatedTimestamp } : {}),
  };
}
