/** A rack's registration in words, as `racks show` and `racks label` print it. */
import { formatLabels } from '../../core/labels.js';
import { DEFAULT_MONITOR_MINUTES, type Rack } from '../../state/registry.js';

export function rackLines(rack: Rack): string[] {
  const labels = formatLabels(rack.labels, ', ');
  return [
    `Rack:     ${rack.name}`,
    `Stack:    ${rack.stack} (${rack.region}${rack.profile ? `, profile ${rack.profile}` : ''})`,
    `Channel:  ${rack.channel}`,
    ...(labels ? [`Labels:   ${labels}`] : []),
    ...(rack.alarms?.length
      ? [
          `Alarms:   ${rack.alarms.join(', ')} (monitored ${rack.monitorMinutes ?? DEFAULT_MONITOR_MINUTES} min after each update)`,
        ]
      : rack.monitorMinutes !== undefined
        ? [`Monitor:  ${rack.monitorMinutes} min after each update`]
        : []),
    ...(rack.window ? [`Window:   ${rack.window}`] : []),
    ...(rack.roleArn ? [`Role:     ${rack.roleArn}`] : []),
  ];
}
