import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../src/aws/clients.js';
import { createFileStore } from '../../../src/state/fileStore.js';
import { appendHistory, readHistory, successfulVersions } from '../../../src/state/history.js';
import { acquireLock, breakLock, LEASE_MS, readLock } from '../../../src/state/locks.js';
import { createS3Store } from '../../../src/state/s3Store.js';
import type { StateStore } from '../../../src/state/store.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { tempHome } from '../../harness/runRack.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
  await new S3Client({ ...aws.clientConfig(), forcePathStyle: true }).send(
    new CreateBucketCommand({ Bucket: 'team-state' }),
  );
});
afterAll(async () => aws?.stop());

const stores: Array<[string, () => StateStore]> = [
  ['file store', () => createFileStore(tempHome())],
  [
    'S3 store',
    () =>
      createS3Store(
        `s3://team-state/t${Math.random().toString(36).slice(2)}`,
        createAwsClients(
          { region: 'us-east-1' },
          { endpoint: aws.endpoint, credentials: aws.credentials, maxAttempts: 3 },
        ),
      ),
  ],
];

const target = { rack: 'prod', stack: 'prod-stack', key: 'us-east-1/prod-stack' };

describe.each(stores)('%s', (_name, make) => {
  it('compare-and-swap: creates only if absent, replaces only at the expected version', async () => {
    const store = make();
    expect(await store.put('a.json', '1', null)).toBe(true);
    expect(await store.put('a.json', '2', null)).toBe(false);
    const current = (await store.get('a.json'))!;
    expect(current.text).toBe('1');
    expect(await store.put('a.json', '2', current.version)).toBe(true);
    expect(await store.put('a.json', '3', current.version)).toBe(false);
    expect((await store.get('a.json'))!.text).toBe('2');
    expect(await store.delete('a.json', current.version)).toBe(false);
    expect(await store.delete('a.json', (await store.get('a.json'))!.version)).toBe(true);
    expect(await store.get('a.json')).toBeUndefined();
  });

  it('lets exactly one of two concurrent lockers in, and names the holder to the other', async () => {
    const store = make();
    const now = () => new Date();
    const results = await Promise.allSettled([
      acquireLock(store, target, 'update', { now }),
      acquireLock(store, target, 'update', { now }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ kind: 'busy', exitCode: 5 });
    expect(lost[0]!.reason.message).toMatch(/Rack prod is locked by .+ \(pid \d+, update\) since/);
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
    expect(await readLock(store, target)).toBeUndefined();
  });

  it('never breaks a live lock by hand; breaks one whose lease expired when another process takes it, saying so', async () => {
    const store = make();
    let clock = Date.now();
    const now = () => new Date(clock);
    const first = await acquireLock(store, target, 'update', { now });
    await expect(breakLock(store, target, { now })).rejects.toMatchObject({ kind: 'busy' });
    clock += LEASE_MS + 1000;
    expect(first.lost()).toMatch(/lease ran out/);
    const broken: string[] = [];
    const again = await acquireLock(store, target, 'update', {
      now,
      onBroken: async (holder, reason) => void broken.push(`${holder.operation}: ${reason}`),
    });
    expect(broken).toEqual([expect.stringMatching(/^update: its lease expired at /)]);
    await first.release();
    expect((await readLock(store, target))?.holder.id).toBe(again.holder.id);
    await again.release();
    expect(await readLock(store, target)).toBeUndefined();
  });

  it('breaks the lock of a holder on this machine whose process is gone, or whose pid now runs another program', async () => {
    const store = make();
    const now = () => new Date();
    for (const probe of [{ isAlive: () => false }, { processStart: () => 'another-start' }]) {
      const held = await acquireLock(store, target, 'keyroll', { now, processStart: () => undefined });
      const reasons: string[] = [];
      const taken = await acquireLock(store, target, 'update', {
        now,
        ...probe,
        onBroken: async (_holder, reason) => void reasons.push(reason),
      });
      expect(reasons).toEqual([expect.stringMatching(/process \d+ on this machine (is gone|is now another program)/)]);
      expect(held.lost()).toBeUndefined(); // it learns at its next renewal
      await taken.release();
      await held.release();
    }
  });

  it('refuses a live holder (exit 5) with its host, pid and operation', async () => {
    const store = make();
    const now = () => new Date();
    const held = await acquireLock(store, target, 'keyroll', { now });
    await expect(acquireLock(store, target, 'update', { now })).rejects.toMatchObject({
      kind: 'busy',
      exitCode: 5,
      message: expect.stringMatching(/locked by .+ \(pid \d+, keyroll\)/),
    });
    await held.release();
  });

  it('appends history entries without losing concurrent ones', async () => {
    const store = make();
    const base = {
      rack: 'prod',
      stack: 'prod-stack',
      operation: 'update',
      startedAt: new Date().toISOString(),
      user: 'me',
      hops: [],
      result: 'succeeded' as const,
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => appendHistory(store, { ...base, note: `n${i}` })));
    expect((await readHistory(store, 'prod')).map((e) => e.note).sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
  });
});

describe('successfulVersions', () => {
  it('follows successful hops from the first recorded version', () => {
    const entry = (from: string, hops: Array<[string, string, 'succeeded' | 'failed']>) => ({
      id: 'x',
      rack: 'r',
      stack: 's',
      operation: 'update',
      startedAt: '',
      user: 'u',
      result: 'succeeded' as const,
      steps: [],
      from,
      hops: hops.map(([f, t, result]) => ({ from: f, to: t, result })),
    });
    expect(
      successfulVersions([
        entry('1.0.0', [['1.0.0', '1.1.0', 'succeeded']]),
        entry('1.1.0', [
          ['1.1.0', '1.3.0', 'succeeded'],
          ['1.3.0', '1.4.0', 'failed'],
        ]),
      ]),
    ).toEqual(['1.0.0', '1.1.0', '1.3.0']);
  });
});
