import { rolloutOf, rolloutProblems, type Rollout } from '../rollout.js';
import { channelFileSchema, parseDuration, type ChannelFile } from '../schemas.js';
import { compareVersions } from '../versions.js';
import { duplicateVersions, type Catalog, type Release } from './catalog.js';
import { readYamlFile, type FileProblem, type YamlFile } from './yamlFile.js';

export interface ChannelRelease {
  version: string;
  /** When the release entered the channel (ISO time). */
  entered: string;
  /** Promoted with --force, before its soak period was over. */
  forced: boolean;
}

export interface Feeder {
  channel: string;
  /** As written, e.g. "7d". */
  soak: string;
  soakMs: number;
}

export interface Channel {
  name: string;
  description: string;
  feeder?: Feeder;
  /** Waves a release goes through in `rack sync`; none: every rack at once, as before. */
  rollout?: Rollout;
  /** Ascending by version. */
  releases: readonly ChannelRelease[];
  get(version: string): ChannelRelease | undefined;
}

export function readChannelFile(text: string, file: string): YamlFile<ChannelFile> {
  return readYamlFile(text, file, {
    noun: 'channel file',
    schema: channelFileSchema,
    check: (channel) => channelProblems(channel, file),
  });
}

export function parseChannel(text: string, file: string): Channel {
  return createChannel(readChannelFile(text, file).value);
}

export function createChannel(file: ChannelFile): Channel {
  const releases = file.releases
    .map((release) => ({ version: release.version, entered: release.entered, forced: release.forced === true }))
    .sort((a, b) => compareVersions(a.version, b.version));
  const byVersion = new Map(releases.map((release) => [release.version, release]));
  const feeder = file.feeder && { ...file.feeder, soakMs: parseDuration(file.feeder.soak)! };
  return {
    name: file.name,
    description: file.description,
    ...(feeder ? { feeder } : {}),
    ...(file.rollout ? { rollout: rolloutOf(file.rollout) } : {}),
    releases,
    get: (version) => byVersion.get(version),
  };
}

/** The file is named after its channel, lists each release once, and is not fed from itself. */
function channelProblems(channel: ChannelFile, file: string): FileProblem[] {
  const problems: FileProblem[] = [];
  const fileName = file
    .split(/[\\/]/)
    .pop()!
    .replace(/\.ya?ml$/, '');
  if (fileName !== channel.name) {
    problems.push({
      path: ['name'],
      message: `the channel ${channel.name} must be in a file named ${channel.name}.yaml`,
    });
  }
  if (channel.feeder?.channel === channel.name) {
    problems.push({ path: ['feeder', 'channel'], message: 'a channel cannot be fed from itself' });
  }
  problems.push(...duplicateVersions(channel.releases));
  if (channel.rollout) problems.push(...rolloutProblems(channel.rollout, ['rollout']));
  return problems;
}

/**
 * The release a rack following this channel should run: the channel's newest release that is not yanked.
 * Null when every release of the channel is yanked (or the channel is empty).
 */
export function channelTarget(catalog: Catalog, channel: Channel): Release | null {
  for (let index = channel.releases.length - 1; index >= 0; index--) {
    const release = catalog.get(channel.releases[index]!.version);
    if (release && !release.yanked) return release;
  }
  return null;
}
