/**
 * Known risks in the catalog against the local AWS: `rack update` refuses (exit 3, nothing written) a rack
 * a risk's matcher picks, naming the risk and its URL, unless `--accept-risk <name>`; a matcher rack cannot
 * evaluate (a read fails) refuses too; `rack sync` skips the racks and reports them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../harness/localAws.js';
import { scriptTimelines, type Timelines } from '../../harness/timelines.js';
import { fleet, PASSWORD, rolloutChannels, WRITES } from './fixtures.js';

let aws: LocalAws;
let timelines: Timelines;
let channels: string;

const RISKS = `    risks:
      - name: small-instances
        message: t3.small instances run out of memory with 1.3.1's agent
        url: https://example.com/kb/small-instances
        match:
          parameter: {name: InstanceType, equals: t3.small}
      - name: lonely-service
        message: a service with no running task never becomes stable during the update
        url: https://example.com/kb/lonely-service
        match:
          all:
            - label: {name: ecs-risk}
            - service: {runningFewerThan: 1}
`;

beforeAll(async () => {
  aws = await startLocalAws();
  timelines = scriptTimelines(aws);
  channels = await rolloutChannels({
    rollout: '',
    catalog: (text) => text.replace(/( {2}- version: 1\.3\.1\n(?: {4}.*\n)+)/, `$1${RISKS}`),
  });
});
afterEach(() => {
  timelines.clear();
  aws.proxy.clear();
});
afterAll(async () => aws?.stop());

const writes = (since: number) => aws.proxy.requests.slice(since).filter((r) => WRITES.test(r.action));

describe('known risks', () => {
  it('refuse a matching rack (exit 3, nothing written), naming the risk; --accept-risk goes ahead', async () => {
    const f = await fleet(aws, channels, { small: {}, large: { parameters: { InstanceType: 't3.large' } } });
    timelines.script({ inProgressMs: 100, outcome: 'complete', times: Infinity });

    const since = aws.proxy.requests.length;
    const refused = await f.rack(['update', '--rack', 'small', '--yes']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      'Error: A known risk of the way to 1.3.1 applies to rack small: small-instances.\n' +
        "  - small-instances (1.3.1): t3.small instances run out of memory with 1.3.1's agent [parameter InstanceType is t3.small] https://example.com/kb/small-instances\n" +
        'Nothing was written to the stack.\n' +
        'Next: Read what each risk says; to go ahead anyway, run the update again with --accept-risk small-instances.',
    );
    const dry = await f.rack(['update', '--rack', 'small', '--dry-run', '--json']);
    expect(dry.code).toBe(3);
    expect(dry.json().error.details).toMatchObject({ reason: 'known-risk', risks: [{ name: 'small-instances' }] });
    expect(writes(since)).toEqual([]);

    const accepted = await f.rack(['update', '--rack', 'small', '--yes', '--accept-risk', 'small-instances', '--json']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toContain('Warning: known risk accepted with --accept-risk: small-instances (1.3.1)');
    expect((await aws.stackParameters(f.stacks.small!)).Version).toBe('1.3.1');

    const large = await f.rack(['update', '--rack', 'large', '--yes']);
    expect(large.code, large.stderr).toBe(0);
    expect(large.stdout + large.stderr).not.toContain(PASSWORD);
  });

  it('refuse a rack whose matcher cannot be evaluated because a read fails', async () => {
    const f = await fleet(aws, channels, {
      guarded: { labels: ['ecs-risk=yes'], parameters: { InstanceType: 't3.large' } },
    });
    aws.proxy.inject({
      service: 'ecs',
      action: 'ListServices',
      fault: { type: 'status', status: 400, code: 'AccessDeniedException', message: 'not allowed' },
    });
    const since = aws.proxy.requests.length;
    const refused = await f.rack(['update', '--rack', 'guarded', '--yes']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /lonely-service \(1\.3\.1\): .* \[cannot be ruled out: the ECS services could not be read: .*not allowed.*\] https:\/\/example\.com\/kb\/lonely-service/,
    );
    expect(writes(since)).toEqual([]);
  });

  it('rack sync skips and reports the racks a risk picks, and updates the others', async () => {
    const f = await fleet(aws, channels, {
      small: {},
      large: { parameters: { InstanceType: 't3.large' } },
    });
    timelines.script({ inProgressMs: 100, outcome: 'complete', times: Infinity });
    const dry = await f.rack(['sync', '--all', '--dry-run', '--json']);
    const planned = Object.fromEntries(dry.json().racks.map((r: { rack: string }) => [r.rack, r]));
    expect(planned.small).toMatchObject({
      action: 'skip',
      risks: [{ name: 'small-instances', release: '1.3.1', url: 'https://example.com/kb/small-instances' }],
    });
    const result = await f.rack(['sync', '--all', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const racks = Object.fromEntries(result.json().racks.map((r: { rack: string }) => [r.rack, r]));
    expect(racks.small).toMatchObject({
      outcome: 'skipped',
      detail: expect.stringContaining('known risk small-instances (`rack update --accept-risk` goes ahead)'),
    });
    expect(racks.large).toMatchObject({ outcome: 'updated', reached: '1.3.1' });
    expect((await aws.stackParameters(f.stacks.small!)).Version).toBe('1.3.0');
  });
});
