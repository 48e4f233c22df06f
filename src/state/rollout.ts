/**
 * Rollout progress in the state store: for each channel and release, when each wave started to bake, a
 * halt (who, when, why) and the racks that failed. Kept beside the registry (`RACK_STATE`), so that syncs
 * run from different machines — cron here, CI there — agree on which wave a release is in. Written with
 * compare-and-swap: two syncs that see a wave complete at once keep the earlier bake start.
 */
import { z } from 'zod';
import { emptyProgress, type RolloutProgress } from '../core/rollout.js';
import { internalError } from '../errors.js';
import { updateObject, type StateStore } from './store.js';

const progressSchema = z.object({
  schema: z.literal(1),
  channel: z.string(),
  version: z.string(),
  waves: z.record(z.string(), z.object({ bakeStartedAt: z.string().optional() })),
  halted: z.object({ at: z.string(), by: z.string(), reason: z.string(), rack: z.string().optional() }).optional(),
  failures: z.record(z.string(), z.object({ at: z.string(), reason: z.string() })).default({}),
  log: z
    .array(
      z.object({
        at: z.string(),
        what: z.enum(['halted', 'resumed', 'wave-complete', 'bake-restarted']),
        by: z.string().optional(),
        wave: z.string().optional(),
        reason: z.string().optional(),
      }),
    )
    .default([]),
});

const progressKey = (channel: string, version: string) => `rollout/${channel}/${version}.json`;

function parse(text: string, where: string): RolloutProgress {
  try {
    return progressSchema.parse(JSON.parse(text)) as RolloutProgress;
  } catch (error) {
    throw internalError(`The rollout progress ${where} is damaged: ${(error as Error).message.split('\n')[0]}.`, {
      untouched: 'The file was left as it is.',
      next: `Repair or move ${where}; rack will not overwrite it.`,
    });
  }
}

export async function readProgress(
  store: StateStore,
  channel: string,
  version: string,
): Promise<RolloutProgress | undefined> {
  const key = progressKey(channel, version);
  const current = await store.get(key);
  return current ? parse(current.text, store.describe(key)) : undefined;
}

/**
 * Read-modify-write of one release's progress. `change` gets the progress as it is now (an empty one when
 * there is none) and returns the new one, or undefined to write nothing; it may run more than once.
 */
export async function updateProgress(
  store: StateStore,
  channel: string,
  version: string,
  change: (progress: RolloutProgress) => RolloutProgress | undefined,
): Promise<RolloutProgress> {
  const key = progressKey(channel, version);
  let result: RolloutProgress | undefined;
  await updateObject(store, key, (current) => {
    const before = current ? parse(current.text, store.describe(key)) : emptyProgress(channel, version);
    const after = change(before);
    result = after ?? before;
    return after === undefined ? undefined : { text: `${JSON.stringify(after, null, 2)}\n`, result: after };
  });
  return result!;
}
