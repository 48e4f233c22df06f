import { describe, expect, it } from 'vitest';
import { createTeardown } from '../../../src/io/teardown.js';

describe('teardown', () => {
  it('runs what is registered and not yet unregistered, all at once, once', async () => {
    const teardown = createTeardown();
    const ran: string[] = [];
    teardown.add('lock', async () => void ran.push('lock'));
    const remove = teardown.add('change set', async () => void ran.push('change set'));
    teardown.add('failing', async () => {
      throw new Error('store down');
    });
    remove();
    await teardown.run(1000);
    expect(ran).toEqual(['lock']);
    await teardown.run(1000);
    expect(ran).toEqual(['lock']);
  });

  it('gives up waiting at its deadline', async () => {
    const teardown = createTeardown();
    teardown.add('hangs', () => new Promise(() => undefined));
    const started = Date.now();
    await teardown.run(100);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
