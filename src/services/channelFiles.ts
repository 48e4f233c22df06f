/**
 * The channels directory as the release tools (`rack channel publish|promote|yank`) edit it: only a local
 * directory named with --channels or RACK_CHANNELS, never the copy bundled with rack nor GitHub. Files are
 * edited through their parsed YAML documents, so comments and order survive, the result is checked as a
 * whole before anything is written, and each file is replaced atomically.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, Scalar, type Document, type Node, type YAMLSeq } from 'yaml';
import type { Context } from '../context.js';
import { busy, internalError, isRackError, refused, usageError } from '../errors.js';
import { readCatalogFile } from '../core/channels/catalog.js';
import { readChannelFile } from '../core/channels/channel.js';
import { parseChannelSource, type ChannelSource as ChannelModel } from '../core/channels/source.js';
import type { YamlFile } from '../core/channels/yamlFile.js';
import { isoSeconds } from '../core/isoTime.js';
import type { CatalogFile, ChannelFile } from '../core/schemas.js';
import { compareVersions } from '../core/versions.js';
import { describeSpec, findPackageRoot, parseSourceSpec } from '../sources/source.js';
import { CATALOG_FILE } from './releases.js';

export interface EditableFile<T> {
  /** The file's name inside the channels directory, e.g. "stable.yaml". */
  name: string;
  yaml: YamlFile<T>;
  /** Not on disk yet: part of a channels directory being created. */
  created: boolean;
  /** The text as read (undefined when created), to notice someone else's edit before writing. */
  original?: string;
}

export interface EditableChannels {
  /** Absolute path of the channels directory. */
  dir: string;
  /** The directory had no channels yet: its files are created by the first save. */
  created: boolean;
  catalog: EditableFile<CatalogFile>;
  /** By channel name. */
  channels: ReadonlyMap<string, EditableFile<ChannelFile>>;
  /** The files read and checked as a whole. */
  model: ChannelModel;
}

/** A file written beside the YAML files, such as a template copied into templates/. */
export interface ExtraFile {
  /** Relative to the channels directory, e.g. "templates/rack-1.5.0.yaml". */
  name: string;
  bytes: Buffer;
}

/**
 * The local channels directory the command may write to. Refuses (exit 2) the bundled channels and GitHub
 * before anything is read, so a release tool never edits an installed package or talks to GitHub.
 */
export function writableChannelsDir(ctx: Context, command: string): string {
  const spec = parseSourceSpec(ctx.options.channels);
  const refuse = (where: string, next: string) =>
    usageError(`\`rack channel ${command}\` writes only to a local channels directory, not to ${where}.`, {
      untouched: 'No channel was changed.',
      next,
      details: { reason: 'not-writable', source: describeSpec(spec) },
    });
  if (spec.kind === 'github') {
    throw refuse(
      `the GitHub source ${describeSpec(spec)}`,
      'Clone the repository, pass --channels <clone>/<channels dir> (or set RACK_CHANNELS), then commit and push the change.',
    );
  }
  const passDir =
    'Pass --channels <dir> (or set RACK_CHANNELS) naming your own channels directory, e.g. in a clone of your channels repository.';
  if (spec.kind === 'bundled') throw refuse('the channels bundled with rack', passDir);
  const dir = path.resolve(ctx.io.cwd, spec.dir);
  if (isInstalledBundle(dir)) throw refuse(`the channels bundled with rack (${dir})`, passDir);
  return dir;
}

/** The channels/ of an installed rack package: editing it would be lost on the next install. */
function isInstalledBundle(dir: string): boolean {
  const root = findPackageRoot(import.meta.url);
  return root.split(path.sep).includes('node_modules') && path.resolve(root, 'channels') === dir;
}

/**
 * Reads the channels directory for editing and checks it as a whole (exit 3 listing every problem). With
 * `create`, a missing or empty directory is a new one: a catalog, `unstable`, and `stable` fed from it.
 */
export async function openEditableChannels(
  ctx: Context,
  command: string,
  options: { create?: boolean } = {},
): Promise<EditableChannels> {
  const dir = writableChannelsDir(ctx, command);
  const existing = await existingYamlFiles(dir);
  if (existing === null || existing.length === 0) {
    if (!options.create) {
      throw usageError(`The channels directory ${dir} has no ${CATALOG_FILE}.`, {
        untouched: 'No channel was changed.',
        next: 'Check --channels (or RACK_CHANNELS); `rack channel publish` creates a channels directory with its first release.',
      });
    }
    return editable(dir, true, NEW_SOURCE);
  }
  if (!existing.includes(CATALOG_FILE)) {
    throw refused(`The channels directory ${dir} has channel files but no ${CATALOG_FILE}.`, {
      untouched: 'No channel was changed.',
      next: `Restore ${CATALOG_FILE} (every release there is), or name another directory with --channels.`,
    });
  }
  const texts: Record<string, string> = {};
  for (const name of existing) texts[name] = await fs.readFile(path.join(dir, name), 'utf8');
  return editable(dir, false, texts);
}

/** The files a new channels directory starts with. */
const NEW_SOURCE: Readonly<Record<string, string>> = {
  [CATALOG_FILE]: [
    '# The release catalog: every release of the rack template there is, whatever channel it is in.',
    '# A release is never deleted: a bad one is yanked (it stays, with the reason and its fix).',
    'schema: 1',
    'releases: []',
    '',
  ].join('\n'),
  'unstable.yaml': [
    '# Every release enters unstable as soon as it is published (`rack channel publish`).',
    'schema: 1',
    'name: unstable',
    'description: Every release as soon as it is published; for staging racks.',
    'releases: []',
    '',
  ].join('\n'),
  'stable.yaml': [
    '# Releases reach stable after soaking in unstable for 7 days (`rack channel promote <version> --to stable`).',
    'schema: 1',
    'name: stable',
    'description: Releases that ran on unstable for at least 7 days; for production racks.',
    'feeder:',
    '  channel: unstable',
    '  soak: 7d',
    'releases: []',
    '',
  ].join('\n'),
};

function editable(dir: string, created: boolean, texts: Readonly<Record<string, string>>): EditableChannels {
  const label = (name: string) => `channels/${name}`;
  const model = parseChannelSource({
    catalog: { file: label(CATALOG_FILE), text: texts[CATALOG_FILE]! },
    channels: Object.entries(texts)
      .filter(([name]) => name !== CATALOG_FILE)
      .map(([name, text]) => ({ file: label(name), text })),
  });
  const original = (name: string) => (created ? undefined : texts[name]);
  const catalog = {
    name: CATALOG_FILE,
    yaml: readCatalogFile(texts[CATALOG_FILE]!, label(CATALOG_FILE)),
    created,
    original: original(CATALOG_FILE),
  };
  const channels = new Map<string, EditableFile<ChannelFile>>();
  for (const [name, text] of Object.entries(texts)) {
    if (name === CATALOG_FILE) continue;
    const yaml = readChannelFile(text, label(name));
    channels.set(yaml.value.name, { name, yaml, created, original: original(name) });
  }
  return { dir, created, catalog, channels, model };
}

/** YAML files directly in the directory; null when the directory does not exist. */
async function existingYamlFiles(dir: string): Promise<string[] | null> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR')
      throw usageError(`The channels source ${dir} is a file, not a directory.`, {
        next: 'Check --channels (or RACK_CHANNELS).',
      });
    throw error;
  }
  const files = await Promise.all(
    names
      .filter((name) => /\.ya?ml$/.test(name))
      .map(async (name) => ((await fs.stat(path.join(dir, name)).catch(() => undefined))?.isFile() ? name : undefined)),
  );
  return files.filter((name): name is string => name !== undefined).sort();
}

/** The bytes of a file in the channels directory; undefined when it is not there. */
export async function readExisting(editable: EditableChannels, name: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(path.join(editable.dir, ...name.split('/')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes the edited files (and the new ones of a created directory), after checking that the channels they
 * make up are still valid. Extra files go first, so that the catalog never names a template not yet there;
 * then the catalog, so that no channel names a release the catalog lacks.
 */
export async function saveChannels(
  editable: EditableChannels,
  edited: readonly EditableFile<unknown>[],
  extra: readonly ExtraFile[] = [],
): Promise<void> {
  const all = [editable.catalog, ...editable.channels.values()] as EditableFile<unknown>[];
  const textOf = (file: EditableFile<unknown>) => file.yaml.document.toString({ lineWidth: 0 });
  checkStillValid(editable, textOf);
  const writes = all.filter((file) => file.created || edited.includes(file));
  await fs.mkdir(editable.dir, { recursive: true });
  await withEditLock(editable.dir, async () => {
    // Two people publishing at once must not lose an edit: each file must still be as this command read it.
    for (const file of writes) {
      const now = await fs.readFile(path.join(editable.dir, file.name), 'utf8').catch(() => undefined);
      if (now !== file.original) {
        throw busy(`channels/${file.name} changed while this command ran: someone else edited the channels.`, {
          untouched: 'No channel was changed.',
          next: 'Run the command again; it starts from the files as they are now.',
        });
      }
    }
    for (const file of extra) await writeAtomically(path.join(editable.dir, ...file.name.split('/')), file.bytes);
    for (const file of writes) await writeAtomically(path.join(editable.dir, file.name), textOf(file));
  });
}

const EDIT_LOCK = '.rack-edit.lock';
/** A lock older than this was left by a crashed process (a save takes milliseconds). */
const EDIT_LOCK_STALE_MS = 30_000;

/** One save at a time in a channels directory, across processes. */
async function withEditLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, EDIT_LOCK);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await (await fs.open(lock, 'wx')).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const stat = await fs.stat(lock).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > EDIT_LOCK_STALE_MS) await fs.rm(lock, { force: true });
      if (Date.now() > deadline) {
        throw busy(`Another rack process is saving the channels in ${dir}.`, {
          untouched: 'No channel was changed.',
          next: `Try again; if no rack process is running, delete ${lock}.`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

function checkStillValid(editable: EditableChannels, textOf: (file: EditableFile<unknown>) => string): void {
  try {
    parseChannelSource({
      catalog: { file: editable.catalog.yaml.file, text: textOf(editable.catalog) },
      channels: [...editable.channels.values()].map((file) => ({ file: file.yaml.file, text: textOf(file) })),
    });
  } catch (error) {
    if (!isRackError(error)) throw error;
    // Every request was checked before editing: a file made invalid here is rack's own mistake.
    throw internalError('The edited channel files would not be valid; nothing was written.', {
      problems: error.problems,
      untouched: 'No channel was changed.',
      next: 'Report this, with the command you ran.',
    });
  }
}

/** Temp file and rename in the same directory: a reader sees the old file or the new one, never half of one. */
export async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await fs.writeFile(temp, content);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

// ---- editing the documents ----

/** The `releases` list of a catalog or channel document. */
function releasesList(document: Document): YAMLSeq {
  const releases = document.get('releases', true);
  if (!isSeq(releases)) throw internalError('A checked channel file has no releases list.');
  return releases;
}

/** The catalog entry of a version, to edit in place. */
export function releaseNode(document: Document, version: string) {
  const node = releasesList(document).items.find((item) => isMap(item) && item.get('version') === version);
  if (!isMap(node)) throw internalError(`The catalog has no entry for ${version}.`);
  return node;
}

/**
 * Adds an entry to a `releases` list, keeping the list in version order: after the last older version, so
 * comments above the entries stay with the entries they were written for.
 */
export function insertRelease(document: Document, entry: Record<string, unknown>, version: string): void {
  const releases = releasesList(document);
  const node = document.createNode(entry) as Node;
  quoteTexts(node);
  const index = releases.items.findIndex(
    (item) => isMap(item) && compareVersions(String(item.get('version')), version) > 0,
  );
  if (index === -1) releases.items.push(node);
  else releases.items.splice(index, 0, node);
  // `releases: []` of a new file becomes a block list like the others.
  releases.flow = false;
}

export function createNode(document: Document, value: Record<string, unknown>): Node {
  const node = document.createNode(value) as Node;
  quoteTexts(node);
  return node;
}

const QUOTED = new Set(['published', 'entered', 'at', 'notes']);

/**
 * Times are quoted as in the shipped files: a YAML 1.1 reader would turn them into dates. Notes are quoted
 * too, so text such as "Fixes: x" stays text.
 */
function quoteTexts(node: Node): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (isScalar(pair.value) && typeof key === 'string' && QUOTED.has(key)) pair.value.type = Scalar.QUOTE_DOUBLE;
    else if (isMap(pair.value)) quoteTexts(pair.value);
  }
}

/** Now, as the files write times: ISO, UTC, whole seconds. */
export function isoNow(ctx: Context): string {
  return isoSeconds(ctx.clock.now());
}
