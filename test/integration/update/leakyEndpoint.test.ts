/**
 * The product never relies on the harness's corrections: against an endpoint that returns NoEcho values in
 * clear (plain moto), an update and a rollback still never show, log, store or send the secret back.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack } from '../../harness/rackStacks.js';
import { filesUnder, runRack, tempHome } from '../../harness/runRack.js';

const PASSWORD = 'leaky-Endpoint-Secret-5';
let aws: LocalAws;
let home: string;
const sent: string[] = [];
let answeredInClear = 0;

beforeAll(async () => {
  aws = await startLocalAws({ without: ['noecho-mask'] });
  home = tempHome();
  await createRackStack(aws, { stackName: 'leaky', version: '1.2.0', password: PASSWORD });
  aws.proxy.inject({
    service: 'cloudformation',
    fault: {
      type: 'handle',
      handler: async (_req, body, forward) => {
        sent.push(body.toString());
        const answer = await forward();
        if (answer.body.toString().includes(PASSWORD)) answeredInClear++;
        return answer;
      },
    },
  });
});
afterAll(async () => aws?.stop());

it('updates and rolls back without showing, logging, storing or sending back the secret it was shown', async () => {
  const env = { ...aws.env(), RACK_HOME: home, RACK_HEALTH_TIMEOUT: '20' };
  const described = await runRack(['racks', 'add', 'leaky', '--stack', 'leaky', '--debug'], { env });
  expect(described.code, described.stderr).toBe(0);
  // The endpoint really does return the secret in clear.
  expect(answeredInClear).toBeGreaterThan(0);

  const outputs: string[] = [described.stdout, described.stderr];
  for (const args of [
    ['update', '--yes', '--debug'],
    ['status', '--json'],
    ['rollback', '--yes', '--debug'],
    ['history', '--json'],
    ['params', '--json'],
  ]) {
    const result = await runRack(args, { env });
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    outputs.push(result.stdout, result.stderr);
  }
  expect((await aws.stackParameters('leaky')).Version).toBe('1.2.0');
  expect((await aws.stackParameters('leaky')).Password).toBe(PASSWORD);
  for (const output of outputs) expect(output).not.toContain(PASSWORD);
  for (const file of filesUnder(home)) expect(readFileSync(file, 'utf8'), file).not.toContain(PASSWORD);
  const writes = sent.filter((body) => /Action=(CreateChangeSet|UpdateStack|ExecuteChangeSet)/.test(body));
  expect(writes.length).toBeGreaterThanOrEqual(2);
  for (const body of writes) expect(decodeURIComponent(body.replace(/\+/g, ' '))).not.toContain(PASSWORD);
});
