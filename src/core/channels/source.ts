import { refused, refusalCollector } from '../../errors.js';
import { createCatalog, readCatalogFile, type Catalog } from './catalog.js';
import { createChannel, readChannelFile, type Channel } from './channel.js';
import { formatProblem, type Path, type YamlFile } from './yamlFile.js';
import type { ChannelFile } from '../schemas.js';

/** The text of one file of a source, and the name it is shown under ("channels/stable.yaml"). */
export interface SourceFile {
  file: string;
  text: string;
}

/** A channels directory, read and checked as a whole. */
export interface ChannelSource {
  catalog: Catalog;
  channels: ReadonlyMap<string, Channel>;
}

/**
 * Reads the catalog and every channel file, and checks them against each other: each channel release is in
 * the catalog, each feeder is a channel, and no channel feeds itself through others. Every problem of every
 * file is reported in one refusal, so that one `rack channel verify` shows them all.
 */
export function parseChannelSource(input: { catalog: SourceFile; channels: readonly SourceFile[] }): ChannelSource {
  const problems: string[] = [];
  const collect = refusalCollector(problems);
  const catalogFile = collect(() => readCatalogFile(input.catalog.text, input.catalog.file));
  const catalog = catalogFile && collect(() => createCatalog(catalogFile.value.releases, input.catalog.file));
  const channelFiles = input.channels.flatMap(
    (source) => collect(() => readChannelFile(source.text, source.file)) ?? [],
  );

  problems.push(...crossProblems(catalog, channelFiles));
  if (problems.length > 0 || !catalog) {
    throw refused('The channels source is not valid.', {
      problems,
      untouched: 'Nothing was changed.',
      next: 'Fix the files listed; `rack channel verify` checks them again.',
      details: { reason: 'invalid-source' },
    });
  }
  return {
    catalog,
    channels: new Map(channelFiles.map((file) => [file.value.name, createChannel(file.value)])),
  };
}

function crossProblems(catalog: Catalog | undefined, files: readonly YamlFile<ChannelFile>[]): string[] {
  const problems: string[] = [];
  const report = (file: YamlFile<ChannelFile>, path: Path, message: string) =>
    problems.push(formatProblem({ path, message }, file.where));
  const byName = new Map<string, YamlFile<ChannelFile>>();
  for (const file of files) {
    const other = byName.get(file.value.name);
    if (other) report(file, ['name'], `the channel ${file.value.name} is also defined in ${other.file}`);
    else byName.set(file.value.name, file);
  }
  for (const file of files) {
    file.value.releases.forEach((release, index) => {
      if (catalog && !catalog.get(release.version)) {
        report(file, ['releases', index, 'version'], `${release.version} is not a release of the catalog`);
      }
    });
    const feeder = file.value.feeder?.channel;
    if (feeder === undefined || feeder === file.value.name) continue;
    if (!byName.has(feeder)) report(file, ['feeder', 'channel'], `there is no channel named ${feeder}`);
    else {
      const loop = feederLoop(file.value.name, byName);
      if (loop) report(file, ['feeder', 'channel'], `the feeders form a loop: ${loop.join(' → ')}`);
    }
  }
  return problems;
}

/** The loop of feeders starting at `name`, if following feeders from it comes back to it. */
function feederLoop(name: string, byName: ReadonlyMap<string, YamlFile<ChannelFile>>): string[] | null {
  const seen = [name];
  let current = byName.get(name)?.value.feeder?.channel;
  while (current !== undefined && !seen.includes(current)) {
    seen.push(current);
    current = byName.get(current)?.value.feeder?.channel;
  }
  return current === name ? [...seen, name] : null;
}
