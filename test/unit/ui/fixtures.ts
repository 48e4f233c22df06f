/** Racks, statuses, parameters, a fake set of dashboard services and a fake terminal for the UI tests. No I/O. */
import { EventEmitter } from 'node:events';
import { render as inkRender, type Instance } from 'ink';
import type { ReactElement } from 'react';
import type { ChannelsView } from '../../../src/services/channelView.js';
import type { OperationEvent } from '../../../src/io/events.js';
import type { ParameterView } from '../../../src/services/params.js';
import type { LoadedChannels } from '../../../src/services/releases.js';
import type { RackStatus } from '../../../src/services/status.js';
import type { HistoryEntry } from '../../../src/state/history.js';
import type { Rack } from '../../../src/state/registry.js';
import type { ParameterDeclaration } from '../../../src/core/template.js';
import type { DashboardServices, Operation, OperationHooks } from '../../../src/ui/dashboard/services.js';
import type { InstanceRow, RackParameters } from '../../../src/ui/model/dashboardState.js';
import { keyrollPlanView, type PlanView } from '../../../src/ui/model/plans.js';
import { createCatalog } from '../../../src/core/channels/catalog.js';
import { createChannel } from '../../../src/core/channels/channel.js';

export const NOW = new Date('2026-11-21T12:00:00Z');

export function rack(name: string, extra: Partial<Rack> = {}): Rack {
  return {
    name,
    stack: `${name}-stack`,
    region: 'us-east-1',
    channel: 'stable',
    addedAt: '2026-11-01T00:00:00Z',
    ...extra,
  };
}

export function status(r: Rack, extra: Partial<RackStatus> = {}): RackStatus {
  return {
    rack: r,
    version: '1.2.0',
    release: 'known',
    stackStatus: 'UPDATE_COMPLETE',
    target: '1.3.1',
    path: ['1.3.1'],
    state: 'update-available',
    warnings: [],
    ...extra,
  };
}

export const upToDate = (r: Rack) => status(r, { version: '1.3.1', path: [], state: 'up-to-date' });

const DECLARATIONS: ParameterDeclaration[] = [
  { key: 'Version', type: 'String', noEcho: false },
  { key: 'Key', type: 'String', noEcho: false, default: '' },
  { key: 'InstanceCount', type: 'Number', noEcho: false, default: '3', minValue: 1, maxValue: 20 },
  {
    key: 'InstanceType',
    type: 'String',
    noEcho: false,
    default: 't3.small',
    allowedValues: ['t3.small', 't3.medium', 't3.large'],
  },
  { key: 'Password', type: 'String', noEcho: true, minLength: 8, allowedPattern: '[^ ]+' },
];

export const SECRET = 'hunter2-Secret-Value';

export function parameters(): RackParameters {
  const shown: ParameterView[] = [
    { key: 'Version', value: '1.2.0', noEcho: false, isDefault: false, constraint: null, description: 'The release' },
    { key: 'Key', value: '', noEcho: false, isDefault: true, constraint: null, description: null },
    {
      key: 'InstanceCount',
      value: '3',
      noEcho: false,
      isDefault: true,
      constraint: 'Number, 1..20',
      description: 'How many instances',
    },
    {
      key: 'InstanceType',
      value: 't3.small',
      noEcho: false,
      isDefault: true,
      constraint: 'one of t3.small|t3.medium|t3.large',
      description: null,
    },
    {
      key: 'Password',
      value: '****',
      noEcho: true,
      isDefault: null,
      constraint: 'length 8.., pattern [^ ]+',
      description: 'Database password',
    },
  ];
  return {
    shown,
    declarations: DECLARATIONS,
    current: shown.map((p) => ({ key: p.key, value: p.value, noEcho: p.noEcho })),
  };
}

export function history(r: string): HistoryEntry[] {
  return [
    {
      id: 'h1',
      rack: r,
      stack: `${r}-stack`,
      operation: 'install',
      startedAt: '2026-11-01T10:00:00Z',
      durationMs: 300_000,
      user: 'alice',
      to: '1.1.0',
      hops: [],
      result: 'succeeded',
      steps: [],
    },
    {
      id: 'h2',
      rack: r,
      stack: `${r}-stack`,
      operation: 'update',
      startedAt: '2026-11-20T10:00:00Z',
      durationMs: 95_000,
      user: 'bob',
      from: '1.1.0',
      to: '1.2.0',
      hops: [],
      result: 'succeeded',
      steps: [],
    },
  ];
}

function loadedChannels(): LoadedChannels {
  const release = (version: string, extra = {}) => ({
    version,
    template: `templates/rack-${version}.yaml`,
    sha256: 'a'.repeat(64),
    published: '2026-09-01T00:00:00Z',
    notes: `notes of ${version}`,
    barrier: false,
    ...extra,
  });
  const catalog = createCatalog([
    release('1.1.0'),
    release('1.2.0', { barrier: true }),
    release('1.3.0', { yanked: { reason: 'api breaks', at: '2026-11-01T00:00:00Z', fixedIn: '1.3.1' } }),
    release('1.3.1'),
    release('1.4.0'),
  ]);
  const entered = (version: string, at: string) => ({ version, entered: at });
  const unstable = createChannel({
    schema: 1,
    name: 'unstable',
    description: 'New releases',
    releases: ['1.1.0', '1.2.0', '1.3.0', '1.3.1', '1.4.0'].map((v) => entered(v, '2026-11-18T00:00:00Z')),
  });
  const stable = createChannel({
    schema: 1,
    name: 'stable',
    description: 'Soaked releases',
    feeder: { channel: 'unstable', soak: '7d' },
    releases: ['1.1.0', '1.2.0', '1.3.0', '1.3.1'].map((v) => entered(v, '2026-10-01T00:00:00Z')),
  });
  return {
    source: { description: 'the bundled channels' } as LoadedChannels['source'],
    catalog,
    channels: new Map([
      ['unstable', unstable],
      ['stable', stable],
    ]),
    migrations: [],
  };
}

export const CHANNELS: ChannelsView = {
  source: 'the bundled channels',
  channels: [
    {
      name: 'unstable',
      description: 'New releases',
      feeder: null,
      target: '1.4.0',
      releases: [
        {
          version: '1.2.0',
          entered: '2026-10-01T00:00:00Z',
          target: false,
          barrier: true,
          forced: false,
          yanked: null,
        },
        {
          version: '1.3.0',
          entered: '2026-10-10T00:00:00Z',
          target: false,
          barrier: false,
          forced: false,
          yanked: { reason: 'api breaks', at: '2026-11-01T00:00:00Z', fixedIn: '1.3.1' },
        },
        {
          version: '1.4.0',
          entered: '2026-11-18T00:00:00Z',
          target: true,
          barrier: false,
          forced: false,
          yanked: null,
        },
      ],
      pending: [],
    },
    {
      name: 'stable',
      description: 'Soaked releases',
      feeder: { channel: 'unstable', soak: '7d' },
      target: '1.3.1',
      releases: [
        { version: '1.3.1', entered: '2026-11-11T10:00:00Z', target: true, barrier: false, forced: true, yanked: null },
      ],
      pending: [
        {
          version: '1.4.0',
          entered: '2026-11-18T00:00:00Z',
          readyAt: '2026-11-25T00:00:00Z',
          remainingMs: 3 * 86_400_000 + 12 * 3_600_000,
          ready: false,
        },
      ],
    },
  ],
};

export const UPDATE_PLAN: PlanView = {
  title: 'Update prod from 1.2.0 to 1.3.1 (channel stable)',
  path: ['1.2.0', '1.3.1'],
  warnings: [],
  steps: [
    {
      from: '1.2.0',
      to: '1.3.1',
      barrier: false,
      notes: 'Fixes the api service',
      migrations: ['rename LogRetention → LogRetentionDays'],
      parameters: [
        { key: 'Version', kind: 'set', source: 'user', noEcho: false, displayOld: '1.2.0', displayNew: '1.3.1' },
        { key: 'Password', kind: 'set', source: 'user', noEcho: true, displayOld: '****', displayNew: '(new value)' },
      ],
      resources: [
        {
          action: 'Modify',
          logicalId: 'LaunchTemplate',
          type: 'AWS::EC2::LaunchTemplate',
          replacement: 'False',
          scope: ['Properties'],
        },
        {
          action: 'Modify',
          logicalId: 'Database',
          type: 'AWS::RDS::DBInstance',
          replacement: 'True',
          scope: ['Properties'],
        },
      ],
    },
  ],
  question: 'Update prod to 1.3.1?',
};

export const ROLLBACK_PLAN: PlanView = {
  ...UPDATE_PLAN,
  title: 'Roll prod back from 1.2.0 to 1.1.0',
  path: ['1.2.0', '1.1.0'],
  question: 'Roll prod back to 1.1.0?',
};

const KEYROLL_PLAN: PlanView = keyrollPlanView({
  rack: { name: 'prod' },
  currentKey: 'rack-prod-1',
  instances: [{ instanceId: 'i-0fff', keyName: 'rack-prod-1', registered: true }],
  desired: 1,
  floor: 0,
  surge: false,
  pruneOld: false,
  warnings: [],
  mustAcknowledge: false,
});

const INSTANCES: InstanceRow[] = [
  {
    id: 'i-0fff',
    state: 'InService',
    health: 'Healthy',
    zone: 'us-east-1b',
    type: 't3.small',
    note: 'key rack-prod-1 · ECS ACTIVE, 1 task',
  },
];

/** What a fake operation does once confirmed: its events, then its outcome (or an error). */
export interface Script {
  plan?: PlanView;
  events: OperationEvent[];
  outcome?: { ok: boolean; text: string };
  error?: Error;
  /** Resolved by the test to let the operation finish (it waits on it after the events). */
  hold?: Promise<void>;
  after?: () => void;
}

function scripted(script: Script, calls: string[], name: string): Operation {
  return async (hooks: OperationHooks) => {
    calls.push(`${name}:plan`);
    if (script.plan) await hooks.confirm(script.plan);
    calls.push(`${name}:write`);
    for (const event of script.events) hooks.reporter.emit(event);
    if (script.hold) await script.hold;
    if (hooks.signal.aborted) throw new Error('Stopped following the stack.');
    script.after?.();
    if (script.error) throw script.error;
    return script.outcome ?? { ok: true, text: 'done' };
  };
}

export interface FakeServices extends DashboardServices {
  calls: string[];
  statuses: Map<string, RackStatus>;
}

export function fakeServices(
  racks: Rack[],
  options: {
    statuses?: RackStatus[];
    update?: Script;
    rollback?: Script;
    keyroll?: Script;
    setParameter?: Script;
    instances?: InstanceRow[];
    unreachable?: string[];
    slow?: Promise<void>;
  } = {},
): FakeServices {
  const statuses = new Map((options.statuses ?? racks.map((r) => status(r))).map((s) => [s.rack.name, s]));
  const calls: string[] = [];
  return {
    calls,
    statuses,
    listRacks: async () => racks,
    loadChannels: async () => loadedChannels(),
    rackStatus: async (r) => {
      if (options.slow) await options.slow;
      if (options.unreachable?.includes(r.name)) throw new Error(`cannot reach ${r.region}`);
      return statuses.get(r.name) ?? status(r);
    },
    channels: async () => CHANNELS,
    parameters: async () => parameters(),
    history: async (r) => history(r),
    instances: async () => options.instances ?? INSTANCES,
    update: (r) => scripted(options.update ?? { plan: UPDATE_PLAN, events: [] }, calls, `update ${r}`),
    rollback: (r) => scripted(options.rollback ?? { plan: ROLLBACK_PLAN, events: [] }, calls, `rollback ${r}`),
    keyroll: (r) => scripted(options.keyroll ?? { plan: KEYROLL_PLAN, events: [] }, calls, `keyroll ${r}`),
    setParameter: (r, key, _value) => {
      calls.push(`set ${r} ${key}`);
      return scripted(options.setParameter ?? { events: [] }, calls, `params ${r}`);
    },
    describeError: (error) => (error as Error).message,
    now: () => NOW,
  };
}

/** The frame without colours, so tests read the text. */
export const plain = (frame: string | undefined) => (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');

/** Waits until the predicate holds for the last frame; fails with the frame when it never does. */
export async function frameWhere(
  lastFrame: () => string | undefined,
  predicate: (frame: string) => boolean,
  timeoutMs = 3000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = plain(lastFrame());
    if (predicate(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`The frame never matched. Last frame:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const frameWith = (lastFrame: () => string | undefined, text: string, timeoutMs?: number) =>
  frameWhere(lastFrame, (f) => f.includes(text), timeoutMs);

export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  backspace: '\u007f',
  pageDown: '\u001b[6~',
  ctrlC: '\u0003',
};

/**
 * A terminal for ink: fixed columns and rows, every frame kept (debug mode writes whole frames), a
 * stdin that takes keys. Unlike ink-testing-library it gives the instance, so a test can wait for exit.
 */

class FakeOut extends EventEmitter {
  frames: string[] = [];
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
}

class FakeIn extends EventEmitter {
  isTTY = true;
  private queue: string[] = [];
  write(data: string) {
    this.queue.push(data);
    this.emit('readable');
  }
  read = () => this.queue.shift() ?? null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

export interface Terminal {
  instance: Instance;
  lastFrame(): string;
  /** Types keys one chunk at a time, letting ink read each. */
  type(...keys: string[]): Promise<void>;
  exited: Promise<void>;
}

export function renderTerminal(tree: ReactElement, size = { columns: 100, rows: 30 }): Terminal {
  const stdout = new FakeOut(size.columns, size.rows);
  const stdin = new FakeIn();
  const instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeOut(size.columns, size.rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    instance,
    lastFrame: () => plain(stdout.frames.at(-1)),
    async type(...keys) {
      for (const key of keys) {
        stdin.write(key);
        // A lone escape waits for ink to know it is not the start of a sequence.
        await new Promise((resolve) => setTimeout(resolve, key === '\u001b' ? 40 : 2));
      }
    },
    exited: instance.waitUntilExit().then(() => undefined),
  };
}
