import { describe, expect, it } from 'vitest';
import { createCatalog, fixFor, parseCatalog, readCatalogFile } from '../../../src/core/channels/catalog.js';
import { parseDuration, templateLocation } from '../../../src/core/schemas.js';
import { errorOf, release, SHA, yank } from './fixtures.js';

const CATALOG = `schema: 1
releases:
  - version: 1.0.0
    template: templates/rack-1.0.0.yaml
    sha256: ${SHA}
    published: 2025-01-10T09:00:00Z
    notes: First release.
  - version: 1.1.0
    template: https://releases.example.com/rack/1.1.0.yaml
    sha256: ${SHA}
    published: 2025-02-01T09:00:00Z
    notes: Moves the database password into Secrets.
    barrier: true
    minCli: 0.2.0
  - version: 1.3.0
    template: s3://rack-releases/1.3.0/rack.yaml
    sha256: ${SHA}
    published: 2025-03-01T09:00:00+01:00
    notes: Faster boots.
    yanked:
      reason: instances fail to join the cluster
      at: 2025-03-02T10:00:00Z
      fixedIn: 1.3.1
  - version: 1.3.1
    template: templates/rack-1.3.1.yaml
    sha256: ${SHA}
    published: 2025-03-03T09:00:00Z
    notes: Fixes 1.3.0.
`;

const problemsOf = (text: string, file = 'channels/catalog.yaml') => errorOf(() => parseCatalog(text, file)).problems;

describe('the release catalog file', () => {
  it('reads releases into a catalog sorted by version', () => {
    const catalog = parseCatalog(CATALOG, 'channels/catalog.yaml');
    expect(catalog.releases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.3.0', '1.3.1']);
    expect(catalog.get('1.1.0')).toMatchObject({ barrier: true, minCli: '0.2.0' });
    expect(catalog.get('1.0.0')?.barrier).toBe(false);
    expect(catalog.get('1.3.0')?.yanked).toEqual({
      reason: 'instances fail to join the cluster',
      at: '2025-03-02T10:00:00Z',
      fixedIn: '1.3.1',
    });
    expect(catalog.get('1.2.0')).toBeUndefined();
  });

  it('keeps the YAML document, so that a command can edit the file and keep its comments', () => {
    const { document, value } = readCatalogFile(`# releases of the rack\n${CATALOG}`, 'channels/catalog.yaml');
    expect(value.releases).toHaveLength(4);
    document.setIn(['releases', 0, 'notes'], 'Edited.');
    expect(document.toString()).toContain('# releases of the rack');
    expect(document.toString()).toContain('notes: Edited.');
  });

  it('names the file, the line and the path of each problem, all at once', () => {
    const error = errorOf(() =>
      parseCatalog(
        `schema: 1
releases:
  - version: 1.2
    template: ../outside.yaml
    sha256: abc
    published: 2025-01-01
    notes: ""
    colour: blue
`,
        'channels/catalog.yaml',
      ),
    );
    expect(error.kind).toBe('refused');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('channels/catalog.yaml is not a valid release catalog.');
    expect(error.details).toEqual({ reason: 'invalid-file', file: 'channels/catalog.yaml' });
    expect(error.problems).toEqual([
      'channels/catalog.yaml:3: releases[0].version: expected a semver version, got 1.2 (quote it: YAML reads 1.2 as a number)',
      'channels/catalog.yaml:4: releases[0].template: expected a path inside the channels directory (relative, no ".."), got "../outside.yaml"',
      'channels/catalog.yaml:5: releases[0].sha256: expected a sha256 digest (64 lowercase hex digits), got "abc"',
      'channels/catalog.yaml:6: releases[0].published: expected an ISO time with a zone, like 2025-03-01T12:00:00Z, got "2025-01-01"',
      'channels/catalog.yaml:8: releases[0].colour: unknown field',
    ]);
  });

  it('reports a missing field at the line of the object that lacks it', () => {
    expect(
      problemsOf(`schema: 1
releases:
  - version: 1.0.0
    template: t.yaml
    sha256: ${SHA}
    published: 2025-01-01T00:00:00Z
    notes: ""
    yanked:
      reason: bad
`),
    ).toEqual([
      'channels/catalog.yaml:9: releases[0].yanked.at: missing (expected an ISO time with a zone, like 2025-03-01T12:00:00Z)',
    ]);
    expect(problemsOf('schema: 1\n')).toEqual(['channels/catalog.yaml:1: releases: missing (expected a list)']);
  });

  it('reports wrong types in plain words', () => {
    expect(
      problemsOf(`schema: 1
releases:
  - version: 1.0.0
    template: t.yaml
    sha256: ${SHA}
    published: 2025-01-01T00:00:00Z
    notes:
    barrier: yes
`),
    ).toEqual([
      'channels/catalog.yaml:7: releases[0].notes: expected a string, got nothing (null)',
      'channels/catalog.yaml:8: releases[0].barrier: expected true or false, got "yes"',
    ]);
    expect(problemsOf('')).toEqual(['channels/catalog.yaml:1: expected a mapping, got nothing (null)']);
    expect(problemsOf('- 1.0.0\n')).toEqual(['channels/catalog.yaml:1: expected a mapping, got a list']);
  });

  it('names the line of a YAML syntax error and of a duplicated key', () => {
    expect(problemsOf('schema: 1\nreleases: [\n')).toEqual([
      expect.stringMatching(/^channels\/catalog\.yaml:3: Flow sequence/),
    ]);
    expect(problemsOf('schema: 1\nreleases: []\nschema: 1\n')).toEqual([
      'channels/catalog.yaml:3: Map keys must be unique',
    ]);
  });

  it('refuses a file written for a newer format, naming both schema versions', () => {
    const error = errorOf(() => parseCatalog('schema: 2\nreleases: whatever\n', 'channels/catalog.yaml'));
    expect(error.message).toBe('channels/catalog.yaml is written in format schema 2; this rack reads schema 1.');
    expect(error.details).toMatchObject({ reason: 'newer-schema', schema: 2 });
    expect(problemsOf('schema: 0\nreleases: []\n')).toEqual(['channels/catalog.yaml:1: schema: expected 1, got 0']);
  });

  it('refuses a version listed twice, naming both places', () => {
    const twice = `${CATALOG}  - version: 1.1.0
    template: t.yaml
    sha256: ${SHA}
    published: 2025-01-01T00:00:00Z
    notes: ""
`;
    expect(problemsOf(twice)).toEqual([
      'channels/catalog.yaml:29: releases[4].version: 1.1.0 is listed twice (also releases[1].version)',
    ]);
  });

  it('refuses a yank whose fix is not a later release of the catalog', () => {
    expect(problemsOf(CATALOG.replace('fixedIn: 1.3.1', 'fixedIn: 1.4.0'))).toEqual([
      'channels/catalog.yaml:23: releases[2].yanked.fixedIn: the fix 1.4.0 is not a release of the catalog',
    ]);
    expect(problemsOf(CATALOG.replace('fixedIn: 1.3.1', 'fixedIn: 1.0.0'))).toEqual([
      'channels/catalog.yaml:23: releases[2].yanked.fixedIn: the fix 1.0.0 must be newer than the yanked 1.3.0',
    ]);
  });

  it('checks releases built in code the same way', () => {
    const error = errorOf(() =>
      createCatalog([release('1.0.0'), release('1.0.0'), release('2.0.0', { yanked: yank('3.0.0') })]),
    );
    expect(error.problems).toEqual([
      'catalog: releases[1].version: 1.0.0 is listed twice (also releases[0].version)',
      'catalog: releases[2].yanked.fixedIn: the fix 3.0.0 is not a release of the catalog',
    ]);
    expect(errorOf(() => createCatalog([release('1.0')])).problems).toEqual([
      'catalog: releases[0].version: expected a semver version, got "1.0"',
    ]);
  });
});

describe('the catalog model', () => {
  const catalog = createCatalog([
    release('2.0.0', { barrier: true }),
    release('1.0.0'),
    release('1.10.0'),
    release('1.2.0', { barrier: true }),
    release('1.5.0'),
    release('1.9.0', { barrier: true }),
  ]);

  it('sorts by semver precedence', () => {
    expect(catalog.releases.map((r) => r.version)).toEqual(['1.0.0', '1.2.0', '1.5.0', '1.9.0', '1.10.0', '2.0.0']);
  });

  it('finds the releases and barriers strictly between two versions, which need not be releases', () => {
    expect(catalog.between('1.0.0', '1.10.0').map((r) => r.version)).toEqual(['1.2.0', '1.5.0', '1.9.0']);
    expect(catalog.barriersBetween('1.0.0', '2.0.0').map((r) => r.version)).toEqual(['1.2.0', '1.9.0']);
    expect(catalog.barriersBetween('1.2.0', '1.9.0')).toEqual([]);
    expect(catalog.barriersBetween('1.1.0', '1.9.5').map((r) => r.version)).toEqual(['1.2.0', '1.9.0']);
    expect(catalog.barriersBetween('0.1.0', '9.0.0').map((r) => r.version)).toEqual(['1.2.0', '1.9.0', '2.0.0']);
    expect(catalog.barriersBetween('2.0.0', '1.0.0')).toEqual([]);
  });

  it('follows a yank to its fix, through fixes that were yanked in turn', () => {
    const chain = createCatalog([
      release('1.0.0', { yanked: yank('1.0.1') }),
      release('1.0.1', { yanked: yank('1.0.2') }),
      release('1.0.2'),
      release('1.1.0', { yanked: yank() }),
      release('1.2.0', { yanked: yank('1.2.1') }),
      release('1.2.1', { yanked: yank() }),
    ]);
    expect(fixFor(chain, chain.get('1.0.0')!)?.version).toBe('1.0.2');
    expect(fixFor(chain, chain.get('1.0.2')!)?.version).toBe('1.0.2');
    expect(fixFor(chain, chain.get('1.1.0')!)).toBeNull();
    expect(fixFor(chain, chain.get('1.2.0')!)).toBeNull();
  });
});

describe('template locations', () => {
  it.each([
    ['templates/rack.yaml', { kind: 'path', path: 'templates/rack.yaml' }],
    ['./rack.yaml', { kind: 'path', path: 'rack.yaml' }],
    ['https://example.com/rack/1.0.0.yaml', { kind: 'https', url: 'https://example.com/rack/1.0.0.yaml' }],
    ['s3://rack-releases/1.0.0/rack.yaml', { kind: 's3', bucket: 'rack-releases', key: '1.0.0/rack.yaml' }],
  ])('reads %s', (text, location) => {
    expect(templateLocation(text)).toEqual(location);
  });

  it.each([
    [
      'http://example.com/rack.yaml',
      'expected a relative path, an https:// URL or an s3:// URL, got "http://example.com/rack.yaml"',
    ],
    ['file:///etc/passwd', 'expected a relative path, an https:// URL or an s3:// URL, got "file:///etc/passwd"'],
    ['/etc/rack.yaml', 'expected a path inside the channels directory (relative, no ".."), got "/etc/rack.yaml"'],
    [
      'templates/../../rack.yaml',
      'expected a path inside the channels directory (relative, no ".."), got "templates/../../rack.yaml"',
    ],
    ['', 'expected a path inside the channels directory (relative, no ".."), got ""'],
    ['s3://bucket', 'expected s3://<bucket>/<key>, got "s3://bucket"'],
    ['https://user:pw@example.com/x.yaml', 'a template URL may not carry credentials'],
  ])('refuses %j', (text, problem) => {
    expect(templateLocation(text)).toBe(problem);
  });
});

describe('durations', () => {
  it.each([
    ['7d', 7 * 86_400_000],
    ['36h', 36 * 3_600_000],
    ['1d12h', 36 * 3_600_000],
    ['90m', 90 * 60_000],
    ['0d', 0],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '7', '7days', '1h1d', '-1d', '1.5d'])('refuses %j', (text) => expect(parseDuration(text)).toBeNull());
});
