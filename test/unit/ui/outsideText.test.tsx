/**
 * Text from outside — a yank reason, release notes, a stack event's reason — shown on a terminal by the
 * live view and the dashboard: its escape sequences never reach the screen, its words do.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context.js';
import { startLiveView } from '../../../src/ui/live.js';
import { operationReducer, startOperation } from '../../../src/ui/model/operation.js';
import { ChannelsScreen } from '../../../src/ui/views/ChannelsScreen.js';
import { OperationProgress } from '../../../src/ui/views/OperationProgress.js';
import { ParameterEditor } from '../../../src/ui/views/ParameterEditor.js';
import { PlanScreen } from '../../../src/ui/views/PlanScreen.js';
import { RackDetails } from '../../../src/ui/views/RackDetails.js';
import { CHANNELS, history, NOW, rack, status, UPDATE_PLAN } from './fixtures.js';

afterEach(() => cleanup());

/** What a hostile catalog or stack event could carry: a window title, a screen clear, a reset, a hyperlink. */
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u001bc\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\';
/** ink's own colours are fine; nothing else may be left. */
const withoutColours = (frame: string | undefined) => (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
const at = new Date('2026-11-21T11:58:30Z');

describe('the dashboard', () => {
  it('shows a yank reason without its escape sequences', () => {
    const [unstable, stable] = CHANNELS.channels;
    const hostile = {
      ...CHANNELS,
      channels: [
        {
          ...unstable!,
          releases: unstable!.releases.map((r) =>
            r.yanked ? { ...r, yanked: { ...r.yanked, reason: `api breaks ${HOSTILE} badly` } } : r,
          ),
        },
        stable!,
      ],
    };
    const frame = withoutColours(
      render(<ChannelsScreen channels={{ kind: 'ready', value: hostile }} scroll={0} height={30} />).lastFrame(),
    );
    expect(frame).not.toContain('\u001b');
    expect(frame).toContain('click badly');
  });

  it('shows release notes in a plan without their escape sequences', () => {
    const plan = { ...UPDATE_PLAN, steps: UPDATE_PLAN.steps.map((s) => ({ ...s, notes: `Fixes ${HOSTILE} it` })) };
    const frame = withoutColours(render(<PlanScreen plan={plan} scroll={0} height={30} />).lastFrame());
    expect(frame).not.toContain('\u001b');
    expect(frame).toContain('Notes: Fixes click it');
  });

  it("shows a plan's question without escape sequences", () => {
    const plan = { ...UPDATE_PLAN, question: `Update prod to ${HOSTILE}?` };
    const frame = withoutColours(render(<PlanScreen plan={plan} scroll={0} height={30} />).lastFrame());
    expect(frame).not.toContain('\u001b');
    expect(frame).toContain('Update prod to click?');
  });

  it("shows a history entry's cause and a rack's warning without their escape sequences", () => {
    const prod = rack('prod');
    const entries = history('prod').map((e) => ({ ...e, result: 'rolled-back' as const, cause: `x ${HOSTILE} y` }));
    const frame = withoutColours(
      render(
        <RackDetails
          details={{
            rack: 'prod',
            tab: 'history',
            cursor: 0,
            parameters: { kind: 'loading' },
            history: { kind: 'ready', value: entries },
            instances: { kind: 'loading' },
          }}
          entry={{ rack: prod, loading: false, status: status(prod, { warnings: [`signature: ${HOSTILE}`] }) }}
          viewport={{ rows: 30, columns: 200 }}
          now={NOW.getTime()}
        />,
      ).lastFrame(),
    );
    expect(frame).not.toContain('\u001b');
    // The cause ends a long line, cut at the terminal's width; the warning fits.
    expect(frame).toMatch(/ — x …|— x c…|— x click/);
    expect(frame).toContain('Warning: signature: click');
  });

  it("shows a template's parameter key and description and a parameter's value without their escape sequences", () => {
    const frame = withoutColours(
      render(
        <ParameterEditor
          editor={{
            rack: 'prod',
            key: `InstanceType${HOSTILE}`,
            value: `t3.small${HOSTILE}`,
            secret: false,
            description: `Instance type ${HOSTILE}`,
            constraint: `one of ${HOSTILE}`,
            check: { problems: [`not allowed: ${HOSTILE}`], unchanged: false },
          }}
        />,
      ).lastFrame(),
    );
    expect(frame).not.toContain('\u001b');
    expect(frame).toContain('Instance type click');
    expect(frame).toContain('Allowed: one of click');
    expect(frame).toContain('Change InstanceTypeclick of prod');
    expect(frame).toContain('InstanceTypeclick = t3.smallclick');
    expect(frame).toContain('✗ not allowed: click');
  });

  it("shows a stack event's reason in an operation without its escape sequences", () => {
    const state = [
      { type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' } as const,
      {
        type: 'stack-status',
        rack: 'prod',
        stack: 'prod-stack',
        status: 'UPDATE_ROLLBACK_IN_PROGRESS',
        reason: `The following resource(s) failed to update: [Api]. ${HOSTILE}`,
        at,
      } as const,
      {
        type: 'resource',
        rack: 'prod',
        logicalId: 'Api',
        resourceType: 'AWS::ECS::Service',
        status: 'UPDATE_FAILED',
        reason: `Handler: ${HOSTILE}`,
        at,
      } as const,
    ].reduce(
      (s, event, i) => operationReducer(s, { type: 'event', event, now: i }),
      startOperation('Updating prod', 0),
    );
    const frame = withoutColours(render(<OperationProgress state={state} height={20} width={160} />).lastFrame());
    expect(frame).not.toContain('\u001b');
    expect(frame).toContain('UPDATE_FAILED: Handler: click');
    expect(frame).toContain('reason: The following resource(s) failed to update: [Api]. click');
  });
});

class Tty extends EventEmitter {
  text = '';
  isTTY = true;
  columns = 160;
  rows = 30;
  write = (chunk: string) => {
    this.text += chunk;
    return true;
  };
}

describe("a command's live view", () => {
  it("draws a stack event's reason and the outcome without their escape sequences", async () => {
    const stderr = new Tty();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const ctx = createContext(
      { argv: [], env: {}, cwd: '/', stdin, stdout: new Tty(), stderr },
      { json: false, yes: true, debug: false },
    );
    const live = await startLiveView(ctx, 'Updating prod');
    expect(live.active).toBe(true);
    ctx.events.emit({ type: 'hop-start', rack: 'prod', index: 1, total: 1, from: '1.2.0', to: '1.3.1' });
    ctx.events.emit({
      type: 'resource',
      rack: 'prod',
      logicalId: 'Api',
      resourceType: 'AWS::ECS::Service',
      status: 'UPDATE_FAILED',
      reason: `tasks failed ${HOSTILE}`,
      at,
    });
    await live.fail(new Error(`rolled back: ${HOSTILE}`));
    // ink moves the cursor and clears lines (CSI); no title, hyperlink, screen clear or reset comes through.
    expect(stderr.text).not.toMatch(/\u001b\]|\u001bc|\u001b\[2J/);
    expect(stderr.text).toContain('tasks failed click');
    expect(stderr.text).toContain('rolled back: click');
  });
});
