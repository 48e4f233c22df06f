/**
 * What `rack channels` and `rack releases` show: the channels with their releases, promotion dates, yanks,
 * barriers and targets, and for a fed channel what is soaking in its feeder. Plain data, the same for
 * --json and for people.
 */
import type { Context } from '../context.js';
import type { Release } from '../core/channels/catalog.js';
import { channelTarget, type Channel } from '../core/channels/channel.js';
import { soakRemaining } from '../core/channels/soak.js';
import type { YankFile } from '../core/schemas.js';
import { compareVersions } from '../core/versions.js';
import { findChannel, loadChannels, type LoadedChannels } from './releases.js';
import type { RolloutStatus } from './rollout.js';

export interface ChannelReleaseView {
  version: string;
  entered: string;
  /** The release racks following the channel go to. */
  target: boolean;
  barrier: boolean;
  forced: boolean;
  yanked: YankFile | null;
}

/** A release of the feeder, newer than anything in the channel, waiting for its soak period. */
export interface PendingPromotion {
  version: string;
  /** When it entered the feeder. */
  entered: string;
  /** When it may be promoted. */
  readyAt: string;
  remainingMs: number;
  ready: boolean;
}

export interface ChannelView {
  name: string;
  description: string;
  feeder: { channel: string; soak: string } | null;
  target: string | null;
  releases: ChannelReleaseView[];
  /** Only for a fed channel. */
  pending: PendingPromotion[];
}

export interface ChannelsView {
  source: string;
  channels: ChannelView[];
  /** Where each channel with a rollout stands (the dashboard's channels screen shows it). */
  rollouts?: RolloutStatus[];
}

/** `loaded`: the channels loaded already (the dashboard shares one load with the rollout status). */
export async function describeChannels(ctx: Context, options: { loaded?: LoadedChannels } = {}): Promise<ChannelsView> {
  const loaded = options.loaded ?? (await loadChannels(ctx));
  const now = ctx.clock.now();
  return {
    source: loaded.source.description,
    channels: feedersFirst(loaded).map((channel) => describeChannel(loaded, channel, now)),
  };
}

/** Channels in the order releases flow through them: unfed ones first, then each after its feeder. */
function feedersFirst(loaded: LoadedChannels): Channel[] {
  const depth = (channel: Channel, seen = new Set<string>()): number => {
    const feeder = channel.feeder && loaded.channels.get(channel.feeder.channel);
    if (!feeder || seen.has(channel.name)) return 0;
    return 1 + depth(feeder, seen.add(channel.name));
  };
  return [...loaded.channels.values()].sort((a, b) => depth(a) - depth(b) || a.name.localeCompare(b.name));
}

function describeChannel(loaded: LoadedChannels, channel: Channel, now: Date): ChannelView {
  const { catalog } = loaded;
  const target = channelTarget(catalog, channel)?.version ?? null;
  const releases = channel.releases.map((entry) => {
    const release = catalog.get(entry.version)!;
    return {
      version: entry.version,
      entered: entry.entered,
      target: entry.version === target,
      barrier: release.barrier,
      forced: entry.forced,
      yanked: release.yanked ?? null,
    };
  });
  const feeder = channel.feeder ? loaded.channels.get(channel.feeder.channel) : undefined;
  return {
    name: channel.name,
    description: channel.description,
    feeder: channel.feeder ? { channel: channel.feeder.channel, soak: channel.feeder.soak } : null,
    target,
    releases,
    pending: feeder ? pendingPromotions(loaded, channel, feeder, now) : [],
  };
}

function pendingPromotions(loaded: LoadedChannels, channel: Channel, feeder: Channel, now: Date): PendingPromotion[] {
  const newest = channel.releases.at(-1)?.version;
  return (
    feeder.releases
      .filter((entry) => !channel.get(entry.version) && !loaded.catalog.get(entry.version)?.yanked)
      // An older release never promoted is passed over for good; only newer ones can still become the target.
      .filter((entry) => newest === undefined || compareVersions(entry.version, newest) > 0)
      .map((entry) => {
        const remainingMs = soakRemaining(channel, feeder, entry.version, now);
        return {
          version: entry.version,
          entered: entry.entered,
          readyAt: new Date(Date.parse(entry.entered) + channel.feeder!.soakMs).toISOString(),
          remainingMs,
          ready: remainingMs === 0,
        };
      })
  );
}

// ---- releases ----

export interface ReleaseView {
  version: string;
  published: string;
  notes: string;
  barrier: boolean;
  minCli: string | null;
  yanked: YankFile | null;
  template: string;
  sha256: string;
  /** The channels that list it. */
  channels: string[];
  /** With --channel: when it entered that channel. */
  entered?: string;
  forced?: boolean;
}

export interface ReleasesView {
  source: string;
  channel: string | null;
  releases: ReleaseView[];
}

export async function describeReleases(ctx: Context, channelName?: string): Promise<ReleasesView> {
  const loaded = await loadChannels(ctx);
  const channel = channelName === undefined ? undefined : findChannel(loaded, channelName);
  const view = (release: Release): ReleaseView => ({
    version: release.version,
    published: release.published,
    notes: release.notes,
    barrier: release.barrier,
    minCli: release.minCli ?? null,
    yanked: release.yanked ?? null,
    template: release.template,
    sha256: release.sha256,
    channels: [...loaded.channels.values()]
      .filter((c) => c.get(release.version))
      .map((c) => c.name)
      .sort(),
  });
  const releases = channel
    ? channel.releases.map((entry) => ({
        ...view(loaded.catalog.get(entry.version)!),
        entered: entry.entered,
        forced: entry.forced,
      }))
    : loaded.catalog.releases.map(view);
  return { source: loaded.source.description, channel: channel?.name ?? null, releases };
}
