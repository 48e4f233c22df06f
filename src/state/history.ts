/**
 * The audit log: one list of entries per rack. Entries say who did what, when, from which version to which,
 * and how it ended. An operation's entry is written before its first write (result `in-progress`), gains its
 * steps as they happen, and is completed at the end — by the operation itself, or by the next command that
 * finds its process gone (services/recovery.ts). Never a secret: entries hold versions, names and reasons.
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

/** One step an operation took, recorded as it happens (docs/reliability.md, "Journal steps"). */
const stepSchema = z.object({
  at: z.string(),
  step: z.string(),
  detail: z.string().optional(),
});

const historyEntrySchema = z.object({
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
    'in-progress',
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
  /** The stack's StackId when rack knew it. */
  stackId: z.string().optional(),
  /** The process that ran the operation: an in-progress entry whose process is gone is recovered. */
  process: z.object({ host: z.string(), pid: z.number(), start: z.string().optional() }).optional(),
  /** What the operation did, step by step, while it ran (the journal). */
  steps: z.array(stepSchema).default([]),
});

export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type HistoryHop = z.infer<typeof hopSchema>;
export type HistoryStep = z.infer<typeof stepSchema>;
export type HistoryResult = HistoryEntry['result'];

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
  entry: Omit<HistoryEntry, 'id' | 'steps'> & { id?: string; steps?: HistoryEntry['steps'] },
): Promise<HistoryEntry> {
  const full = historyEntrySchema.parse({ ...entry, id: entry.id ?? randomUUID() });
  const key = historyKey(full.rack);
  await updateObject(store, key, (current) => {
    const file = current ? parse(current.text, store.describe(key)) : { schema: 1 as const, entries: [] };
    // Appending again after a write whose answer was lost changes nothing.
    if (file.entries.some((e) => e.id === full.id)) return undefined;
    return { text: serialize([...file.entries, full]), result: full };
  });
  return full;
}

/**
 * Changes one entry in place (a journal step, the end of an operation). An entry that is not there (its
 * first write was lost) is appended as changed from `fallback`.
 */
export async function updateHistoryEntry(
  store: StateStore,
  rack: string,
  id: string,
  change: (entry: HistoryEntry) => HistoryEntry,
  fallback?: HistoryEntry,
): Promise<HistoryEntry | undefined> {
  const key = historyKey(rack);
  return updateObject(store, key, (current) => {
    const file = current ? parse(current.text, store.describe(key)) : { schema: 1 as const, entries: [] };
    const index = file.entries.findIndex((e) => e.id === id);
    const before = index >= 0 ? file.entries[index] : fallback;
    if (!before) return undefined;
    const after = historyEntrySchema.parse(change(before));
    const entries = index >= 0 ? file.entries.map((e, i) => (i === index ? after : e)) : [...file.entries, after];
    return { text: serialize(entries), result: after };
  });
}

const serialize = (entries: HistoryEntry[]) => `${JSON.stringify({ schema: 1, entries }, null, 2)}\n`;

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
