/**
 * Where channels and migrations come from (docs/architecture.md, "Command contract", Sources): the channels/ directory bundled
 * with the package, a local directory named with --channels / RACK_CHANNELS, or a GitHub repository
 * (`github:owner/repo[/path][@ref]`). A source hands out raw files; src/core parses them. The
 * migrations of a source live in the `migrations/` directory beside its channels directory, and
 * sources never mix.
 */
import path from 'node:path';
import { parseSourceSpec, type ChannelSource, type OpenSourceOptions } from './channelSource.js';
import { openDirectorySource } from './directory.js';
import { packageVersion } from './packageRoot.js';

export {
  describeSpec,
  parseSourceSpec,
  type ChannelSource,
  type Env,
  type OpenSourceOptions,
  type SourceSpec,
} from './channelSource.js';
export { findPackageRoot } from './packageRoot.js';

/** The id (ChannelSource.id) of the local channels directory at an absolute path. */
export const directorySourceId = (channelsDir: string) => `dir:${channelsDir}`;

/**
 * Opens the source named by `spec` (--channels), else RACK_CHANNELS, else the bundled channels.
 * A GitHub source resolves its ref here, so a missing repository or an unreachable GitHub is reported
 * (or falls back to the cache, with a warning in `warnings`) before anything reads a file.
 */
export async function openSource(spec: string | undefined, options: OpenSourceOptions): Promise<ChannelSource> {
  const parsed = parseSourceSpec(spec?.trim() ? spec : options.env.RACK_CHANNELS);
  switch (parsed.kind) {
    case 'bundled': {
      const version = packageVersion(options.packageRoot);
      return openDirectorySource({
        kind: 'bundled',
        id: 'bundled',
        channelsDir: path.join(options.packageRoot, 'channels'),
        description: `channels/ bundled with rack${version ? ` ${version}` : ''}`,
      });
    }
    case 'local': {
      const channelsDir = path.resolve(options.cwd, parsed.dir);
      return openDirectorySource({
        kind: 'local',
        id: directorySourceId(channelsDir),
        channelsDir,
        description: channelsDir,
      });
    }
    case 'github': {
      // Octokit loads only for GitHub sources, so other commands start without it.
      const { openGitHubSource } = await import('./github.js');
      return openGitHubSource(parsed, options);
    }
  }
}
