/**
 * The in-flight marker: written just before rack executes a write on a stack (a change set, a create, a
 * delete, a cancel) and cleared once rack saw that operation end. While it is there, the stack operation in
 * progress is rack's own: a later command attaches to it (follows it to its end and completes its history
 * entry) instead of calling the rack busy. Keyed by the stack's identity, so one stack has one marker
 * (docs/architecture.md, "The operation lifecycle").
 */
import { z } from 'zod';
import type { Context } from '../context.js';
import { stackStateKey } from '../core/stackIdentity.js';
import type { Rack } from '../state/registry.js';
import { updateObject } from '../state/store.js';

const inFlightSchema = z.object({
  rack: z.string(),
  stack: z.string(),
  stackId: z.string().optional(),
  operation: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  channel: z.string().optional(),
  startedAt: z.string(),
  /** The history entry of the operation: whoever sees the stack operation end completes it. */
  historyId: z.string(),
  /** The change set executed, when it was one: still AVAILABLE means it never ran. */
  changeSetId: z.string().optional(),
  changeSetName: z.string().optional(),
});
export type InFlight = z.infer<typeof inFlightSchema>;

export const inFlightKey = (rack: Pick<Rack, 'stackId' | 'region' | 'stack'>) =>
  `operations/${stackStateKey(rack)}.json`;

export async function markInFlight(ctx: Context, rack: Rack, entry: InFlight): Promise<void> {
  await updateObject(ctx.state, inFlightKey(rack), () => ({ text: JSON.stringify(entry), result: undefined }), 5);
}

function parseInFlight(text: string): InFlight | undefined {
  try {
    const parsed = inFlightSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function readInFlight(ctx: Context, rack: Rack): Promise<InFlight | undefined> {
  const current = await ctx.state.get(inFlightKey(rack));
  return current ? parseInFlight(current.text) : undefined;
}

/** Clears the marker, only if it still names `historyId` when given (another operation's is left). */
export async function clearInFlight(ctx: Context, rack: Rack, historyId?: string): Promise<void> {
  const key = inFlightKey(rack);
  const current = await ctx.state.get(key);
  if (!current) return;
  const marker = historyId === undefined ? undefined : parseInFlight(current.text);
  if (marker && marker.historyId !== historyId) return;
  await ctx.state.delete(key, current.version);
}
