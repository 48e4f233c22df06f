/**
 * Releases as commands use them: the channels source opened and checked as a whole, a channel found by
 * name, and a release's template fetched and verified against its digest before anything uses it.
 */
import type { AwsTarget } from '../aws/clients.js';
import type { Context } from '../context.js';
import { refused, usageError } from '../errors.js';
import type { Catalog, Release } from '../core/channels/catalog.js';
import type { Channel } from '../core/channels/channel.js';
import { parseChannelSource, type SourceFile } from '../core/channels/source.js';
import { sha256 } from '../core/digest.js';
import { parseMigrations, type Migration } from '../core/migrations.js';
import { templateLocation } from '../core/schemas.js';
import { findPackageRoot, openSource, type ChannelSource } from '../sources/source.js';
import { readTemplateAt } from './channelTemplate.js';
import {
  checkSignature,
  enforceTrust,
  freezeProblem,
  laterFileProblem,
  migrationProblems,
  type ChannelTrust,
} from './channelTrust.js';

export interface LoadedChannels {
  source: ChannelSource;
  catalog: Catalog;
  channels: ReadonlyMap<string, Channel>;
  migrations: Migration[];
  /** What the source's signature vouches for (docs/security.md); absent means unsigned (a hand-built source). */
  trust?: ChannelTrust;
  /** Loaded for a command that writes to a rack: every trust problem was refused, not warned about. */
  forWrite?: boolean;
}

export interface LoadOptions {
  /**
   * The command is about to write to a rack (install, update, rollback, sync, the dashboard's writes): a
   * source that cannot be trusted is refused (exit 3) instead of warned about.
   */
  forWrite?: boolean;
  /** A source opened already. */
  source?: ChannelSource;
}

export const CATALOG_FILE = 'catalog.yaml';

export async function openChannelsSource(ctx: Context): Promise<ChannelSource> {
  const source = await openSource(ctx.options.channels, {
    cwd: ctx.io.cwd,
    home: ctx.home,
    env: ctx.env,
    packageRoot: findPackageRoot(import.meta.url),
    now: () => ctx.clock.now(),
    debug: (message) => ctx.logger.debug(message),
  });
  for (const warning of source.warnings) ctx.events.emit({ type: 'warning', text: warning });
  return source;
}

/** A file of a source by the name messages use (channels/…, migrations/…), and its bytes. */
export interface SourceBytes {
  file: string;
  bytes: Buffer;
}

/** The file as the parsers take it. */
export const asText = ({ file, bytes }: SourceBytes): SourceFile => ({ file, text: bytes.toString('utf8') });

/** The files of a source that rack parses, and what its directories list. */
export interface SourceContent {
  /** The release catalog; undefined when the source has none. */
  catalog?: SourceBytes;
  /** Every other YAML file of the channels directory, one per channel. */
  channels: SourceBytes[];
  /** Every YAML file of the migrations directory. */
  migrations: SourceBytes[];
  /** Every name the channels and the migrations directories list, as the source gave them. */
  listed: { channels: string[]; migrations: string[] };
}

/**
 * The catalog, the channel files and the migrations of a source, read in parallel. A file listed but gone
 * by the time it is read reads as empty, and is reported as whatever that fails.
 */
export async function readSource(source: ChannelSource): Promise<SourceContent> {
  const isYaml = (name: string) => /\.ya?ml$/.test(name);
  const [catalog, channelListing, migrationListing] = await Promise.all([
    source.readChannelFile(CATALOG_FILE),
    source.listChannelFiles(),
    source.listMigrationFiles(),
  ]);
  const read = async (file: string, from: Promise<Buffer | undefined>): Promise<SourceBytes> => ({
    file,
    bytes: (await from) ?? Buffer.alloc(0),
  });
  const [channels, migrations] = await Promise.all([
    Promise.all(
      channelListing
        .filter((name) => isYaml(name) && name !== CATALOG_FILE)
        .map((name) => read(`channels/${name}`, source.readChannelFile(name))),
    ),
    Promise.all(
      migrationListing.filter(isYaml).map((name) => read(`migrations/${name}`, source.readMigrationFile(name))),
    ),
  ]);
  return {
    ...(catalog ? { catalog: { file: `channels/${CATALOG_FILE}`, bytes: catalog } } : {}),
    channels,
    migrations,
    listed: { channels: channelListing, migrations: migrationListing },
  };
}

/**
 * The channels source read and checked as a whole. Its integrity is checked before its content is parsed,
 * so that a file someone changed is reported as changed, not as whatever it now fails to parse.
 */
export async function loadChannels(ctx: Context, options: LoadOptions = {}): Promise<LoadedChannels> {
  const forWrite = options.forWrite ?? false;
  const source = options.source ?? (await openChannelsSource(ctx));
  const content = await readSource(source);
  const catalogFile = content.catalog;
  if (!catalogFile) {
    throw usageError(`The channels source ${source.description} has no ${CATALOG_FILE}.`, {
      next: 'Point --channels (or RACK_CHANNELS) at a channels directory, or create one with `rack channel publish`.',
    });
  }
  const all = [catalogFile, ...content.channels, ...content.migrations];
  const trust = await checkSignature(ctx, source, {
    files: new Map(all.map(({ file, bytes }) => [file, bytes])),
    listed: new Map([
      ['channels', content.listed.channels],
      ['migrations', content.listed.migrations],
    ]),
  });
  const before = [...trust.problems];
  const freeze = freezeProblem(ctx, source, trust);
  if (freeze) before.push(freeze);
  await enforceTrust(ctx, source, trust, before, forWrite, { remember: false });

  const { catalog, channels } = parseChannelSource({
    catalog: asText(catalogFile),
    channels: content.channels.map(asText),
  });
  const migrations = parseMigrations(content.migrations.map(asText), catalog);
  await enforceTrust(ctx, source, trust, migrationProblems(trust, catalog, content.migrations), forWrite);
  return { source, catalog, channels, migrations, trust, forWrite };
}

export function findChannel(loaded: LoadedChannels, name: string): Channel {
  const channel = loaded.channels.get(name);
  if (!channel) {
    throw usageError(`There is no channel named "${name}" in ${loaded.source.description}.`, {
      next: `Channels: ${[...loaded.channels.keys()].join(', ') || '(none)'}. See \`rack channels\`.`,
    });
  }
  return channel;
}

export interface ReleaseTemplate {
  body: string;
  sha256: string;
}

// The digest is core's (core/digest.ts); some services take it from here.

/**
 * The release's template bytes, refused (exit 3) unless they match the catalog's digest. `target` is the
 * rack it is for: an s3:// template is read with that rack's profile and region.
 */
export async function fetchReleaseTemplate(
  ctx: Context,
  loaded: LoadedChannels,
  release: Release,
  target?: AwsTarget,
): Promise<ReleaseTemplate> {
  const { bytes, digest } = await readTemplateBytes(ctx, loaded, release, target);
  if (digest !== release.sha256) {
    throw refused(`The template of release ${release.version} does not match its digest.`, {
      problems: [`${release.template}: sha256 is ${digest}, the catalog says ${release.sha256}`],
      untouched: 'Nothing was written to any stack.',
      next: 'Someone changed the template after it was published: restore it, or publish a new release. `rack channel verify` checks every digest.',
      details: { reason: 'digest-mismatch', version: release.version },
    });
  }
  return { body: bytes.toString('utf8'), sha256: digest };
}

/** The template's bytes and their digest, checked against the signed manifest when it lives in the source. */
async function readTemplateBytes(
  ctx: Context,
  loaded: LoadedChannels,
  release: Release,
  target: AwsTarget | undefined,
): Promise<{ bytes: Buffer; digest: string }> {
  const location = templateLocation(release.template);
  const read = typeof location === 'string' ? location : await readTemplateAt(ctx, loaded.source, location, target);
  if (typeof read === 'string') {
    throw refused(`The template of release ${release.version} cannot be read: ${read}.`, {
      untouched: 'Nothing was written to any stack.',
      next: "Check the release's template location in the catalog (`rack channel verify`).",
      details: { reason: 'template-missing', version: release.version },
    });
  }
  const digest = sha256(read);
  // A template inside the source is vouched for by the signed manifest too; one at a URL, by its digest alone.
  const { trust } = loaded;
  if (trust && typeof location !== 'string' && location.kind === 'path') {
    const problem = laterFileProblem(trust, `channels/${location.path}`, digest, read.length);
    // Refused for a write, a warning for a read; with a problem, enforceTrust never remembers the manifest.
    if (problem) {
      await enforceTrust(ctx, loaded.source, trust, [{ kind: 'file', text: problem }], loaded.forWrite ?? false);
    }
  }
  return { bytes: read, digest };
}
