/**
 * A keyroll whose replacements come up without the new key stops at the first one (exit 1), naming the
 * instances still on the old key, and gives the surge instance back. Played on a moto without the
 * `group-launch-version` correction: its group launches from the launch template's first version, the
 * way a group that does not follow the stack update would.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { clientsOf, freshRack, groupInstances, keyPairNames, objectText, type Clients } from './rackFixture.js';

let aws: LocalAws;
let clients: Clients;

beforeAll(async () => {
  aws = await startLocalAws({ inServiceDelayMs: 300, ecsTaskStartMs: 150, without: ['group-launch-version'] });
  clients = clientsOf(aws);
});
afterAll(async () => aws?.stop());

it('stops with exit 1 at a replacement without the new key, names the instances still on the old key, and restores the capacity', async () => {
  const rack = await freshRack(aws, clients, { password: 'stops-Secret-7' });
  const original = (await groupInstances(clients, rack.group)).instances.map((i) => i.id).sort();
  const result = await rack.rack(['instances', 'keyroll', '--yes', '--surge', '--json']);
  expect(result.code, result.stderr).toBe(1);
  const error = result.json().error;
  expect(error.message).toMatch(
    /^Replacement i-[0-9a-f]+ came up with key pair \(none\), not rack-kr-\d+-\d{14}-[0-9a-f]{6}; the keyroll stopped\.$/,
  );
  expect(error.untouched).toMatch(/^Instances still on the old key: i-/);
  expect(error.next).toContain('run `rack instances keyroll --rack prod` again to continue');

  const group = await groupInstances(clients, rack.group);
  // The capacity went back to 2 after the failure; the surge instance was not left behind.
  expect(group.desired).toBe(2);
  const alive = group.instances
    .filter((i) => i.lifecycle !== 'Terminating' && i.lifecycle !== 'Terminated')
    .map((i) => i.id);
  expect(error.details.stillOnOldKey.filter((id: string) => alive.includes(id)).sort()).toEqual(alive.sort());
  // One original was replaced before the stop; the other, still on the old key, went with the surge.
  expect(alive).toHaveLength(2);
  expect(alive.filter((id) => original.includes(id))).toEqual([]);

  // The stack update had succeeded: the new key is the active one, and kept.
  const active = JSON.parse(await objectText(clients, rack.bucket, 'ssh/active.json')).keyName as string;
  expect((await aws.stackParameters(rack.stackName)).Key).toBe(active);
  expect(await keyPairNames(clients)).toContain(active);
  const entry = (await rack.rack(['history', '--json'])).json().entries.at(-1);
  expect(entry).toMatchObject({ operation: 'keyroll', result: 'failed' });
});
