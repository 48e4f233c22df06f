/**
 * `rack racks discover`: the stacks of an account, in one or more regions, that follow the rack template
 * contract (parameters Version and Key, outputs SettingsBucket and EncryptionKey), with their versions and
 * whether they are registered; with `add`, each rack not registered yet is registered as `rack racks add`
 * would (the same checks, under the registry's lock). Versions need not be semver: racks made by other tools
 * (Convox's are timestamps) are listed with theirs, as an unknown release when the catalog lacks it.
 */
import { describeAllStacks, parameterValue } from '../aws/cloudformation.js';
import { assertRegion } from '../aws/errors.js';
import type { Context } from '../context.js';
import { isRackError } from '../errors.js';
import { rackNameFor } from '../core/discovery.js';
import { stackContractGaps } from '../core/rackContract.js';
import { listRacks } from '../state/registry.js';
import { registerRack } from './racks.js';
import { loadChannels } from './releases.js';

export interface DiscoverRequest {
  /** Where to look; default the context's region. */
  regions?: string[];
  /** Register the racks not registered yet. */
  add?: boolean;
  /** The channel racks added follow; default stable, as with `rack racks add`. */
  channel?: string;
}

export interface DiscoveredStack {
  region: string;
  stack: string;
  stackId: string;
  status: string;
  /** Whether it follows the rack template contract; `lacks` says what it lacks when it does not. */
  rack: boolean;
  lacks: string[];
  version?: string;
  /** Whether the catalog has the version; undefined when the channels could not be read. */
  release?: 'known' | 'unknown';
  /** The name it is registered under, before this run. */
  registeredAs?: string;
  /** The name this run registered it under. */
  added?: string;
  /** Why this run did not register it, although asked to. */
  notAdded?: string;
}

export interface Discovery {
  regions: string[];
  stacks: DiscoveredStack[];
  /** The names of the racks this run registered. */
  added: string[];
}

export async function discoverRacks(ctx: Context, request: DiscoverRequest = {}): Promise<Discovery> {
  const regions = [...new Set(request.regions?.length ? request.regions : [ctx.defaultRegion()])];
  for (const region of regions) assertRegion(region);
  const profile = ctx.options.profile;
  const [registry, loaded, found] = await Promise.all([
    listRacks(ctx.state),
    loadChannels(ctx).catch((error: Error) => {
      ctx.events.emit({
        type: 'warning',
        text: `channels could not be read, so releases are not named: ${error.message}`,
      });
      return undefined;
    }),
    Promise.all(
      regions.map(async (region) =>
        (await describeAllStacks(ctx.aws({ region, ...(profile ? { profile } : {}) }))).map((stack) => ({
          region,
          stack,
        })),
      ),
    ),
  ]);

  const stacks = found
    .flat()
    .map(({ region, stack }): DiscoveredStack => {
      const lacks = stackContractGaps({
        parameters: stack.parameters.map((p) => p.key),
        outputs: Object.keys(stack.outputs),
      });
      const version = parameterValue(stack, 'Version');
      const registered = registry.find(
        (rack) => rack.region === region && (rack.stack === stack.name || rack.stack === stack.id),
      );
      return {
        region,
        stack: stack.name,
        stackId: stack.id,
        status: stack.status,
        rack: lacks.length === 0,
        lacks,
        ...(version !== undefined ? { version } : {}),
        ...(version !== undefined && loaded ? { release: loaded.catalog.get(version) ? 'known' : 'unknown' } : {}),
        ...(registered ? { registeredAs: registered.name } : {}),
      };
    })
    .sort((a, b) => a.region.localeCompare(b.region) || a.stack.localeCompare(b.stack));

  const added: string[] = [];
  if (request.add) {
    const taken = new Set(registry.map((rack) => rack.name));
    for (const found of stacks.filter((s) => s.rack && !s.registeredAs)) {
      const name = rackNameFor(found.stack, found.region, taken);
      if (!name) {
        found.notAdded = `the names ${found.stack} and ${found.stack}-${found.region} are taken or not valid rack names; add it with \`rack racks add <name> --stack ${found.stack} --region ${found.region}\``;
        continue;
      }
      try {
        const view = await registerRack(ctx, {
          name,
          stack: found.stack,
          region: found.region,
          ...(profile ? { profile } : {}),
          channel: request.channel ?? 'stable',
        });
        found.added = view.rack.name;
        added.push(view.rack.name);
        taken.add(name);
      } catch (error) {
        // Another process registered the name or the stack meanwhile: reported, the others still added.
        if (!isRackError(error) || error.kind !== 'usage') throw error;
        found.notAdded = error.message;
      }
    }
  }
  return { regions, stacks, added };
}
