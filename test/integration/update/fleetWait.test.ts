/**
 * Following many stack operations at once (services/stackWait.ts): the followers of one account and region
 * share one poller, which reads every stack's status with one ListStacks a tick and one stack's new events
 * at a time, yet each follower gets its own outcome, events and first failure; reads that fail transiently
 * are retried with a longer pause (throttling backs the poller off), one that cannot be retried loses sight
 * of every operation, and a follower interrupted or out of time stops alone.
 */
import { CloudFormationClient, CreateChangeSetCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../../src/context.js';
import type { OperationEvent } from '../../../src/io/events.js';
import { followStack, isLostSight, type WaitResult } from '../../../src/services/stackWait.js';
import { type LocalAws, startLocalAws } from '../../harness/localAws.js';
import { tempHome } from '../../harness/runRack.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { SECRET, STACK_TEMPLATE } from '../harness/stackTemplate.js';
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';

let aws: LocalAws;
let timelines: Timelines;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
});
afterEach(async () => {
  timelines.clear();
  await aws.reset();
});
afterAll(async () => aws?.stop());

const cfn = () => new CloudFormationClient({ ...aws.clientConfig(), maxAttempts: 2 });

function context(signal?: AbortSignal, env: Record<string, string> = {}): { ctx: Context; events: OperationEvent[] } {
  const events: OperationEvent[] = [];
  const ctx = createContext(
    {
      argv: [],
      env: { ...aws.env(), RACK_HOME: tempHome(), ...env },
      cwd: process.cwd(),
      stdin: new PassThrough(),
      stdout: { write: () => true },
      stderr: { write: () => true },
    },
    { json: false, yes: true, debug: false },
    { events: { emit: (event) => events.push(event) }, ...(signal ? { signal } : {}) },
  );
  return { ctx, events };
}

/** Stacks created, then each updated by a change set executed now; returns their StackIds. */
async function updating(names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const { StackId } = await cfn().send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: STACK_TEMPLATE,
        Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }],
      }),
    );
    ids.push(StackId!);
  }
  for (const name of names) {
    const { Id } = await cfn().send(
      new CreateChangeSetCommand({
        StackName: name,
        ChangeSetName: 'grow',
        ChangeSetType: 'UPDATE',
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'Password', UsePreviousValue: true },
          { ParameterKey: 'Zones', UsePreviousValue: true },
          { ParameterKey: 'Size', ParameterValue: 'large' },
        ],
      }),
    );
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));
  }
  return ids;
}

const follow = (ctx: Context, stackName: string, options: { timeoutMs?: number } = {}) =>
  followStack(ctx, ctx.aws({ region: aws.region }), {
    rack: stackName.replace(/^arn:.*:stack\/([^/]+)\/.*$/, '$1'),
    stackName,
    startedAt: new Date(),
    ...options,
  });

describe('one poller for many stacks', () => {
  it('follows six updates with one status read a tick, each ending as its own stack did', async () => {
    const names = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
    timelines.script({
      stackName: 'f6',
      inProgressMs: 1500,
      outcome: 'rollback',
      failure: { logicalId: 'Setting', reason: 'boom' },
    });
    timelines.script({ inProgressMs: 1500, outcome: 'complete', times: Infinity });
    const ids = await updating(names);
    const { ctx, events } = context();
    const since = aws.proxy.requests.length;
    const results = await Promise.all(ids.map((id) => follow(ctx, id)));

    expect(results.map((r) => r.status)).toEqual([...Array(5).fill('UPDATE_COMPLETE'), 'UPDATE_ROLLBACK_COMPLETE']);
    expect(results[5]!.firstFailure).toMatchObject({ logicalId: 'Setting', status: 'UPDATE_FAILED', reason: 'boom' });
    for (const [index, result] of results.entries()) {
      expect(
        result.events.some((e) => e.logicalId === 'Setting'),
        names[index],
      ).toBe(true);
      expect(new Set(result.events.map((e) => e.id)).size).toBe(result.events.length);
    }
    const calls = aws.proxy.requests.slice(since);
    const count = (action: string) => calls.filter((r) => r.action === action).length;
    // Each stack read by name only at its end; statuses meanwhile from one ListStacks per tick.
    expect(count('DescribeStacks')).toBeLessThanOrEqual(names.length + 2);
    expect(count('ListStacks')).toBeGreaterThan(1);
    // Six loops of their own would have made a DescribeStacks and a DescribeStackEvents each, every tick.
    expect(calls.length).toBeLessThan(6 * 2 * count('ListStacks'));
    const statuses = events
      .filter((e) => e.type === 'stack-status')
      .map((e) => `${(e as { stack: string }).stack} ${(e as { status: string }).status}`);
    for (const name of names) expect(statuses).toContain(`${name} UPDATE_IN_PROGRESS`);
    expect(statuses).toContain('f6 UPDATE_ROLLBACK_COMPLETE');
  });

  it('backs off while ListStacks fails and goes on; an error it cannot retry loses sight of every stack', async () => {
    timelines.script({ inProgressMs: 6000, outcome: 'complete', times: Infinity });
    const ids = await updating(['t1', 't2', 't3']);
    aws.proxy.inject({
      service: 'cloudformation',
      action: 'ListStacks',
      forMs: 4000,
      first: true,
      fault: { type: 'status', status: 503 },
    });
    // Without the SDK's own retries, every failure reaches the poller (throttling also slows the SDK itself).
    const { ctx } = context(undefined, { AWS_MAX_ATTEMPTS: '1' });
    const since = aws.proxy.requests.length;
    const results = await Promise.all(ids.map((id) => follow(ctx, id)));
    expect(results.map((r: WaitResult) => r.status)).toEqual(['UPDATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_COMPLETE']);
    const failed = aws.proxy.requests.slice(since).filter((r) => r.action === 'ListStacks' && r.outcome === 'status');
    // Doubling the pause at each failure: polling on (every 250 ms rising to 1 s) would have made 6 or 7 calls.
    expect(failed.length).toBeGreaterThan(1);
    expect(failed.length).toBeLessThanOrEqual(4);

    timelines.clear();
    timelines.script({ inProgressMs: 5000, outcome: 'complete', times: Infinity });
    const more = await updating(['e1', 'e2']);
    aws.proxy.inject({
      service: 'cloudformation',
      action: 'ListStacks',
      first: true,
      fault: { type: 'expired-token' },
    });
    const { ctx: other } = context();
    const failures = await Promise.allSettled(more.map((id) => follow(other, id)));
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      const error = (failure as PromiseRejectedResult).reason;
      expect(isLostSight(error)).toBe(true);
      expect(error.kind).toBe('auth');
      expect(error.message).toMatch(/^Lost sight of the operation on arn:/);
    }
  });

  it('a follower interrupted or out of time stops alone; the others go on', async () => {
    timelines.script({ inProgressMs: 2500, outcome: 'complete', times: Infinity });
    const ids = await updating(['i1', 'i2', 'i3']);
    const { ctx } = context();
    const controller = new AbortController();
    const { ctx: interruptible } = context(controller.signal);
    // The same clients: a scoped context of one run, as the dashboard makes.
    const scoped = Object.create(interruptible, { aws: { value: ctx.aws.bind(ctx) } }) as Context;
    const stopped = follow(scoped, ids[0]!);
    const late = follow(ctx, ids[1]!, { timeoutMs: 500 });
    const goes = follow(ctx, ids[2]!);
    setTimeout(() => controller.abort(), 300);
    const [a, b] = await Promise.allSettled([stopped, late]);
    expect((a as PromiseRejectedResult).reason).toMatchObject({ kind: 'interrupted', details: { lostSight: true } });
    expect((b as PromiseRejectedResult).reason.message).toMatch(/still UPDATE_IN_PROGRESS after the time allowed/);
    expect((await goes).status).toBe('UPDATE_COMPLETE');
  });
});
