import { describe, expect, it } from 'vitest';
import type { OperationEvent } from '../../../src/io/events.js';
import {
  operationReducer,
  RESOURCE_LIMIT,
  startOperation,
  type OperationState,
} from '../../../src/ui/model/operation.js';

const at = new Date('2026-11-21T12:00:00Z');
const fold = (events: OperationEvent[], start = startOperation('Updating prod', 0)): OperationState =>
  events.reduce((state, event, i) => operationReducer(state, { type: 'event', event, now: (i + 1) * 1000 }), start);

describe('operation reducer', () => {
  it('tracks hops from start to done, padding the ones not started yet', () => {
    const state = fold([{ type: 'hop-start', rack: 'prod', index: 1, total: 2, from: '1.1.0', to: '1.2.0' }]);
    expect(state.racks[0]!.hops).toEqual([
      { index: 1, from: '1.1.0', to: '1.2.0', status: 'running' },
      { index: 2, status: 'pending' },
    ]);
    const done = fold([
      { type: 'hop-start', rack: 'prod', index: 1, total: 2, from: '1.1.0', to: '1.2.0' },
      { type: 'hop-done', rack: 'prod', index: 1, total: 2, to: '1.2.0', ms: 4200 },
      { type: 'hop-start', rack: 'prod', index: 2, total: 2, from: '1.2.0', to: '1.3.1' },
    ]);
    expect(done.racks[0]!.hops.map((h) => [h.status, h.ms])).toEqual([
      ['done', 4200],
      ['running', undefined],
    ]);
  });

  it('a hop that ends without hop-done (nothing to change) is done when the next starts', () => {
    const state = fold([
      { type: 'hop-start', rack: 'prod', index: 1, total: 2, from: '1.1.0', to: '1.2.0' },
      { type: 'hop-start', rack: 'prod', index: 2, total: 2, from: '1.2.0', to: '1.3.1' },
    ]);
    expect(state.racks[0]!.hops.map((h) => h.status)).toEqual(['done', 'running']);
  });

  it('keeps stack status, health and the latest word on each instance', () => {
    const state = fold([
      { type: 'stack-status', rack: 'prod', stack: 'prod-stack', status: 'UPDATE_IN_PROGRESS', at },
      { type: 'instance', rack: 'prod', instanceId: 'i-1', text: 'draining' },
      { type: 'instance', rack: 'prod', instanceId: 'i-2', text: 'launching' },
      { type: 'instance', rack: 'prod', instanceId: 'i-1', text: 'terminated' },
      { type: 'health', rack: 'prod', text: 'waiting for health: 1 of 2 instances in service', ok: false },
    ]);
    const prod = state.racks[0]!;
    expect(prod.stackStatus).toBe('UPDATE_IN_PROGRESS');
    expect(prod.instances).toEqual([
      { id: 'i-1', text: 'terminated' },
      { id: 'i-2', text: 'launching' },
    ]);
    expect(prod.health).toEqual({ text: 'waiting for health: 1 of 2 instances in service', ok: false });
  });

  it('streams resource events, keeping only the newest', () => {
    const events: OperationEvent[] = Array.from({ length: RESOURCE_LIMIT + 5 }, (_, i) => ({
      type: 'resource',
      rack: 'prod',
      logicalId: `R${i}`,
      resourceType: 'AWS::S3::Bucket',
      status: 'UPDATE_COMPLETE',
      at,
    }));
    const state = fold(events);
    expect(state.resources).toHaveLength(RESOURCE_LIMIT);
    expect(state.resources.at(-1)!.logicalId).toBe(`R${RESOURCE_LIMIT + 4}`);
    expect(state.resources[0]!.logicalId).toBe('R5');
  });

  it('keeps racks apart for sync and marks the running hop of a failed rack as failed', () => {
    const state = fold([
      { type: 'hop-start', rack: 'a', index: 1, total: 1, from: '1.2.0', to: '1.3.1' },
      { type: 'hop-start', rack: 'b', index: 1, total: 1, from: '1.2.0', to: '1.3.1' },
      { type: 'rack-done', rack: 'a', outcome: 'failed', text: 'rolled back' },
      { type: 'rack-done', rack: 'b', outcome: 'ok', text: 'now at 1.3.1' },
    ]);
    expect(state.racks.map((r) => [r.rack, r.hops[0]!.status, r.done?.outcome])).toEqual([
      ['a', 'failed', 'failed'],
      ['b', 'running', 'ok'],
    ]);
  });

  it('counts elapsed time until the outcome, then stops the clock', () => {
    let state = fold([{ type: 'step', text: 'Planning' }]);
    state = operationReducer(state, { type: 'tick', now: 65_000 });
    expect(state.now - state.startedAt).toBe(65_000);
    state = operationReducer(state, { type: 'finish', outcome: { ok: true, text: 'Now at 1.3.1.' }, now: 70_000 });
    state = operationReducer(state, { type: 'tick', now: 99_000 });
    state = operationReducer(state, { type: 'event', event: { type: 'step', text: 'late' }, now: 120_000 });
    expect(state.now).toBe(70_000);
    expect(state.outcome).toEqual({ ok: true, text: 'Now at 1.3.1.' });
  });

  it('a failed outcome fails the running hop; a successful one completes it; the first outcome stands', () => {
    const running = fold([{ type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' }]);
    const failed = operationReducer(running, {
      type: 'finish',
      outcome: { ok: false, text: 'rolled back' },
      now: 5000,
    });
    expect(failed.racks[0]!.hops[0]!.status).toBe('failed');
    expect(
      operationReducer(failed, { type: 'finish', outcome: { ok: true, text: 'later' }, now: 6000 }).outcome!.text,
    ).toBe('rolled back');
    const ok = operationReducer(running, { type: 'finish', outcome: { ok: true, text: 'done' }, now: 5000 });
    expect(ok.racks[0]!.hops[0]!.status).toBe('done');
  });

  it('keeps steps and warnings, the newest last', () => {
    const state = fold([
      { type: 'step', text: 'one' },
      { type: 'warning', text: 'careful' },
      { type: 'step', text: 'two' },
    ]);
    expect(state.steps).toEqual(['one', 'two']);
    expect(state.warnings).toEqual(['careful']);
  });
});
