/**
 * The audit log: one append-only list of entries per rack. Entries say who did what, when, from which
 * version to which, and how it ended. Never a secret: entries hold versions, names and reasons only.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { internalError } from '../errors.js';
import { updateObject, type StateStore } from './store.js';

const hopSchema = z.object({
  from: z.string(),
  to: z.string(),
  result: z.enum(['succeeded', 'failed', 'rolled-back', 'rollback-failed', 'unhealthy', 'not-started']),
  durationMs: z.number().optional(),
  cause: z.string().optional(),
});

export const historyEntrySchema = z.object({
  id: z.string(),
  rack: z.string(),
  stack: z.string(),
  operation: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().optional(),
  user: z.string(),
  identity: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  channel: z.string().optional(),
  hops: z.array(hopSchema).default([]),
  result: z.enum([
    'succeeded',
    'failed',
    'rolled-back',
    'rollback-failed',
    'unhealthy',
    'cancelled',
    'interrupted',
    'nothing-to-do',
  ]),
  cause: z.string().optional(),
  note: z.string().optional(),
});

export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type HistoryHop = z.infer<typeof hopSchema>;

const historyFileSchema = z.object({ schema: z.literal(1), entries: z.array(historyEntrySchema) });

export const historyKey = (rack: string) => `history/${rack}.json`;

function parse(text: string, where: string) {
  try {
    return historyFileSchema.parse(JSON.parse(text));
  } catch (error) {
    throw internalError(`The history file ${where} is damaged: ${(error as Error).message.split('\n')[0]}.`, {
      untouched: 'The file was left as it is.',
      next: `Repair or move ${where}; rack will not overwrite it.`,
    });
  }
}

export async function readHistory(store: StateStore, rack: string): Promise<HistoryEntry[]> {
  const current = await store.get(historyKey(rack));
  return current ? parse(current.text, store.describe(historyKey(rack))).entries : [];
}

export async function appendHistory(
  store: StateStore,
  entry: Omit<HistoryEntry, 'id'> & { id?: string },
): Promise<HistoryEntry> {
  const full = historyEntrySchema.parse({ ...entry, id: entry.id ?? randomUUID() });
  const key = historyKey(full.rack);
  await updateObject(store, key, (current) => {
    const file = current ? parse(current.text, store.describe(key)) : { schema: 1 as const, entries: [] };
    return { text: `${JSON.stringify({ schema: 1, entries: [...file.entries, full] }, null, 2)}\n`, result: full };
  });
  return full;
}

/** The versions a rack reached by successful hops, oldest first (the rollback target rule reads these). */
export function successfulVersions(entries: readonly HistoryEntry[]): string[] {
  const versions: string[] = [];
  for (const entry of entries) {
    // A rack registered rather than installed starts where its first recorded operation found it.
    if (versions.length === 0 && entry.from && entry.hops.some((hop) => hop.result === 'succeeded'))
      versions.push(entry.from);
    if (entry.operation === 'install' && entry.result === 'succeeded' && entry.to) versions.push(entry.to);
    for (const hop of entry.hops) if (hop.result === 'succeeded') versions.push(hop.to);
  }
  return versions;
}
