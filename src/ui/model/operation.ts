/**
 * What a live operation view shows, folded from the services' typed events: per rack, its hops with
 * progress, its instances, its stack status and health; the resource events as they stream; the time
 * elapsed; and the outcome. Pure: time comes in with the actions.
 */
import type { OperationEvent } from '../../io/events.js';

export type HopStatus = 'pending' | 'running' | 'done' | 'failed';

export interface HopProgress {
  index: number;
  from?: string;
  to?: string;
  status: HopStatus;
  ms?: number;
}

export interface RackProgress {
  rack: string;
  hops: HopProgress[];
  stackStatus?: string;
  stackReason?: string;
  health?: { text: string; ok?: boolean };
  /** By instance id, in the order first seen; the latest word on each. */
  instances: { id: string; text: string }[];
  done?: { outcome: 'ok' | 'failed' | 'skipped'; text: string };
}

export interface ResourceLine {
  rack: string;
  at: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

export interface Outcome {
  ok: boolean;
  text: string;
}

export interface OperationState {
  title: string;
  startedAt: number;
  now: number;
  racks: RackProgress[];
  /** The newest last; older lines are dropped past RESOURCE_LIMIT. */
  resources: ResourceLine[];
  steps: string[];
  warnings: string[];
  outcome?: Outcome;
}

export type OperationAction =
  | { type: 'event'; event: OperationEvent; now: number }
  | { type: 'tick'; now: number }
  | { type: 'finish'; outcome: Outcome; now: number };

/** Enough resource events to scroll back a little; a long operation must not grow without bound. */
export const RESOURCE_LIMIT = 200;
const STEP_LIMIT = 20;

export function startOperation(title: string, now: number): OperationState {
  return { title, startedAt: now, now, racks: [], resources: [], steps: [], warnings: [] };
}

export function operationReducer(state: OperationState, action: OperationAction): OperationState {
  switch (action.type) {
    case 'tick':
      // Time stops with the outcome, so the frame shows how long the operation took.
      return state.outcome ? state : { ...state, now: action.now };
    case 'finish': {
      if (state.outcome) return state;
      const finished = { ...state, now: action.now, outcome: action.outcome };
      return {
        ...finished,
        racks: finished.racks.map(
          action.outcome.ok ? (r) => ({ ...r, hops: finishBefore(r.hops, Infinity) }) : failRunning,
        ),
      };
    }
    case 'event':
      return { ...applyEvent(state, action.event), now: state.outcome ? state.now : action.now };
  }
}

function applyEvent(state: OperationState, event: OperationEvent): OperationState {
  switch (event.type) {
    case 'step':
      return { ...state, steps: [...state.steps, event.text].slice(-STEP_LIMIT) };
    case 'warning':
      return { ...state, warnings: [...state.warnings, event.text].slice(-STEP_LIMIT) };
    case 'hop-start':
      return withRack(state, event.rack, (rack) => ({
        ...rack,
        // A hop with nothing to change ends without a hop-done; the next hop starting says it is over.
        hops: setHop(finishBefore(padHops(rack.hops, event.total), event.index), event.index, {
          index: event.index,
          from: event.from,
          to: event.to,
          status: 'running',
        }),
      }));
    case 'hop-done':
      return withRack(state, event.rack, (rack) => {
        const hops = padHops(rack.hops, event.total);
        const before = hops[event.index - 1];
        return {
          ...rack,
          hops: setHop(hops, event.index, {
            ...before,
            index: event.index,
            to: event.to,
            status: 'done',
            ms: event.ms,
          }),
        };
      });
    case 'stack-status':
      return withRack(state, event.rack, (rack) => ({ ...rack, stackStatus: event.status, stackReason: event.reason }));
    case 'resource': {
      const line: ResourceLine = {
        rack: event.rack,
        at: event.at,
        logicalId: event.logicalId,
        resourceType: event.resourceType,
        status: event.status,
        reason: event.reason,
      };
      return {
        ...withRack(state, event.rack, (rack) => rack),
        resources: [...state.resources, line].slice(-RESOURCE_LIMIT),
      };
    }
    case 'health':
      return withRack(state, event.rack, (rack) => ({ ...rack, health: { text: event.text, ok: event.ok } }));
    case 'instance':
      return withRack(state, event.rack, (rack) => {
        const updated = { id: event.instanceId, text: event.text };
        const known = rack.instances.some((i) => i.id === event.instanceId);
        return {
          ...rack,
          instances: known
            ? rack.instances.map((i) => (i.id === event.instanceId ? updated : i))
            : [...rack.instances, updated],
        };
      });
    case 'rack-done':
      return withRack(state, event.rack, (rack) => ({
        ...(event.outcome === 'failed' ? failRunning(rack) : rack),
        done: { outcome: event.outcome, text: event.text },
      }));
  }
}

function withRack(state: OperationState, name: string, change: (rack: RackProgress) => RackProgress): OperationState {
  const index = state.racks.findIndex((r) => r.rack === name);
  if (index < 0) return { ...state, racks: [...state.racks, change({ rack: name, hops: [], instances: [] })] };
  return { ...state, racks: state.racks.map((r, i) => (i === index ? change(r) : r)) };
}

function padHops(hops: HopProgress[], total: number): HopProgress[] {
  if (hops.length >= total) return hops;
  const padded = [...hops];
  for (let index = hops.length + 1; index <= total; index++) padded.push({ index, status: 'pending' });
  return padded;
}

function setHop(hops: HopProgress[], index: number, hop: HopProgress): HopProgress[] {
  return hops.map((h) => (h.index === index ? hop : h));
}

/** When an operation fails, the hop that was running is the one that failed. */
function failRunning(rack: RackProgress): RackProgress {
  return { ...rack, hops: rack.hops.map((h) => (h.status === 'running' ? { ...h, status: 'failed' as const } : h)) };
}

function finishBefore(hops: HopProgress[], index: number): HopProgress[] {
  return hops.map((h) => (h.index < index && h.status === 'running' ? { ...h, status: 'done' as const } : h));
}
