import semver, { type SemVer } from 'semver';
import { catalogFileSchema, type CatalogFile, type ReleaseFile, type RiskFile, type YankFile } from '../schemas.js';
import { compareParsed, compareVersions, readVersion, versionProblem } from '../versions.js';
import { formatProblem, invalidFile, readYamlFile, type FileProblem, type YamlFile } from './yamlFile.js';

/** One release of the rack template, as the catalog lists it. */
export interface Release {
  version: string;
  /** A path inside the channels directory, an https:// URL or an s3:// URL. */
  template: string;
  sha256: string;
  published: string;
  notes: string;
  /** Racks below a barrier must stop at it before going further. */
  barrier: boolean;
  /** The oldest rack CLI that may apply this release. */
  minCli?: string;
  yanked?: YankFile;
  /** The sha256 of the release's migration, when it has one. */
  migration?: { sha256: string };
  /** Known risks: racks a matcher picks are refused this release unless the risk is accepted by name. */
  risks?: RiskFile[];
}

/** Every release there is, whatever the channels; sorted ascending and looked up by version. */
export interface Catalog {
  readonly releases: readonly Release[];
  get(version: string): Release | undefined;
  /** Barriers strictly between two versions (which need not be releases), ascending. */
  barriersBetween(from: string, to: string): Release[];
  /** Releases strictly between two versions, ascending. */
  between(from: string, to: string): Release[];
}

export function readCatalogFile(text: string, file: string): YamlFile<CatalogFile> {
  return readYamlFile(text, file, { noun: 'release catalog', schema: catalogFileSchema, check: catalogProblems });
}

export function parseCatalog(text: string, file: string): Catalog {
  return createCatalog(readCatalogFile(text, file).value.releases, file);
}

/** A catalog from releases in any order; refuses (exit 3) the same inconsistencies a catalog file may not have. */
export function createCatalog(releases: readonly (Release | ReleaseFile)[], file = 'catalog'): Catalog {
  const files = releases.map((release) => ({ ...release, barrier: release.barrier ?? false }));
  const problems: FileProblem[] = [];
  // Each version is parsed once, here: files were checked by their schema, releases built in code were not.
  const parsed = files.map((release, index) => {
    const read = readVersion(release.version);
    if (typeof read === 'string') problems.push({ path: ['releases', index, 'version'], message: read });
    return read;
  });
  files.forEach((release, index) => {
    const others = [
      [['minCli'], release.minCli],
      [['yanked', 'fixedIn'], release.yanked?.fixedIn],
    ] as const;
    for (const [field, version] of others) {
      const problem = version === undefined ? null : versionProblem(version);
      if (problem) problems.push({ path: ['releases', index, ...field], message: problem });
    }
  });
  if (problems.length === 0) problems.push(...catalogProblems({ schema: 1, releases: files }));
  if (problems.length > 0) {
    throw invalidFile(
      file,
      'release catalog',
      problems.map((problem) => formatProblem(problem, () => file)),
    );
  }
  return new SortedCatalog(files.map((release, index) => ({ release, parsed: parsed[index] as SemVer })));
}

/** A version listed twice in a file's `releases`, each repeat named with the index of its first listing. */
export function duplicateVersions(releases: readonly { version: string }[]): FileProblem[] {
  const problems: FileProblem[] = [];
  const firstIndex = new Map<string, number>();
  releases.forEach((release, index) => {
    const first = firstIndex.get(release.version);
    if (first === undefined) firstIndex.set(release.version, index);
    else {
      problems.push({
        path: ['releases', index, 'version'],
        message: `${release.version} is listed twice (also releases[${first}].version)`,
      });
    }
  });
  return problems;
}

/**
 * What a catalog may not contain even when every release is well formed: a version listed twice, and a yank
 * whose `fixedIn` is not a later release of the catalog (the fix must be something a rack can go to).
 */
function catalogProblems(catalog: CatalogFile): FileProblem[] {
  const problems: FileProblem[] = duplicateVersions(catalog.releases);
  const versions = new Set(catalog.releases.map((release) => release.version));
  catalog.releases.forEach((release, index) => {
    const fixedIn = release.yanked?.fixedIn;
    if (fixedIn === undefined) return;
    const path = ['releases', index, 'yanked', 'fixedIn'];
    if (compareVersions(fixedIn, release.version) <= 0) {
      problems.push({ path, message: `the fix ${fixedIn} must be newer than the yanked ${release.version}` });
    } else if (!versions.has(fixedIn)) {
      problems.push({ path, message: `the fix ${fixedIn} is not a release of the catalog` });
    }
  });
  return problems;
}

/**
 * Versions are parsed once and kept beside the releases, and barriers are indexed, so that resolving a path
 * costs two binary searches and the barriers crossed, even across tens of thousands of releases.
 */
class SortedCatalog implements Catalog {
  readonly releases: readonly Release[];
  private readonly parsed: readonly SemVer[];
  private readonly byVersion: ReadonlyMap<string, Release>;
  /** Indexes into `releases` of the barriers, ascending. */
  private readonly barrierIndexes: readonly number[];

  constructor(entries: { release: Release; parsed: SemVer }[]) {
    entries.sort((a, b) => compareParsed(a.parsed, b.parsed));
    this.releases = entries.map((entry) => entry.release);
    this.parsed = entries.map((entry) => entry.parsed);
    this.byVersion = new Map(this.releases.map((release) => [release.version, release]));
    this.barrierIndexes = this.releases.flatMap((release, index) => (release.barrier ? [index] : []));
  }

  get(version: string): Release | undefined {
    return this.byVersion.get(version);
  }

  between(from: string, to: string): Release[] {
    const [start, end] = this.openRange(from, to);
    return this.releases.slice(start, end);
  }

  barriersBetween(from: string, to: string): Release[] {
    const [start, end] = this.openRange(from, to);
    const first = lowerBound(this.barrierIndexes.length, (i) => this.barrierIndexes[i]! >= start);
    const barriers: Release[] = [];
    for (let i = first; i < this.barrierIndexes.length && this.barrierIndexes[i]! < end; i++) {
      barriers.push(this.releases[this.barrierIndexes[i]!]!);
    }
    return barriers;
  }

  /** Indexes [start, end) of the releases strictly between `from` and `to`. */
  private openRange(from: string, to: string): [number, number] {
    const low = semver.parse(from)!;
    const high = semver.parse(to)!;
    const start = lowerBound(this.parsed.length, (i) => compareParsed(this.parsed[i]!, low) > 0);
    const end = lowerBound(this.parsed.length, (i) => compareParsed(this.parsed[i]!, high) >= 0);
    return [start, Math.max(start, end)];
  }
}

/** The first index in [0, length) where `isAtOrAfter` holds, given that it holds for a suffix. */
function lowerBound(length: number, isAtOrAfter: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAtOrAfter(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The release that replaces a yanked one: its `fixedIn`, followed through fixes that were yanked in turn.
 * Null when the chain ends at a yank without a fix. A release that is not yanked is its own fix.
 */
export function fixFor(catalog: Catalog, release: Release): Release | null {
  let current: Release | undefined = release;
  // Every fixedIn is newer than its yank (the catalog checks it), so the chain ends.
  while (current?.yanked) {
    const fixedIn: string | undefined = current.yanked.fixedIn;
    current = fixedIn === undefined ? undefined : catalog.get(fixedIn);
  }
  return current ?? null;
}
