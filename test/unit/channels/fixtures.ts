import { createCatalog, type Catalog, type Release } from '../../../src/core/channels/catalog.js';
import { createChannel, type Channel } from '../../../src/core/channels/channel.js';
import { isRackError, type RackError } from '../../../src/errors.js';

export const SHA = 'a'.repeat(64);

export function release(version: string, extra: Partial<Release> = {}): Release {
  return {
    version,
    template: `templates/${version}.yaml`,
    sha256: SHA,
    published: '2025-01-01T00:00:00Z',
    notes: '',
    barrier: false,
    ...extra,
  };
}

export const barrier = (version: string, extra: Partial<Release> = {}) => release(version, { barrier: true, ...extra });

export const yank = (fixedIn?: string) => ({
  reason: 'it breaks',
  at: '2025-02-01T00:00:00Z',
  ...(fixedIn ? { fixedIn } : {}),
});

export function catalogOf(...releases: Release[]): Catalog {
  return createCatalog(releases);
}

export function channelOf(name: string, versions: string[], feeder?: { channel: string; soak: string }): Channel {
  return createChannel({
    schema: 1,
    name,
    description: `${name} releases`,
    ...(feeder ? { feeder } : {}),
    releases: versions.map((version) => ({ version, entered: '2025-01-01T00:00:00Z' })),
  });
}

/** The RackError `run` throws; fails the test when it returns or throws something else. */
export function errorOf(run: () => unknown): RackError {
  try {
    run();
  } catch (error) {
    if (isRackError(error)) return error;
    throw error;
  }
  throw new Error('expected a RackError, but nothing was thrown');
}

export const reasonOf = (run: () => unknown) => errorOf(run).details?.reason;
