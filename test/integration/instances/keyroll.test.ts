/**
 * `rack instances keyroll` against the local AWS: a real rack template, the fake ECS agent placing the
 * api's tasks, replacements Pending for a while before InService. The number of instances in service
 * is sampled throughout, every output is scanned for the private key, and a failing stack update, an
 * interruption and the preflight are played as they happen on AWS.
 */
import { CreateServiceCommand } from '@aws-sdk/client-ecs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OperationEvent } from '../../../src/io/events.js';
import { stackStateKey } from '../../../src/core/stackIdentity.js';
import { runningCounts, waitUntil } from '../../harness/ecsAgent.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { templateBody } from '../../harness/rackStacks.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import {
  bucketKeys,
  clientsOf,
  expectNoKeyMaterial,
  filesUnder,
  freshRack,
  groupInstances,
  keyPairNames,
  objectEncryption,
  objectText,
  sampleInService,
  type Clients,
  type TestRack,
} from './rackFixture.js';

const PASSWORD = 'keyroll-Secret-42';
let aws: LocalAws;
let clients: Clients;
let timelines: Timelines;

beforeAll(async () => {
  aws = await startLocalAws({ inServiceDelayMs: 400, ecsTaskStartMs: 150 });
  clients = clientsOf(aws);
  timelines = scriptTimelines(aws);
});
afterEach(() => timelines.clear());
afterAll(async () => aws?.stop());

/** ExecuteChangeSet requests so far (tests run one at a time, so a difference is one test's). */
const executes = () => aws.proxy.seen({ action: 'ExecuteChangeSet' }).length;

/** A keyroll that must succeed; returns its JSON outcome. */
async function keyroll(rack: TestRack, ...flags: string[]) {
  const result = await rack.rack(['instances', 'keyroll', '--yes', '--json', '--debug', ...flags]);
  expect(result.code, result.stderr).toBe(0);
  return result.json<{
    keyName: string;
    fingerprint: string;
    previousKey: string;
    replaced: { instanceId: string; by: string[] }[];
    pruned: string[];
    resumed: boolean;
  }>();
}

async function privateKeyOf(rack: TestRack, keyName: string): Promise<string> {
  return objectText(clients, rack.bucket, `ssh/${keyName}.pem`);
}

describe('keyroll end to end', () => {
  let rack: TestRack;
  let first: Awaited<ReturnType<typeof keyroll>>;

  beforeAll(async () => {
    rack = await freshRack(aws, clients, { password: PASSWORD });
  });

  it("imports a key pair, keeps the private key SSE-KMS under the rack's key, changes only Key, and puts every instance on it above the floor", async () => {
    const before = await aws.stackParameters(rack.stackName);
    const group = await groupInstances(clients, rack.group);
    expect(group.instances).toHaveLength(2);
    const sampler = sampleInService(clients, rack.group);
    first = await keyroll(rack);
    const samples = await sampler.stop();

    expect(first.keyName).toMatch(new RegExp(`^rack-${rack.stackName}-\\d{14}-[0-9a-f]{6}$`));
    expect(first.previousKey).toBe('');
    expect(await keyPairNames(clients)).toContain(first.keyName);

    // The private key: SSE-KMS with the stack's EncryptionKey, active, nothing left pending.
    expect(await objectEncryption(clients, rack.bucket, `ssh/${first.keyName}.pem`)).toEqual({
      sse: 'aws:kms',
      kmsKey: rack.kmsKey,
    });
    expect(await objectEncryption(clients, rack.bucket, 'ssh/active.json')).toEqual({
      sse: 'aws:kms',
      kmsKey: rack.kmsKey,
    });
    expect(JSON.parse(await objectText(clients, rack.bucket, 'ssh/active.json'))).toMatchObject({
      keyName: first.keyName,
      fingerprint: first.fingerprint,
      object: `ssh/${first.keyName}.pem`,
    });
    expect(await bucketKeys(clients, rack.bucket, 'ssh/pending/')).toEqual([]);
    expect(await privateKeyOf(rack, first.keyName)).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');

    // Only Key changed; the NoEcho Password is intact (read through the side door).
    const after = await aws.stackParameters(rack.stackName);
    expect(after).toEqual({ ...before, Key: first.keyName });
    expect(after.Password).toBe(PASSWORD);

    // Every running instance of the rack is on the new key, each old one replaced once.
    const now = await groupInstances(clients, rack.group);
    const alive = now.instances.filter((i) => i.lifecycle === 'InService');
    expect(alive).toHaveLength(2);
    expect(alive.every((i) => i.keyName === first.keyName)).toBe(true);
    expect(first.replaced.map((r) => r.instanceId).sort()).toEqual(group.instances.map((i) => i.id).sort());
    expect(first.replaced.flatMap((r) => r.by).sort()).toEqual(alive.map((i) => i.id).sort());
    expect(now.desired).toBe(2);

    // The floor (desired - 1) held, and the sampler did see the replacements' pending time.
    expect(samples.length).toBeGreaterThan(10);
    expect(Math.min(...samples)).toBe(1);
    expect(samples.at(-1)).toBe(2);

    // The api still runs its two tasks on the new instances.
    await waitUntil(
      () => runningCounts(clients.ecs, rack.cluster),
      (c) => Object.values(c).every((n) => n === 2),
    );

    const history = (await rack.rack(['history', '--json'])).json().entries.at(-1);
    expect(history).toMatchObject({ operation: 'keyroll', result: 'succeeded' });
    expect(history.note).toContain(first.keyName);
    expect(existsSync(path.join(rack.home, 'keyroll', aws.region, `${rack.stackName}.json`))).toBe(false);
  });

  it('rack instances shows every instance on the current key, with its ECS tasks and reservations', async () => {
    const table = await rack.rack(['instances']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+STATE\s+HEALTH\s+ZONE\s+TYPE\s+LAUNCHED\s+KEY\s+ECS\s+TASKS\s+CPU\s+MEM$/,
    );
    const rows = table.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows)
      expect(row).toMatch(
        /^i-[0-9a-f]+\s+InService\s+Healthy\s+us-east-1\w\s+t3\.small\s+(just now|\d+ seconds? ago)\s+current\s+active\s+\d\s+[\d.]+%\s+[\d.]+%$/,
      );
    const view = (await rack.rack(['instances', '--json'])).json();
    expect(view).toMatchObject({ rack: 'prod', key: first.keyName, desired: 2, cluster: rack.cluster });
    const tasks = view.instances.reduce((n: number, i: { ecs: { runningTasks: number } }) => n + i.ecs.runningTasks, 0);
    expect(tasks).toBe(2);
    for (const i of view.instances) {
      expect(i).toMatchObject({ currentKey: true, keyName: first.keyName, state: 'InService', type: 't3.small' });
      expect(i.ecs.memoryReserved).toBe(
        i.ecs.runningTasks === 0 ? 0 : Math.round(((256 * i.ecs.runningTasks) / 1945) * 10_000) / 100,
      );
    }
  });

  it('a second keyroll with --surge keeps every instance in service, restores the capacity and prunes the first key', async () => {
    const sampler = sampleInService(clients, rack.group);
    const second = await keyroll(rack, '--surge', '--prune-old');
    const samples = await sampler.stop();
    expect(second.previousKey).toBe(first.keyName);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...samples)).toBe(3);
    const group = await groupInstances(clients, rack.group);
    expect(group.desired).toBe(2);
    const alive = group.instances.filter((i) => i.lifecycle === 'InService');
    expect(alive.map((i) => i.keyName)).toEqual([second.keyName, second.keyName]);
    expect(second.pruned).toEqual([first.keyName]);
    expect(await keyPairNames(clients)).not.toContain(first.keyName);
    expect(await keyPairNames(clients)).toContain(second.keyName);
    expect(await bucketKeys(clients, rack.bucket, 'ssh/')).toEqual(['ssh/active.json', `ssh/${second.keyName}.pem`]);

    // No private key material in any output, log or the state rack keeps.
    const outputs = rack.results.flatMap((r) => [r.stdout, r.stderr]);
    for (const name of [second.keyName])
      expectNoKeyMaterial(await privateKeyOf(rack, name), ...outputs, filesUnder(rack.home));
  });

  it('without --prune-old the old key pair is kept', async () => {
    const before = JSON.parse(await objectText(clients, rack.bucket, 'ssh/active.json')).keyName as string;
    const third = await keyroll(rack, '--force');
    expect(third.pruned).toEqual([]);
    expect(await keyPairNames(clients)).toEqual(expect.arrayContaining([before, third.keyName]));
    expectNoKeyMaterial(
      await privateKeyOf(rack, third.keyName),
      ...rack.results.flatMap((r) => [r.stdout, r.stderr]),
      filesUnder(rack.home),
    );
  });
});

describe('a keyroll whose stack update fails', () => {
  it('leaves the old key active, nothing pending, no new key pair, and every instance untouched (exit 6)', async () => {
    const rack = await freshRack(aws, clients, { password: PASSWORD });
    const old = await keyroll(rack);
    const keyPairs = await keyPairNames(clients);
    const objects = await bucketKeys(clients, rack.bucket);
    const instances = (await groupInstances(clients, rack.group)).instances;
    const parameters = await aws.stackParameters(rack.stackName);
    const timeline = timelines.script({
      stackName: rack.stackName,
      inProgressMs: 300,
      outcome: 'rollback',
      failure: {
        logicalId: 'LaunchTemplate',
        reason: 'Resource handler returned message: "The key pair does not exist"',
      },
    });

    const failed = await rack.rack(['instances', 'keyroll', '--yes', '--force']);
    expect(failed.code, failed.stderr).toBe(6);
    expect(timeline.executeCalls).toBe(1);
    expect(failed.stderr).toContain('The key pair does not exist');
    expect(failed.stderr).toContain(
      'The old key stays active; the new key pair and its private key were removed; no instance was touched.',
    );

    expect(JSON.parse(await objectText(clients, rack.bucket, 'ssh/active.json')).keyName).toBe(old.keyName);
    expect(await bucketKeys(clients, rack.bucket)).toEqual(objects);
    expect(await keyPairNames(clients)).toEqual(keyPairs);
    expect((await groupInstances(clients, rack.group)).instances).toEqual(instances);
    expect(await aws.stackParameters(rack.stackName)).toEqual(parameters);
    expect(existsSync(path.join(rack.home, 'keyroll', aws.region, `${rack.stackName}.json`))).toBe(false);
    const entry = (await rack.rack(['history', '--json'])).json().entries.at(-1);
    expect(entry).toMatchObject({ operation: 'keyroll', result: 'rolled-back' });
    expect(entry.cause).toContain('The key pair does not exist');
  });
});

describe('an interrupted keyroll', () => {
  it('stopped between two replacements, continues where it stopped: no second update, no instance replaced twice', async () => {
    const rack = await freshRack(aws, clients, { password: PASSWORD });
    const original = (await groupInstances(clients, rack.group)).instances.map((i) => i.id);
    const executesBefore = executes();
    const controller = new AbortController();
    const events: OperationEvent[] = [];
    const stopped = await rack.rack(['instances', 'keyroll', '--yes'], {
      signal: controller.signal,
      events: {
        emit(event) {
          events.push(event);
          if (event.type === 'instance' && event.text.startsWith('replaced by')) controller.abort(new Error('Ctrl-C'));
        },
      },
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain('it continues where this one stopped');
    const progressFile = path.join(
      rack.home,
      'keyroll',
      `${stackStateKey({ stackId: rack.stackId, region: aws.region, stack: rack.stackName })}.json`,
    );
    expect(existsSync(progressFile)).toBe(true);
    const firstReplaced = events
      .filter((e) => e.type === 'instance' && e.text === 'terminating')
      .map((e) => (e as { instanceId: string }).instanceId);
    expect(firstReplaced).toHaveLength(1);

    // The api's tasks settle on the replacement first: with one task running, the preflight would warn.
    await waitUntil(
      () => runningCounts(clients.ecs, rack.cluster),
      (c) => Object.values(c).every((n) => n === 2),
    );
    const resumed = await rack.rack(['instances', 'keyroll', '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('Continuing the keyroll of prod');
    expect(resumed.stdout).toContain('2 instances replaced');
    expect(resumed.stdout).toContain('continuing a stopped keyroll');
    const keyName = JSON.parse(await objectText(clients, rack.bucket, 'ssh/active.json')).keyName as string;
    // The second run replaced only the instance the first had not reached.
    const secondRun = resumed.stderr.match(/(i-[0-9a-f]+): terminating/g) ?? [];
    expect(secondRun).toEqual([`${original.find((id) => id !== firstReplaced[0])}: terminating`]);
    expect(executes() - executesBefore).toBe(1);
    const alive = (await groupInstances(clients, rack.group)).instances.filter((i) => i.lifecycle === 'InService');
    expect(alive.map((i) => i.keyName)).toEqual([keyName, keyName]);
    expect(existsSync(progressFile)).toBe(false);
    const results = (await rack.rack(['history', '--json'])).json().entries.map((e: { result: string }) => e.result);
    expect(results.slice(-2)).toEqual(['interrupted', 'succeeded']);
  });

  it('stopped while its stack update runs, follows that update on the next run and goes on', async () => {
    const rack = await freshRack(aws, clients, { password: PASSWORD });
    const timeline = timelines.script({ stackName: rack.stackName, inProgressMs: 1500, outcome: 'complete' });
    const controller = new AbortController();
    const stopping = rack.rack(['instances', 'keyroll', '--yes'], { signal: controller.signal });
    await timeline.waitFor('UPDATE_IN_PROGRESS', 10_000);
    controller.abort(new Error('Ctrl-C'));
    const stopped = await stopping;
    expect(stopped.code, stopped.stderr).toBe(130);

    const resumed = await rack.rack(['instances', 'keyroll', '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('Attaching to the keyroll of prod');
    expect(resumed.stdout).toContain('continuing a stopped keyroll');
    expect(timeline.executeCalls).toBe(1);
    const outcome = {
      keyName: JSON.parse(await objectText(clients, rack.bucket, 'ssh/active.json')).keyName as string,
    };
    expect((await aws.stackParameters(rack.stackName)).Key).toBe(outcome.keyName);
    const alive = (await groupInstances(clients, rack.group)).instances.filter((i) => i.lifecycle === 'InService');
    expect(alive.map((i) => i.keyName)).toEqual([outcome.keyName, outcome.keyName]);
  });
});

describe('the preflight', () => {
  const WRITES =
    /^(ImportKeyPair|CreateChangeSet|ExecuteChangeSet|PutObject|TerminateInstanceInAutoScalingGroup|SetDesiredCapacity|UpdateContainerInstancesState)$/;

  async function withOneTaskService(rack: TestRack): Promise<void> {
    await clients.ecs.send(
      new CreateServiceCommand({
        cluster: rack.cluster,
        serviceName: 'solo',
        taskDefinition: `${rack.stackName}-api`,
        desiredCount: 1,
        launchType: 'EC2',
        deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
      }),
    );
    await waitUntil(
      () => runningCounts(clients.ecs, rack.cluster),
      (c) => c.solo === 1,
    );
  }

  it('flags a one-task service beside a healthy one and, not interactive, refuses without --force (exit 3), writing nothing', async () => {
    const rack = await freshRack(aws, clients, { password: PASSWORD });
    await withOneTaskService(rack);
    const mark = aws.proxy.requests.length;
    const refused = await rack.rack(['instances', 'keyroll', '--yes']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('preflight warning');
    expect(refused.stderr).toContain(
      'Service solo runs 1 task: it will see downtime while the instances are replaced.',
    );
    expect(refused.stderr).not.toMatch(/Service [^ ]*api[^ ]* runs/);
    expect(refused.stderr).toContain('--force');
    const json = await rack.rack(['instances', 'keyroll', '--yes', '--json']);
    expect(json.code).toBe(3);
    expect(json.json().error.details.fragileServices).toEqual([{ name: 'solo', desired: 1, running: 1 }]);
    expect(aws.proxy.requests.slice(mark).filter((r) => WRITES.test(r.action))).toEqual([]);

    // On a terminal it asks; "no" writes nothing either.
    const asked = await rack.rack(['instances', 'keyroll', '--yes'], { tty: true, stdin: 'n\n' });
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('Accept these warnings?');
    expect(asked.stderr).toContain('Declined at the preflight warnings.');
    expect(aws.proxy.requests.slice(mark).filter((r) => WRITES.test(r.action))).toEqual([]);

    // Without --yes and no terminal: exit 2 before any AWS call, as for every write.
    const unconfirmed = await rack.rack(['instances', 'keyroll', '--force']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
  });

  it('warns about a group with a rolling update policy (the rack template contract)', async () => {
    const body = templateBody('1.3.1').replace(
      /(\n {2}AutoScalingGroup:\n {4}Type: AWS::AutoScaling::AutoScalingGroup\n)/,
      '$1    UpdatePolicy:\n      AutoScalingRollingUpdate:\n        MinInstancesInService: 1\n',
    );
    expect(body).toContain('AutoScalingRollingUpdate');
    const rack = await freshRack(aws, clients, { password: PASSWORD, templateBody: body });
    const refused = await rack.rack(['instances', 'keyroll', '--yes']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(
      'The auto-scaling group has an AutoScalingRollingUpdate policy: CloudFormation will replace the instances itself, without draining them, when the key changes.',
    );
  });

  it('refuses --surge when the group has no room for one more instance', async () => {
    const body = templateBody('1.3.1').replace('MaxSize: "21"', 'MaxSize: !Ref InstanceCount');
    const rack = await freshRack(aws, clients, { password: PASSWORD, templateBody: body });
    const refused = await rack.rack(['instances', 'keyroll', '--yes', '--surge']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(
      "--surge needs room for one more instance, but the group's maximum size is 2 with 2 desired.",
    );
  });
});
