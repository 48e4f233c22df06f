/**
 * The release tools: publish a release into `unstable`, promote it along the channels, yank a bad one.
 * Each reads the local channels directory as a whole, refuses before writing anything when the request or
 * the directory is wrong, edits the YAML documents in place (comments and order kept), checks the result
 * and writes each file atomically. Nothing is ever deleted: a bad release is yanked and stays.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { refused, usageError } from '../errors.js';
import { checkPromotion, soakRemaining } from '../core/channels/soak.js';
import { sha256 } from '../core/digest.js';
import { templateLocation } from '../core/schemas.js';
import { compareVersions, parseVersion } from '../core/versions.js';
import {
  createNode,
  insertRelease,
  isoNow,
  openEditableChannels,
  readExisting,
  releaseNode,
  saveChannels,
  type EditableChannels,
  type ExtraFile,
} from './channelFiles.js';
import { tooLargeProblem } from '../core/templateSize.js';
import { checkRackTemplate, readTemplateAt } from './channelTemplate.js';
import { publishedMigration } from './publishedMigration.js';
import { noEchoKeysOf, type RackTemplate } from '../core/template.js';

const UNTOUCHED = 'No channel was changed.';
const PUBLISH_CHANNEL = 'unstable';

// ---- publish ----

export interface PublishRequest {
  version: string;
  /** A local file, or an https:// or s3:// URL. */
  template: string;
  barrier?: boolean;
  notes?: string;
  minCli?: string;
}

export interface Published {
  version: string;
  channel: string;
  /** The template location written in the catalog. */
  template: string;
  sha256: string;
  published: string;
  barrier: boolean;
  notes: string;
  minCli?: string;
  /** The channels directory. */
  dir: string;
  /** The directory was new: its catalog and channel files were created. */
  created: string[];
  /** The local template was copied here (relative to the channels directory); absent when it was there already. */
  copiedTo?: string;
  /** The release's migration, whose digest the catalog now records (e.g. "migrations/1.5.0.yaml"). */
  migrationFile?: string;
  migration?: { sha256: string };
}

export async function publishRelease(ctx: Context, request: PublishRequest): Promise<Published> {
  const version = parseVersion(request.version);
  const minCli =
    request.minCli === undefined ? undefined : parseVersion(request.minCli, 'minimum rack version (--min-cli)');
  const channels = await openEditableChannels(ctx, 'publish', { create: true });
  const existing = channels.model.catalog.get(version);
  if (existing) {
    throw refused(`${version} is already published (${existing.published}); a published release is never replaced.`, {
      untouched: UNTOUCHED,
      next: `Publish the change as a new version; if ${version} is bad, yank it with \`rack channel yank ${version} --reason <text>\`.`,
      details: { reason: 'already-published', version },
    });
  }
  const unstable = channels.channels.get(PUBLISH_CHANNEL);
  if (!unstable) {
    throw refused(
      `The channels directory ${channels.dir} has no ${PUBLISH_CHANNEL} channel, which every release enters first.`,
      {
        untouched: UNTOUCHED,
        next: `Add ${PUBLISH_CHANNEL}.yaml (schema: 1, name: ${PUBLISH_CHANNEL}, description, releases: []) and publish again.`,
      },
    );
  }

  const template = await publishedTemplate(ctx, channels, version, request.template);
  const migration = await publishedMigration(channels.dir, version, template.noEcho);
  const release = {
    version,
    template: template.location,
    sha256: template.sha256,
    ...(migration ? { migration: { sha256: migration.sha256 } } : {}),
    published: isoNow(ctx),
    notes: request.notes ?? '',
    ...(request.barrier ? { barrier: true } : {}),
    ...(minCli ? { minCli } : {}),
  };
  insertRelease(channels.catalog.yaml.document, release, version);
  insertRelease(unstable.yaml.document, { version, entered: release.published }, version);
  warnIfOlder(ctx, channels, version);
  await saveChannels(channels, [channels.catalog, unstable], template.copy ? [template.copy] : []);
  return {
    ...release,
    barrier: release.barrier ?? false,
    channel: PUBLISH_CHANNEL,
    dir: channels.dir,
    created: channels.created ? [channels.catalog, ...channels.channels.values()].map((file) => file.name) : [],
    ...(template.copy ? { copiedTo: template.copy.name } : {}),
    ...(migration ? { migrationFile: migration.file } : {}),
  };
}

interface PublishedTemplate {
  /** As written in the catalog. */
  location: string;
  sha256: string;
  /** Its NoEcho parameters, which the release's migration may not give a published value. */
  noEcho: ReadonlySet<string>;
  copy?: ExtraFile;
}

/**
 * The template a release is published with: a URL stays where it is (its bytes are fetched for the digest),
 * a local file is copied into the channels directory, so the source stays self-contained.
 */
async function publishedTemplate(
  ctx: Context,
  channels: EditableChannels,
  version: string,
  given: string,
): Promise<PublishedTemplate> {
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  let bytes: Buffer;
  if (remote) {
    const location = templateLocation(given);
    if (typeof location === 'string' || location.kind === 'path') {
      throw usageError(`The template ${given} is neither a local file nor an https:// or s3:// URL.`, {
        untouched: UNTOUCHED,
        next: 'Give a path to the template file, or its https:// or s3:// URL.',
      });
    }
    const read = await readTemplateAt(ctx, undefined, location);
    if (typeof read === 'string') {
      throw refused(`The template cannot be read: ${read}.`, {
        untouched: UNTOUCHED,
        next: 'Check the URL and your access to it, then publish again.',
        details: { reason: 'template-unreadable', template: given },
      });
    }
    bytes = read;
  } else {
    bytes = await readLocalTemplate(path.resolve(ctx.io.cwd, given));
  }

  requireSendableSize(bytes, given, version);
  const { parameters } = requireRackTemplate(bytes, given, version);
  const noEcho = new Set(noEchoKeysOf(parameters));
  const digest = sha256(bytes);
  if (remote) return { location: given, sha256: digest, noEcho };
  const name = `templates/rack-${version}.yaml`;
  const there = await readExisting(channels, name);
  if (there && !there.equals(bytes)) {
    throw refused(`${name} already exists in ${channels.dir} with other content than ${given}.`, {
      untouched: UNTOUCHED,
      next: `A file there may belong to another release: remove ${name} if it is a leftover, or check which template you meant.`,
      details: { reason: 'template-exists', file: name },
    });
  }
  return { location: name, sha256: digest, noEcho, ...(there ? {} : { copy: { name, bytes } }) };
}

async function readLocalTemplate(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw error;
    throw usageError(`The template ${file} ${code === 'EISDIR' ? 'is a directory' : 'does not exist'}.`, {
      untouched: UNTOUCHED,
      next: 'Give the path of the template file with --template, or its https:// or s3:// URL.',
    });
  }
}

/** A release CloudFormation could never be given would only be found out at the first install or update. */
function requireSendableSize(bytes: Buffer, given: string, version: string): void {
  const tooLarge = tooLargeProblem(`The template ${given}`, bytes.length);
  if (!tooLarge) return;
  throw refused(`${tooLarge}, so ${version} cannot be published with it.`, {
    untouched: UNTOUCHED,
    next: 'Make the template smaller (nested stacks, fewer comments), then publish again.',
    details: { reason: 'template-too-large', template: given, bytes: bytes.length },
  });
}

function requireRackTemplate(bytes: Buffer, given: string, version: string): RackTemplate {
  const { template, problems } = checkRackTemplate(bytes.toString('utf8'), given);
  if (template && problems.length === 0) return template;
  throw refused(`The template ${given} is not a rack template, so ${version} cannot be published with it.`, {
    problems,
    untouched: UNTOUCHED,
    next: 'Fix the template: see "The rack template contract" (Version and Key parameters, one auto-scaling group, SettingsBucket and EncryptionKey outputs).',
    details: { reason: 'not-a-rack-template', template: given },
  });
}

function warnIfOlder(ctx: Context, channels: EditableChannels, version: string): void {
  const newest = channels.model.catalog.releases.at(-1);
  if (newest && compareVersions(version, newest.version) < 0) {
    ctx.events.emit({
      type: 'warning',
      text: `${version} is older than the newest release ${newest.version}: racks following ${PUBLISH_CHANNEL} stay on its newest release; name ${version} with --version to install it.`,
    });
  }
}

// ---- promote ----

export interface PromoteRequest {
  version: string;
  to: string;
  force?: boolean;
}

export interface Promoted {
  version: string;
  channel: string;
  /** When it entered the channel (now, or earlier when it was there already). */
  entered: string;
  outcome: 'promoted' | 'already-there';
  /** Promoted before its soak period was over (with --force). */
  forced: boolean;
  /** How much of the soak period was left when it was forced, in milliseconds. */
  soakLeftMs: number;
  feeder?: string;
}

export async function promoteRelease(ctx: Context, request: PromoteRequest): Promise<Promoted> {
  const version = parseVersion(request.version);
  const channels = await openEditableChannels(ctx, 'promote');
  const target = channels.channels.get(request.to);
  const channel = channels.model.channels.get(request.to);
  if (!target || !channel) {
    throw usageError(`There is no channel named "${request.to}" in ${channels.dir}.`, {
      untouched: UNTOUCHED,
      next: `Channels: ${[...channels.channels.keys()].join(', ') || '(none)'}. See \`rack channels\`.`,
    });
  }
  const release = channels.model.catalog.get(version);
  if (!release) {
    throw refused(`${version} is not a release of the catalog.`, {
      untouched: UNTOUCHED,
      next: 'Publish it first with `rack channel publish`; `rack releases` lists the releases there are.',
      details: { reason: 'unknown-version', version },
    });
  }
  if (release.yanked) {
    throw refused(`${version} is yanked (${release.yanked.reason}) and cannot be promoted.`, {
      untouched: UNTOUCHED,
      next: release.yanked.fixedIn
        ? `Promote its fix ${release.yanked.fixedIn} instead.`
        : 'Publish a fixed release and promote that.',
      details: { reason: 'yanked', version },
    });
  }
  const feederName = channel.feeder?.channel;
  const already = channel.get(version);
  if (already) {
    return {
      version,
      channel: channel.name,
      entered: already.entered,
      outcome: 'already-there',
      forced: already.forced,
      soakLeftMs: 0,
      ...(feederName ? { feeder: feederName } : {}),
    };
  }
  const now = ctx.clock.now();
  const feeder = feederName === undefined ? undefined : channels.model.channels.get(feederName);
  const soakLeftMs = soakRemaining(channel, feeder, version, now);
  checkPromotion(channel, feeder, version, now, { force: request.force });
  const forced = soakLeftMs > 0;
  const entered = isoNow(ctx);
  insertRelease(target.yaml.document, { version, entered, ...(forced ? { forced: true } : {}) }, version);
  await saveChannels(channels, [target]);
  return {
    version,
    channel: channel.name,
    entered,
    outcome: 'promoted',
    forced,
    soakLeftMs,
    ...(feederName ? { feeder: feederName } : {}),
  };
}

// ---- yank ----

export interface YankRequest {
  version: string;
  /** Required for a new yank; a release yanked without a fix may be given its fix with `fixedIn` alone. */
  reason?: string;
  fixedIn?: string;
}

export interface Yanked {
  version: string;
  outcome: 'yanked' | 'fix-recorded';
  reason: string;
  at: string;
  fixedIn?: string;
  barrier: boolean;
  /** The channels that list the release, each with the release their racks now go to (null: none). */
  channels: { name: string; target: string | null }[];
}

export async function yankRelease(ctx: Context, request: YankRequest): Promise<Yanked> {
  const version = parseVersion(request.version);
  const fixedIn =
    request.fixedIn === undefined ? undefined : parseVersion(request.fixedIn, 'fixed release (--fixed-in)');
  const channels = await openEditableChannels(ctx, 'yank');
  const { catalog } = channels.model;
  const release = catalog.get(version);
  if (!release) {
    throw refused(`${version} is not a release of the catalog.`, {
      untouched: UNTOUCHED,
      next: '`rack releases` lists the releases there are.',
      details: { reason: 'unknown-version', version },
    });
  }
  if (fixedIn !== undefined) checkFix(channels, version, fixedIn);

  const node = releaseNode(channels.catalog.yaml.document, version);
  let yank: { reason: string; at: string; fixedIn?: string };
  let outcome: Yanked['outcome'];
  if (release.yanked) {
    if (release.yanked.fixedIn !== undefined || fixedIn === undefined) throw alreadyYanked(version, release.yanked);
    // Yanked in a hurry, before the fix existed: the fix is named now, the yank itself stays as it was.
    yank = { ...release.yanked, fixedIn };
    outcome = 'fix-recorded';
    node.setIn(['yanked', 'fixedIn'], fixedIn);
  } else {
    const reason = request.reason?.trim();
    if (!reason) {
      throw usageError(`Say why ${version} is yanked, with --reason <text>.`, {
        untouched: UNTOUCHED,
        next: `e.g. rack channel yank ${version} --reason "drops the api service during updates" [--fixed-in <version>]`,
      });
    }
    yank = { reason, at: isoNow(ctx), ...(fixedIn ? { fixedIn } : {}) };
    outcome = 'yanked';
    node.set('yanked', createNode(channels.catalog.yaml.document, yank));
  }
  await saveChannels(channels, [channels.catalog]);
  if (release.barrier && yank.fixedIn === undefined) {
    ctx.events.emit({
      type: 'warning',
      text: `${version} is a barrier: racks below it cannot update past it until its fix is named with \`rack channel yank ${version} --fixed-in <version>\`.`,
    });
  }
  return { version, outcome, ...yank, barrier: release.barrier, channels: channelsAfter(channels, version) };
}

function checkFix(channels: EditableChannels, version: string, fixedIn: string): void {
  const fix = channels.model.catalog.get(fixedIn);
  if (!fix || compareVersions(fixedIn, version) <= 0) {
    throw refused(
      fix ? `The fix ${fixedIn} must be newer than ${version}.` : `The fix ${fixedIn} is not a release of the catalog.`,
      {
        untouched: UNTOUCHED,
        next: fix
          ? 'Name a later release with --fixed-in.'
          : `Publish ${fixedIn} first, or yank ${version} now without --fixed-in and name the fix once it is published.`,
        details: { reason: 'invalid-fix', version, fixedIn },
      },
    );
  }
}

function alreadyYanked(version: string, yanked: { reason: string; at: string; fixedIn?: string }) {
  return refused(
    `${version} was yanked already, at ${yanked.at}: ${yanked.reason}${yanked.fixedIn ? `; fixed in ${yanked.fixedIn}` : ''}.`,
    {
      untouched: UNTOUCHED,
      next: 'A yank is kept as it was written. To point racks at a newer fix, yank the fix it names in turn.',
      details: { reason: 'already-yanked', version, yanked },
    },
  );
}

/** Where each channel listing the release sends its racks once it is yanked: its newest other release not yanked. */
function channelsAfter(channels: EditableChannels, version: string) {
  const { catalog } = channels.model;
  return [...channels.model.channels.values()]
    .filter((channel) => channel.get(version))
    .map((channel) => {
      const target = [...channel.releases]
        .reverse()
        .find((entry) => entry.version !== version && !catalog.get(entry.version)?.yanked);
      return { name: channel.name, target: target?.version ?? null };
    });
}
