/**
 * `rack channel verify`: everything a channels source promises, checked at once and every problem listed,
 * each as `<file>:<line>: <path>: <problem>`. The files (schema, fields, duplicates, channel releases in
 * the catalog, feeders), the migrations, each template's bytes against its digest and against the rack
 * template contract, the barriers (a yanked barrier needs a fix racks can stop at), the promotion history
 * (a release entered a fed channel after its soak, or is marked forced), and each migration against the
 * parameters of the templates on either side of it (and never writes a published value to a NoEcho one).
 * Then the signature: with RACK_CHANNEL_SIGNERS set, everything a rack would check before a write; without
 * it, whether the source is signed at all, and whether its manifest still matches its files.
 */
import type { Context } from '../context.js';
import { isRackError, refused, refusalCollector } from '../errors.js';
import { createCatalog, fixFor, readCatalogFile, type Catalog } from '../core/channels/catalog.js';
import { createChannel, readChannelFile } from '../core/channels/channel.js';
import { formatDuration } from '../core/channels/soak.js';
import { sha256 } from '../core/digest.js';
import { parseChannelSource, type SourceFile } from '../core/channels/source.js';
import { formatProblem, type Path, type YamlFile } from '../core/channels/yamlFile.js';
import { parseMigrations, readMigrationFile, secretLiteralProblems } from '../core/migrations.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from '../core/releaseManifest.js';
import { templateLocation, type CatalogFile, type ChannelFile, type MigrationChange } from '../core/schemas.js';
import { noEchoKeysOf, type RackTemplate } from '../core/template.js';
import { compareVersions } from '../core/versions.js';
import type { ChannelSource } from '../sources/source.js';
import { tooLargeProblem } from '../core/templateSize.js';
import { checkRackTemplate, readTemplateAt } from './channelTemplate.js';
import { checkSignature, migrationProblems, type ChannelTrust, type SourceRead } from './channelTrust.js';
import { asText, CATALOG_FILE, openChannelsSource, readSource, type SourceContent } from './releases.js';

export interface VerifyReport {
  source: string;
  releases: number;
  channels: number;
  migrations: number;
  /** Templates read and matched against their digests. */
  templates: number;
  signature: SignatureReport;
}

/** The source's signature as `rack channel verify` reports it (see ChannelTrust for the statuses). */
export interface SignatureReport {
  status: ChannelTrust['status'];
  /** The allowed signer and key, when verified. */
  signer?: string;
  key?: string;
  /** The manifest's version and expiry, when there is one that parses. */
  version?: number;
  expires?: string;
}

/**
 * Checks the source named by --channels (or the bundled one); refuses (exit 3) listing every problem.
 * `rack channel sign` checks everything but the signature it is about to replace (`signature: false`).
 */
export async function verifyChannels(ctx: Context, options: { signature?: boolean } = {}): Promise<VerifyReport> {
  const source = await openChannelsSource(ctx);
  const content = await readSource(source);
  const files = {
    catalog: content.catalog && asText(content.catalog),
    channels: content.channels.map(asText),
    migrations: content.migrations.map(asText),
  };
  const problems: string[] = [];
  const collect = refusalCollector(problems);

  // The files: each reported once, by the core's own reading of the source as a whole.
  if (files.catalog) collect(() => parseChannelSource({ catalog: files.catalog!, channels: files.channels }));
  else {
    problems.push(
      `channels/${CATALOG_FILE}: missing (a channels directory holds the release catalog beside its channel files)`,
    );
    for (const file of files.channels) collect(() => readChannelFile(file.text, file.file));
  }
  // The parts that read well on their own, for the checks that build on them (problems are reported above).
  const catalogYaml = files.catalog && quietly(() => readCatalogFile(files.catalog!.text, files.catalog!.file));
  const catalog = catalogYaml && quietly(() => createCatalog(catalogYaml.value.releases, catalogYaml.file));
  const channelYamls = files.channels.flatMap((file) => quietly(() => readChannelFile(file.text, file.file)) ?? []);

  if (catalog) collect(() => parseMigrations(files.migrations, catalog));
  else for (const file of files.migrations) collect(() => readMigrationFile(file.text, file.file));

  let templates = 0;
  let read = new Map<string, ReadTemplate>();
  if (catalogYaml && catalog) {
    read = await readTemplates(ctx, source, catalogYaml);
    templates = [...read.values()].filter((t) => t.template !== undefined).length;
    problems.push(...templateProblems(catalogYaml, read));
    problems.push(...barrierProblems(catalogYaml, catalog));
    problems.push(...promotionProblems(channelYamls, catalog));
    problems.push(...migrationTemplateProblems(files.migrations, catalog, read));
  }

  // The signature, and every file of the source against the manifest: after publish, promote or yank the
  // manifest is stale until the next `rack channel sign`, and this is where that shows.
  const trust: ChannelTrust =
    options.signature === false
      ? { status: 'unsigned', problems: [] }
      : await checkSignature(ctx, source, await wholeSource(source, content, read), { compareUnchecked: true });
  problems.push(...trust.problems.map((problem) => problem.text));
  if (catalog) problems.push(...migrationProblems(trust, catalog, content.migrations).map((problem) => problem.text));

  const report: VerifyReport = {
    source: source.description,
    releases: catalogYaml?.value.releases.length ?? 0,
    channels: files.channels.length,
    migrations: files.migrations.length,
    templates,
    signature: {
      status: trust.status,
      ...(trust.signer ? { signer: trust.signer, key: trust.key } : {}),
      ...(trust.manifest ? { version: trust.manifest.version, expires: trust.manifest.expires } : {}),
    },
  };
  if (problems.length > 0) {
    throw refused(`The channels source ${source.description} has ${count(problems.length, 'problem')}.`, {
      problems,
      untouched: 'Nothing was changed.',
      next: 'Fix each file and line listed, then run `rack channel verify` again.',
      details: { reason: 'invalid-source', ...report },
    });
  }
  return report;
}

/** "1 problem", "3 problems". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Every file of the source rack may read, for checking against the manifest: the channels directory, the
 * directories its templates are in, and the migrations. Dot files (editors' and rack's own temporary
 * files) and the manifest and its signature are not part of it.
 */
async function wholeSource(
  source: ChannelSource,
  content: SourceContent,
  templates: ReadonlyMap<string, ReadTemplate>,
): Promise<SourceRead> {
  const { catalog, channels, migrations } = content;
  const bytes = new Map([...(catalog ? [catalog] : []), ...channels, ...migrations].map((f) => [f.file, f.bytes]));
  for (const template of templates.values()) {
    if (template.path && template.bytes) bytes.set(`channels/${template.path}`, template.bytes);
  }
  const part = (name: string) => !name.startsWith('.') && name !== MANIFEST_FILE && name !== SIGNATURE_FILE;
  const listed = new Map<string, string[]>([
    ['channels', content.listed.channels.filter(part)],
    ['migrations', content.listed.migrations.filter(part)],
  ]);
  const templateDirs = new Set(
    [...templates.values()].flatMap((t) => (t.path?.includes('/') ? [t.path.slice(0, t.path.lastIndexOf('/'))] : [])),
  );
  for (const dir of templateDirs) listed.set(`channels/${dir}`, (await source.listChannelFiles(dir)).filter(part));
  for (const [dir, names] of listed) {
    for (const name of names) {
      const file = `${dir}/${name}`;
      if (bytes.has(file)) continue;
      const relative = file.slice(file.indexOf('/') + 1);
      const content =
        dir === 'migrations' ? await source.readMigrationFile(name) : await source.readChannelFile(relative);
      if (content) bytes.set(file, content);
    }
  }
  return { files: bytes, listed };
}

function quietly<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (isRackError(error) && error.kind === 'refused') return undefined;
    throw error;
  }
}

const at = (file: YamlFile<unknown>, path: Path, message: string) => formatProblem({ path, message }, file.where);

// ---- templates ----

interface ReadTemplate {
  /** Its path inside the channels directory, when it lives there, and its bytes. */
  path?: string;
  bytes?: Buffer;
  /** Why the bytes could not be read. */
  unreadable?: string;
  digest?: string;
  /** Its size in bytes. */
  size?: number;
  template?: RackTemplate;
  contract: string[];
}

/** Each release's template, by version: read, hashed and parsed. A few at a time, as URLs may be slow. */
async function readTemplates(
  ctx: Context,
  source: ChannelSource,
  catalog: YamlFile<CatalogFile>,
): Promise<Map<string, ReadTemplate>> {
  const read = new Map<string, ReadTemplate>();
  const queue = [...catalog.value.releases];
  const worker = async () => {
    for (let release = queue.shift(); release; release = queue.shift()) {
      const location = templateLocation(release.template);
      // The catalog was checked: its locations are valid.
      const bytes = typeof location === 'string' ? location : await readTemplateAt(ctx, source, location);
      if (typeof bytes === 'string') {
        read.set(release.version, { unreadable: bytes, contract: [] });
        continue;
      }
      const { template, problems } = checkRackTemplate(bytes.toString('utf8'), release.template);
      read.set(release.version, {
        ...(typeof location !== 'string' && location.kind === 'path' ? { path: location.path, bytes } : {}),
        digest: sha256(bytes),
        size: bytes.length,
        contract: problems,
        ...(template ? { template } : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return read;
}

function templateProblems(catalog: YamlFile<CatalogFile>, read: ReadonlyMap<string, ReadTemplate>): string[] {
  const problems: string[] = [];
  catalog.value.releases.forEach((release, index) => {
    const found = read.get(release.version)!;
    const path = ['releases', index];
    if (found.unreadable) {
      problems.push(at(catalog, [...path, 'template'], `cannot be read: ${found.unreadable}`));
      return;
    }
    if (found.digest !== release.sha256) {
      problems.push(
        at(catalog, [...path, 'sha256'], `does not match ${release.template}, whose sha256 is ${found.digest}`),
      );
    }
    const tooLarge = tooLargeProblem(release.template, found.size ?? 0);
    if (tooLarge) problems.push(at(catalog, [...path, 'template'], tooLarge));
    for (const problem of found.contract) {
      problems.push(at(catalog, [...path, 'template'], `${release.template} is not a rack template: ${problem}`));
    }
  });
  return problems;
}

// ---- barriers ----

/**
 * The barriers as upgrade paths will meet them: a yanked barrier needs a fix racks can stop at instead, and
 * that fix may not lie beyond the next barrier (one of the two stops would be skipped) unless it fixes both.
 */
function barrierProblems(catalogYaml: YamlFile<CatalogFile>, catalog: Catalog): string[] {
  const index = new Map(catalogYaml.value.releases.map((release, i) => [release.version, i]));
  const barriers = catalog.releases.filter((release) => release.barrier);
  const problems: string[] = [];
  barriers.forEach((barrier, i) => {
    if (!barrier.yanked) return;
    const path = ['releases', index.get(barrier.version)!, 'yanked'];
    const fix = fixFor(catalog, barrier);
    if (!fix) {
      problems.push(
        at(
          catalogYaml,
          path,
          `the barrier ${barrier.version} is yanked with no fixed release (fixedIn), so racks below it cannot update past it`,
        ),
      );
      return;
    }
    const next = barriers[i + 1];
    if (next && compareVersions(fix.version, next.version) > 0 && fixFor(catalog, next)?.version !== fix.version) {
      problems.push(
        at(
          catalogYaml,
          path,
          `the barrier ${barrier.version} is fixed in ${fix.version}, beyond the next barrier ${next.version}, so racks would skip one of the two stops`,
        ),
      );
    }
  });
  return problems;
}

// ---- promotion history ----

/** Each release of a fed channel was in its feeder, and entered after soaking there, unless marked forced. */
function promotionProblems(files: readonly YamlFile<ChannelFile>[], catalog: Catalog): string[] {
  const byName = new Map(files.map((file) => [file.value.name, createChannel(file.value)]));
  const problems: string[] = [];
  for (const file of files) {
    const feed = file.value.feeder;
    const feeder = feed && byName.get(feed.channel);
    if (!feed || !feeder) continue;
    const soakMs = byName.get(file.value.name)!.feeder!.soakMs;
    file.value.releases.forEach((release, index) => {
      // A release the catalog lacks is reported as such already.
      if (release.forced || !catalog.get(release.version)) return;
      const path = ['releases', index];
      const fed = feeder.get(release.version);
      if (!fed) {
        problems.push(
          at(
            file,
            [...path, 'version'],
            `${release.version} is not in ${feeder.name}, which ${file.value.name} is promoted from (mark it forced: true if it was put here by hand)`,
          ),
        );
        return;
      }
      const early = Date.parse(fed.entered) + soakMs - Date.parse(release.entered);
      if (early > 0) {
        problems.push(
          at(
            file,
            [...path, 'entered'],
            `${release.version} entered ${file.value.name} ${formatDuration(early)} before its ${feed.soak} in ${feeder.name} was over, and is not marked forced: true`,
          ),
        );
      }
    });
  }
  return problems;
}

// ---- migrations against templates ----

/**
 * A migration moves parameters from the release before it to its own: what it adds, sets or renames to
 * must be a parameter of its release's template and not of the one before; what it removes or renames
 * from, the other way round. And it may not write a literal value to a parameter either template
 * declares NoEcho: that would publish the secret.
 */
function migrationTemplateProblems(
  files: readonly SourceFile[],
  catalog: Catalog,
  read: ReadonlyMap<string, ReadTemplate>,
): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const migration = quietly(() => readMigrationFile(file.text, file.file));
    const release = migration && catalog.get(migration.value.version);
    if (!migration || !release) continue;
    const after = read.get(release.version)?.template;
    const beforeRelease = [...catalog.releases].reverse().find((r) => compareVersions(r.version, release.version) < 0);
    const before = beforeRelease && read.get(beforeRelease.version)?.template;
    const noEcho = new Set(noEchoKeysOf([...(after?.parameters ?? []), ...(before?.parameters ?? [])]));
    for (const problem of secretLiteralProblems(migration.value.changes, noEcho)) {
      problems.push(at(migration, problem.path, problem.message));
    }
    migration.value.changes.forEach((change, index) => {
      for (const { field, key, in: side } of keysOf(change)) {
        const check = (template: RackTemplate | undefined, version: string | undefined, wanted: boolean) => {
          if (!template || version === undefined) return;
          const declared = template.parameters.some((parameter) => parameter.key === key);
          if (declared === wanted) return;
          problems.push(
            at(
              migration,
              ['changes', index, change.kind, field],
              `${key} is ${wanted ? 'not ' : ''}a parameter of the ${version} template`,
            ),
          );
        };
        check(after, release.version, side !== 'before');
        check(before, beforeRelease?.version, side !== 'after');
      }
    });
  }
  return problems;
}

/** The keys a change names, and on which side of the release each must exist: before it, after it or both. */
function keysOf(change: MigrationChange): { field: string; key: string; in: 'before' | 'after' | 'both' }[] {
  switch (change.kind) {
    case 'rename':
      return [
        { field: 'from', key: change.from, in: 'before' },
        { field: 'to', key: change.to, in: 'after' },
      ];
    case 'add':
      return [{ field: 'key', key: change.key, in: 'after' }];
    case 'remove':
      return [{ field: 'key', key: change.key, in: 'before' }];
    case 'set':
      return [{ field: 'key', key: change.key, in: 'both' }];
  }
}
