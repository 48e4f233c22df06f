/**
 * What services report while they work. Services emit these typed events; a reporter renders them: plain
 * lines on stderr without a terminal, a live ink view on one, nothing extra with --json. Events carry
 * no secrets: parameter values of NoEcho keys never appear in them.
 */
export type OperationEvent =
  | { type: 'step'; text: string }
  | { type: 'warning'; text: string }
  | { type: 'hop-start'; rack: string; index: number; total: number; from: string; to: string }
  | { type: 'hop-done'; rack: string; index: number; total: number; to: string; ms: number }
  | { type: 'stack-status'; rack: string; stack: string; status: string; reason?: string; at: Date }
  | {
      type: 'resource';
      rack: string;
      logicalId: string;
      resourceType: string;
      status: string;
      reason?: string;
      at: Date;
    }
  | { type: 'health'; rack: string; text: string; ok?: boolean }
  | { type: 'instance'; rack: string; instanceId: string; text: string }
  | { type: 'rack-done'; rack: string; outcome: 'ok' | 'failed' | 'skipped'; text: string };

export interface Reporter {
  emit(event: OperationEvent): void;
}

/**
 * The event with its free text (a step's or warning's text, a stack event's reason) redacted. Events carry
 * no secrets by design; this is the net for text that comes from AWS or from errors.
 */
export function redactEvent(event: OperationEvent, redact: (text: string) => string): OperationEvent {
  return {
    ...event,
    ...('text' in event ? { text: redact(event.text) } : {}),
    ...('reason' in event && event.reason !== undefined ? { reason: redact(event.reason) } : {}),
  };
}

/**
 * Plain progress lines, the rendering used without a terminal. They may carry text from outside (reasons);
 * the logger that prints them sanitizes every line.
 */
export function plainLine(event: OperationEvent): string | undefined {
  const time = (at: Date) => at.toISOString().slice(11, 19);
  switch (event.type) {
    case 'step':
      return event.text;
    case 'warning':
      return `Warning: ${event.text}`;
    case 'hop-start':
      return `[${event.rack}] hop ${event.index}/${event.total}: ${event.from} → ${event.to}`;
    case 'hop-done':
      return `[${event.rack}] hop ${event.index}/${event.total} done: now at ${event.to} (${(event.ms / 1000).toFixed(1)}s)`;
    case 'stack-status':
      return `[${event.rack}] ${time(event.at)} ${event.stack} ${event.status}${event.reason ? `: ${event.reason}` : ''}`;
    case 'resource':
      return `[${event.rack}] ${time(event.at)} ${event.logicalId} (${event.resourceType}) ${event.status}${event.reason ? `: ${event.reason}` : ''}`;
    case 'health':
      return `[${event.rack}] ${event.text}`;
    case 'instance':
      return `[${event.rack}] ${event.instanceId}: ${event.text}`;
    case 'rack-done':
      return `[${event.rack}] ${event.text}`;
  }
}
