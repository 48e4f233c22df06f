/**
 * Releases as commands use them: the channels source opened and checked as a whole, a channel found by
 * name, and a release's template fetched and verified against its digest before anything uses it.
 */
import { createHash } from 'node:crypto';
import type { Context } from '../context.js';
import { refused, usageError } from '../errors.js';
import type { Catalog, Release } from '../core/channels/catalog.js';
import type { Channel } from '../core/channels/channel.js';
import { parseChannelSource } from '../core/channels/source.js';
import { parseMigration, type Migration } from '../core/migrations.js';
import { templateLocation } from '../core/schemas.js';
import { findPackageRoot, openSource, type ChannelSource } from '../sources/source.js';
import { readTemplateAt } from './channelTemplate.js';

export interface LoadedChannels {
  source: ChannelSource;
  catalog: Catalog;
  channels: ReadonlyMap<string, Channel>;
  migrations: Migration[];
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

export async function loadChannels(ctx: Context, source?: ChannelSource): Promise<LoadedChannels> {
  source ??= await openChannelsSource(ctx);
  const catalogText = await source.readChannelFile(CATALOG_FILE);
  if (!catalogText) {
    throw usageError(`The channels source ${source.description} has no ${CATALOG_FILE}.`, {
      next: 'Point --channels (or RACK_CHANNELS) at a channels directory, or create one with `rack channel publish`.',
    });
  }
  const channelNames = (await source.listChannelFiles()).filter(
    (name) => /\.ya?ml$/.test(name) && name !== CATALOG_FILE,
  );
  const channelFiles = await Promise.all(
    channelNames.map(async (name) => ({
      file: `channels/${name}`,
      text: (await source.readChannelFile(name))!.toString('utf8'),
    })),
  );
  const { catalog, channels } = parseChannelSource({
    catalog: { file: `channels/${CATALOG_FILE}`, text: catalogText.toString('utf8') },
    channels: channelFiles,
  });
  const migrationNames = (await source.listMigrationFiles()).filter((name) => /\.ya?ml$/.test(name));
  const migrations = await Promise.all(
    migrationNames.map(async (name) =>
      parseMigration((await source.readMigrationFile(name))!.toString('utf8'), `migrations/${name}`),
    ),
  );
  return { source, catalog, channels, migrations };
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

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** The release's template bytes, refused (exit 3) unless they match the catalog's digest. */
export async function fetchReleaseTemplate(
  ctx: Context,
  loaded: LoadedChannels,
  release: Release,
): Promise<ReleaseTemplate> {
  const bytes = await readTemplateBytes(ctx, loaded.source, release);
  const digest = sha256(bytes);
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

async function readTemplateBytes(ctx: Context, source: ChannelSource, release: Release): Promise<Buffer> {
  const location = templateLocation(release.template);
  const read = typeof location === 'string' ? location : await readTemplateAt(ctx, source, location);
  if (typeof read !== 'string') return read;
  throw refused(`The template of release ${release.version} cannot be read: ${read}.`, {
    untouched: 'Nothing was written to any stack.',
    next: "Check the release's template location in the catalog (`rack channel verify`).",
    details: { reason: 'template-missing', version: release.version },
  });
}
