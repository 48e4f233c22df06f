/**
 * in-service-delay: a group's new instance is Pending for a while before it is InService, as on AWS,
 * so a check that waits for replacements to be in service can fail.
 */
import {
  DescribeAutoScalingInstancesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessTimings, setHarnessTimings, waitUntil } from '../../harness/ecsAgent.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRack, describeGroup, rackClients, type RackClients } from './ec2ecsRack.js';

const DELAY_MS = 1000;

let corrected: LocalAws;
let plain: LocalAws;

beforeAll(async () => {
  [corrected, plain] = await Promise.all([
    startLocalAws({ inServiceDelayMs: DELAY_MS }),
    startLocalAws({ inServiceDelayMs: DELAY_MS, without: ['in-service-delay'] }),
  ]);
});

afterAll(async () => {
  await Promise.all([corrected, plain].filter((aws) => aws !== undefined).map((aws) => aws.stop()));
});

/** Terminates one instance keeping the capacity; returns the replacement's id. */
async function replaceOne(clients: RackClients, group: string): Promise<string> {
  const before = await describeGroup(clients, group);
  await clients.autoScaling.send(
    new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: before.instances[0]?.InstanceId,
      ShouldDecrementDesiredCapacity: false,
    }),
  );
  const known = new Set(before.instances.map((i) => i.InstanceId));
  const launched = (await describeGroup(clients, group)).instances.filter((i) => !known.has(i.InstanceId));
  expect(launched).toHaveLength(1);
  return launched[0]!.InstanceId!;
}

async function lifecycleOf(clients: RackClients, instanceId: string): Promise<string | undefined> {
  const { AutoScalingInstances = [] } = await clients.autoScaling.send(
    new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
  );
  return AutoScalingInstances[0]?.LifecycleState;
}

describe('in-service-delay', () => {
  it('a replacement is Pending for inServiceDelayMs, counted toward the capacity, then InService', async () => {
    const clients = rackClients(corrected);
    // Created with the delay on: the rack's first instances are Pending too.
    const rack = await createRack(clients, 'delayed');
    await waitUntil(
      () => describeGroup(clients, rack.group),
      (g) => g.instances.every((i) => i.LifecycleState === 'InService'),
      {
        timeoutMs: DELAY_MS * 3,
      },
    );

    const startedAt = Date.now();
    const replacement = await replaceOne(clients, rack.group);
    expect(await lifecycleOf(clients, replacement)).toBe('Pending');
    // Pending is launched capacity: the group does not launch a second instance for the same slot.
    expect((await describeGroup(clients, rack.group)).instances).toHaveLength(2);

    await waitUntil(
      () => lifecycleOf(clients, replacement),
      (state) => state === 'InService',
      { timeoutMs: DELAY_MS * 3 },
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(DELAY_MS - 100);
    expect((await describeGroup(clients, rack.group)).instances).toHaveLength(2);
  });

  it('is needed: plain moto puts the replacement InService at once', async () => {
    const clients = rackClients(plain);
    const rack = await createRack(clients, 'delayed');
    const replacement = await replaceOne(clients, rack.group);
    expect(await lifecycleOf(clients, replacement)).toBe('InService');
  });

  it('takes its delay from startLocalAws, changes it over HTTP, and reset restores it', async () => {
    expect((await harnessTimings(corrected)).inServiceDelayMs).toBe(DELAY_MS);
    expect(await setHarnessTimings(corrected, { inServiceDelayMs: 0 })).toMatchObject({ inServiceDelayMs: 0 });

    const clients = rackClients(corrected);
    const rack = await createRack(clients, 'immediate');
    expect(await lifecycleOf(clients, await replaceOne(clients, rack.group))).toBe('InService');

    await corrected.reset();
    expect((await harnessTimings(corrected)).inServiceDelayMs).toBe(DELAY_MS);
    await expect(setHarnessTimings(corrected, { inServiceDelayMs: -1 })).rejects.toThrow(
      /whole number of milliseconds/,
    );
  });
});
