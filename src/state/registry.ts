/**
 * The rack registry: which stacks this operator manages, where, and on which channel. One versioned
 * JSON document, validated on every read; a file that does not validate is reported and never
 * overwritten, because it may be the only record of someone's racks.
 */
import { isLabels } from '../core/labels.js';
import { RACK_NAME } from '../core/rackName.js';
import { internalError, usageError } from '../errors.js';
import { updateObject, type StateStore } from './store.js';

const REGISTRY_KEY = 'racks.json';

export interface Rack {
  name: string;
  stack: string;
  region: string;
  profile?: string;
  channel: string;
  window?: string;
  roleArn?: string;
  /** The stack's StackId (ARN): what the rack's lock, markers and progress are keyed by (see core/stackIdentity). */
  stackId?: string;
  addedAt: string;
  /** key=value labels: rollout wave selectors and `rack sync --selector` pick racks by them. */
  labels?: Record<string, string>;
  /** CloudWatch alarms (names or ARNs) every change set of the rack carries as rollback triggers. */
  alarms?: string[];
  /** Minutes CloudFormation keeps watching the alarms after an update (RollbackConfiguration's monitoring time). */
  monitorMinutes?: number;
}

/** CloudFormation's bound for a rollback configuration's monitoring time. */
export const MAX_MONITOR_MINUTES = 180;
/** The monitoring time of a rack with alarms and no `monitorMinutes` of its own. */
export const DEFAULT_MONITOR_MINUTES = 5;

interface Registry {
  schema: 1;
  racks: Rack[];
}

const REQUIRED = ['name', 'stack', 'region', 'channel', 'addedAt'] as const;
const OPTIONAL = ['profile', 'window', 'roleArn', 'stackId'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL, 'labels', 'alarms', 'monitorMinutes']);

const isAlarmList = (value: unknown) =>
  Array.isArray(value) && value.every((alarm) => typeof alarm === 'string' && alarm.length > 0);
const isMonitor = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_MONITOR_MINUTES;

/**
 * The registry's shape, checked by hand on every read: the schema in registrySchema.ts says the same, but
 * zod is loaded only to explain a file that fails this check.
 */
export function isRack(value: unknown): value is Rack {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    Object.keys(record).every((key) => KNOWN.has(key)) &&
    REQUIRED.every((key) => typeof record[key] === 'string' && (record[key] as string).length > 0) &&
    OPTIONAL.every(
      (key) => record[key] === undefined || (typeof record[key] === 'string' && (record[key] as string).length > 0),
    ) &&
    RACK_NAME.test(record.name as string) &&
    (record.labels === undefined || isLabels(record.labels)) &&
    (record.alarms === undefined || isAlarmList(record.alarms)) &&
    (record.monitorMinutes === undefined || isMonitor(record.monitorMinutes))
  );
}

function isRegistry(value: unknown): value is Registry {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    Object.keys(record).every((key) => key === 'schema' || key === 'racks') &&
    record.schema === 1 &&
    Array.isArray(record.racks) &&
    record.racks.every(isRack)
  );
}

/** A rack record, checked; a bad one is an internal error (commands validate their input before this). */
export async function checkedRack(value: unknown): Promise<Rack> {
  if (isRack(value)) return value;
  const { rackSchema } = await import('./registrySchema.js');
  return rackSchema.parse(value);
}

async function parseRegistry(text: string, where: string): Promise<Registry> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(where, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isRegistry(data)) {
    const { registrySchema } = await import('./registrySchema.js');
    const parsed = registrySchema.safeParse(data);
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    throw corrupt(
      where,
      issue
        ? `${issue.path.join('.') || '(top level)'}: ${issue.message}`
        : 'it does not have the shape of a rack registry',
    );
  }
  const seen = new Set<string>();
  for (const rack of data.racks) {
    if (seen.has(rack.name)) throw corrupt(where, `rack "${rack.name}" is registered twice`);
    seen.add(rack.name);
  }
  return data;
}

function corrupt(where: string, problem: string) {
  return internalError(`The rack registry ${where} is damaged: ${problem}.`, {
    untouched: 'The file was left as it is.',
    next: `Repair ${where} by hand, or move it away and register your racks again with \`rack racks add\`.`,
  });
}

export async function listRacks(store: StateStore): Promise<Rack[]> {
  const current = await store.get(REGISTRY_KEY);
  if (!current) return [];
  return (await parseRegistry(current.text, store.describe(REGISTRY_KEY))).racks;
}

const serialize = (registry: Registry) => `${JSON.stringify(registry, null, 2)}\n`;

/** Whether two registry entries name one stack: by StackId when both know it, else by region and name. */
function sameStack(a: Rack, b: Rack): boolean {
  if (a.stackId && b.stackId) return a.stackId === b.stackId;
  return a.region === b.region && a.stack === b.stack && (a.profile ?? '') === (b.profile ?? '');
}

export async function addRack(store: StateStore, rack: Rack): Promise<Rack> {
  const where = store.describe(REGISTRY_KEY);
  await updateObject(store, REGISTRY_KEY, async (current) => {
    const registry: Registry = current ? await parseRegistry(current.text, where) : { schema: 1, racks: [] };
    const named = registry.racks.find((r) => r.name === rack.name);
    // Our own write, whose answer was lost and retried, is done already.
    if (named && named.addedAt === rack.addedAt && named.stackId === rack.stackId) return undefined;
    if (named) {
      throw usageError(`A rack named "${rack.name}" is already registered.`, {
        untouched: 'The registry was left as it is.',
        next: `Choose another name, or run \`rack racks remove ${rack.name}\` first.`,
      });
    }
    const twin = registry.racks.find((r) => sameStack(r, rack));
    if (twin) {
      throw usageError(`Stack ${rack.stack} in ${rack.region} is already registered as rack "${twin.name}".`, {
        untouched: 'The registry was left as it is.',
        next: `Use \`--rack ${twin.name}\`; one stack is one rack (its lock, history and keys are kept once).`,
        details: { rack: twin.name, stackId: rack.stackId ?? twin.stackId },
      });
    }
    const racks = [...registry.racks, rack].sort((a, b) => a.name.localeCompare(b.name));
    return { text: serialize({ schema: 1, racks }), result: rack };
  });
  return rack;
}

export async function updateRack(store: StateStore, name: string, change: (rack: Rack) => Rack): Promise<Rack> {
  const where = store.describe(REGISTRY_KEY);
  const updated = await updateObject(store, REGISTRY_KEY, async (current) => {
    const registry: Registry = current ? await parseRegistry(current.text, where) : { schema: 1, racks: [] };
    const existing = registry.racks.find((r) => r.name === name);
    if (!existing) throw unknownRack(name, registry.racks);
    const next = await checkedRack(change(existing));
    const racks = registry.racks.map((r) => (r.name === name ? next : r));
    return { text: serialize({ schema: 1, racks }), result: next };
  });
  return updated!;
}

export async function removeRack(store: StateStore, name: string): Promise<Rack> {
  const where = store.describe(REGISTRY_KEY);
  const removed = await updateObject(store, REGISTRY_KEY, async (current) => {
    const registry: Registry = current ? await parseRegistry(current.text, where) : { schema: 1, racks: [] };
    const existing = registry.racks.find((r) => r.name === name);
    if (!existing) throw unknownRack(name, registry.racks);
    return { text: serialize({ schema: 1, racks: registry.racks.filter((r) => r.name !== name) }), result: existing };
  });
  return removed!;
}

/** The rack a command acts on: the one named, else the only one registered. */
export async function resolveRack(store: StateStore, name: string | undefined): Promise<Rack> {
  const racks = await listRacks(store);
  if (name === undefined) {
    if (racks.length === 1) return racks[0]!;
    if (racks.length === 0) {
      throw usageError('No rack is registered yet.', {
        next: 'Register one with `rack racks add <name> --stack <stack>`, or install one with `rack install`.',
      });
    }
    throw usageError(`${racks.length} racks are registered; say which one.`, {
      next: `Pass --rack <name> (or set RACK): ${racks.map((r) => r.name).join(', ')}.`,
    });
  }
  const rack = racks.find((r) => r.name === name);
  if (!rack) throw unknownRack(name, racks);
  return rack;
}

function unknownRack(name: string, racks: Rack[]) {
  return usageError(`No rack named "${name}" is registered.`, {
    next: racks.length
      ? `Registered racks: ${racks.map((r) => r.name).join(', ')}. See \`rack racks list\`.`
      : 'Register one with `rack racks add <name> --stack <stack>`.',
  });
}
