import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expiryProblem,
  fileProblem,
  formatManifest,
  isSourceFileName,
  missingFileProblems,
  parseExpires,
  parseManifest,
  rollbackProblem,
  type ManifestEntry,
  type ReleaseManifest,
} from '../../../src/core/releaseManifest.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const digest = (text: string) => createHash('sha256').update(text).digest('hex');
const entry = (text: string): ManifestEntry => ({ sha256: digest(text), length: Buffer.byteLength(text) });

function manifestOf(files: Record<string, string>, version = 3): ReleaseManifest {
  const text = formatManifest({
    version,
    expires: new Date('2026-12-31T00:00:00Z'),
    signed: NOW,
    files: new Map(Object.entries(files).map(([name, content]) => [name, entry(content)])),
  });
  const parsed = parseManifest(text);
  if (!('manifest' in parsed)) throw new Error(parsed.problems.join('\n'));
  return parsed.manifest;
}

describe('the release manifest', () => {
  it('is written with files sorted and times to the second, and reads back as written', () => {
    const text = formatManifest({
      version: 2,
      expires: new Date('2026-12-31T00:00:00.250Z'),
      signed: NOW,
      files: new Map([
        ['migrations/1.4.0.yaml', entry('m')],
        ['channels/catalog.yaml', entry('c')],
      ]),
    });
    expect(Object.keys(JSON.parse(text).files)).toEqual(['channels/catalog.yaml', 'migrations/1.4.0.yaml']);
    expect(text).toContain('"expires": "2026-12-31T00:00:00Z"');
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseManifest(text)).toEqual({ manifest: JSON.parse(text) });
  });

  it('round-trips any set of files (property)', () => {
    const name = fc
      .tuple(
        fc.constantFrom('channels', 'migrations'),
        fc.array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,11}$/), { minLength: 1, maxLength: 3 }),
      )
      .map(([dir, segments]) => [dir, ...segments].join('/'))
      .filter(isSourceFileName);
    fc.assert(
      fc.property(fc.dictionary(name, fc.string()), fc.integer({ min: 1, max: 1e9 }), (files, version) => {
        const manifest = manifestOf(files, version);
        expect(manifest.version).toBe(version);
        for (const [file, content] of Object.entries(files)) {
          expect(fileProblem(manifest, file, digest(content), Buffer.byteLength(content))).toBeNull();
        }
      }),
    );
  });

  it('names what is wrong with a text that is not a manifest', () => {
    expect(parseManifest('{')).toEqual({
      problems: [expect.stringMatching(/^channels\/release-manifest.json: not JSON/)],
    });
    const names = parseManifest(
      JSON.stringify({
        ...JSON.parse(formatManifest({ version: 1, expires: NOW, signed: NOW, files: new Map() })),
        files: { 'channels/../x': entry('') },
      }),
    );
    expect('problems' in names && names.problems).toEqual([
      'channels/release-manifest.json: files.channels/../x: expected a file name like channels/catalog.yaml',
    ]);
    const bad = parseManifest(
      JSON.stringify({
        schema: 1,
        version: 0,
        expires: 'soon',
        signed: '2026-12-01T00:00:00Z',
        files: { '../etc/passwd': { sha256: 'x', length: 1 } },
      }),
    );
    expect('problems' in bad && bad.problems).toEqual([
      'channels/release-manifest.json: version: expected a whole number of at least 1',
      'channels/release-manifest.json: expires: expected an ISO time with a zone, like 2025-03-01T12:00:00Z, got "soon"',
      'channels/release-manifest.json: files.../etc/passwd.sha256: expected a sha256 digest (64 lowercase hex digits)',
      'channels/release-manifest.json: files.../etc/passwd: expected a file name like channels/catalog.yaml',
    ]);
  });

  it('vouches only for the bytes it lists', () => {
    const manifest = manifestOf({ 'channels/stable.yaml': 'releases: []\n' });
    expect(fileProblem(manifest, 'channels/stable.yaml', digest('releases: []\n'), 13)).toBeNull();
    expect(fileProblem(manifest, 'channels/stable.yaml', digest('releases: [x]\n'), 14)).toBe(
      `channels/stable.yaml: sha256 is ${digest('releases: [x]\n')}, release-manifest.json says ${digest('releases: []\n')} (changed after it was signed)`,
    );
    expect(fileProblem(manifest, 'channels/beta.yaml', digest(''), 0)).toBe(
      'channels/beta.yaml: not in release-manifest.json (added after it was signed)',
    );
  });

  it('names the files of a directory that are gone, and only those directly in it', () => {
    const manifest = manifestOf({
      'channels/catalog.yaml': 'c',
      'channels/templates/rack-1.0.0.yaml': 't',
      'migrations/1.2.0.yaml': 'a',
      'migrations/1.4.0.yaml': 'b',
    });
    expect(missingFileProblems(manifest, 'migrations', new Set(['migrations/1.2.0.yaml']))).toEqual([
      'migrations/1.4.0.yaml: listed in release-manifest.json but missing from the source (deleted after it was signed)',
    ]);
    expect(missingFileProblems(manifest, 'channels', new Set(['channels/catalog.yaml']))).toEqual([]);
  });

  it('expires, and refuses a version lower than one seen', () => {
    const manifest = manifestOf({}, 3);
    expect(expiryProblem(manifest, NOW)).toBeNull();
    expect(expiryProblem(manifest, new Date('2026-12-31T00:00:00Z'))).toMatch(
      /^channels\/release-manifest.json: expired at 2026-12-31T00:00:00Z \(version 3\)/,
    );
    expect(rollbackProblem(manifest, undefined)).toBeNull();
    expect(rollbackProblem(manifest, 3)).toBeNull();
    expect(rollbackProblem(manifest, 4)).toMatch(/version 3 is older than version 4/);
  });
});

describe('--expires', () => {
  it('takes a duration, a date or a time with a zone, in the future', () => {
    expect(parseExpires('30d', NOW)).toEqual(new Date('2026-12-31T12:00:00Z'));
    expect(parseExpires('36h', NOW)).toEqual(new Date('2026-12-03T00:00:00Z'));
    expect(parseExpires('2027-01-31', NOW)).toEqual(new Date('2027-01-31T00:00:00Z'));
    expect(parseExpires('2027-01-31T10:00:00+02:00', NOW)).toEqual(new Date('2027-01-31T08:00:00Z'));
    expect(parseExpires('2026-11-30', NOW)).toBe('2026-11-30T00:00:00.000Z is not in the future');
    expect(parseExpires('next week', NOW)).toMatch(/^expected an ISO date/);
  });
});
