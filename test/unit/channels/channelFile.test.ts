import { describe, expect, it } from 'vitest';
import { channelTarget, parseChannel, readChannelFile } from '../../../src/core/channels/channel.js';
import { parseChannelSource } from '../../../src/core/channels/source.js';
import { catalogOf, channelOf, errorOf, release, SHA, yank } from './fixtures.js';

const STABLE = `schema: 1
name: stable
description: Releases that soaked a week in unstable.
feeder:
  channel: unstable
  soak: 7d
releases:
  - version: 1.1.0
    entered: 2025-02-08T09:00:00Z
  - version: 1.0.0
    entered: 2025-01-17T09:00:00Z
  - version: 1.3.1
    entered: 2025-03-05T09:00:00Z
    forced: true
`;

const UNSTABLE = `schema: 1
name: unstable
description: Every release, as soon as it is published.
releases:
  - version: 1.0.0
    entered: 2025-01-10T09:00:00Z
`;

describe('a channel file', () => {
  it('reads the channel, its feeder and its releases sorted by version', () => {
    const channel = parseChannel(STABLE, 'channels/stable.yaml');
    expect(channel.name).toBe('stable');
    expect(channel.feeder).toEqual({ channel: 'unstable', soak: '7d', soakMs: 7 * 86_400_000 });
    expect(channel.releases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.3.1']);
    expect(channel.get('1.3.1')).toEqual({ version: '1.3.1', entered: '2025-03-05T09:00:00Z', forced: true });
    expect(channel.get('1.1.0')?.forced).toBe(false);
    expect(parseChannel(UNSTABLE, 'channels/unstable.yaml').feeder).toBeUndefined();
  });

  it('keeps the document for editing', () => {
    const { document } = readChannelFile(STABLE, 'channels/stable.yaml');
    document.addIn(['releases'], { version: '1.4.0', entered: '2025-04-01T00:00:00Z' });
    expect(parseChannel(document.toString(), 'channels/stable.yaml').get('1.4.0')).toBeDefined();
  });

  it('names file, line and path of each problem', () => {
    const error = errorOf(() =>
      parseChannel(
        `schema: 1
name: Stable
description: x
feeder: {channel: unstable, soak: 7days}
releases:
  - version: 1.0.0
    entered: 2025-01-01T00:00:00Z
    forced: false
  - version: 1.1.0
`,
        'channels/stable.yaml',
      ),
    );
    expect(error.message).toBe('channels/stable.yaml is not a valid channel file.');
    expect(error.problems).toEqual([
      'channels/stable.yaml:2: name: expected a channel name (lowercase letters, digits and dashes), got "Stable"',
      'channels/stable.yaml:4: feeder.soak: expected a duration like 7d, 36h or 1d12h, got "7days"',
      'channels/stable.yaml:8: releases[0].forced: expected true, got false',
      'channels/stable.yaml:9: releases[1].entered: missing (expected an ISO time with a zone, like 2025-03-01T12:00:00Z)',
    ]);
  });

  it('is named after its channel, is not fed from itself and lists each release once', () => {
    const error = errorOf(() =>
      parseChannel(
        `schema: 1
name: stable
description: x
feeder: {channel: stable, soak: 1d}
releases:
  - {version: 1.0.0, entered: 2025-01-01T00:00:00Z}
  - {version: 1.0.0, entered: 2025-01-02T00:00:00Z}
`,
        'channels/stabel.yaml',
      ),
    );
    expect(error.problems).toEqual([
      'channels/stabel.yaml:2: name: the channel stable must be in a file named stable.yaml',
      'channels/stabel.yaml:4: feeder.channel: a channel cannot be fed from itself',
      'channels/stabel.yaml:7: releases[1].version: 1.0.0 is listed twice (also releases[0].version)',
    ]);
  });
});

describe('the target of a channel', () => {
  const catalog = catalogOf(release('1.0.0'), release('1.1.0'), release('1.2.0', { yanked: yank() }), release('1.3.0'));

  it('is the newest release of the channel', () => {
    expect(channelTarget(catalog, channelOf('stable', ['1.0.0', '1.1.0']))?.version).toBe('1.1.0');
  });

  it('is never a yanked release', () => {
    expect(channelTarget(catalog, channelOf('stable', ['1.0.0', '1.1.0', '1.2.0']))?.version).toBe('1.1.0');
  });

  it('ignores catalog releases that are not in the channel', () => {
    expect(channelTarget(catalog, channelOf('stable', ['1.0.0']))?.version).toBe('1.0.0');
  });

  it('is null when every release of the channel is yanked, or there is none', () => {
    expect(channelTarget(catalog, channelOf('stable', ['1.2.0']))).toBeNull();
    expect(channelTarget(catalog, channelOf('stable', []))).toBeNull();
  });
});

describe('a channels source', () => {
  const CATALOG = `schema: 1
releases:
${['1.0.0', '1.1.0', '1.3.1'].map((v) => `  - {version: ${v}, template: t.yaml, sha256: ${SHA}, published: 2025-01-01T00:00:00Z, notes: ""}`).join('\n')}
`;
  const file = (name: string, text: string) => ({ file: `channels/${name}.yaml`, text });

  it('reads the catalog and every channel', () => {
    const source = parseChannelSource({
      catalog: { file: 'channels/catalog.yaml', text: CATALOG },
      channels: [file('stable', STABLE), file('unstable', UNSTABLE)],
    });
    expect(source.catalog.releases).toHaveLength(3);
    expect([...source.channels.keys()]).toEqual(['stable', 'unstable']);
    expect(source.channels.get('stable')?.feeder?.channel).toBe('unstable');
  });

  it('reports every problem of every file at once, and the files against each other', () => {
    const error = errorOf(() =>
      parseChannelSource({
        catalog: { file: 'channels/catalog.yaml', text: CATALOG },
        channels: [
          file('stable', STABLE.replace('1.1.0', '1.2.0')),
          file('beta', 'schema: 1\nname: beta\ndescription: x\nfeeder: {channel: nightly, soak: 1d}\nreleases: []\n'),
          file('broken', 'schema: 1\nname: broken\n'),
        ],
      }),
    );
    expect(error.message).toBe('The channels source is not valid.');
    expect(error.exitCode).toBe(3);
    expect(error.details).toEqual({ reason: 'invalid-source' });
    expect(error.problems).toEqual([
      'channels/broken.yaml:1: description: missing (expected a string)',
      'channels/broken.yaml:1: releases: missing (expected a list)',
      'channels/stable.yaml:8: releases[0].version: 1.2.0 is not a release of the catalog',
      'channels/stable.yaml:5: feeder.channel: there is no channel named unstable',
      'channels/beta.yaml:4: feeder.channel: there is no channel named nightly',
    ]);
  });

  it('refuses feeders that go round in a loop', () => {
    const channel = (name: string, feeder: string) =>
      file(name, `schema: 1\nname: ${name}\ndescription: x\nfeeder: {channel: ${feeder}, soak: 1d}\nreleases: []\n`);
    const error = errorOf(() =>
      parseChannelSource({
        catalog: { file: 'channels/catalog.yaml', text: CATALOG },
        channels: [channel('a', 'b'), channel('b', 'c'), channel('c', 'a')],
      }),
    );
    expect(error.problems).toEqual([
      'channels/a.yaml:4: feeder.channel: the feeders form a loop: a → b → c → a',
      'channels/b.yaml:4: feeder.channel: the feeders form a loop: b → c → a → b',
      'channels/c.yaml:4: feeder.channel: the feeders form a loop: c → a → b → c',
    ]);
  });

  it('refuses two files defining the same channel', () => {
    const error = errorOf(() =>
      parseChannelSource({
        catalog: { file: 'channels/catalog.yaml', text: CATALOG },
        channels: [file('unstable', UNSTABLE), { file: 'channels/unstable.yml', text: UNSTABLE }],
      }),
    );
    expect(error.problems).toEqual([
      'channels/unstable.yml:2: name: the channel unstable is also defined in channels/unstable.yaml',
    ]);
  });
});
