/**
 * What the dashboard asks of rack's services, as one interface: the controller calls these and
 * dispatches what they answer, and tests hand it fakes instead of mocking modules. An operation
 * (update, rollback, a parameter change, a keyroll) plans, shows its plan through `confirm`, then writes,
 * reporting progress as typed events. `contextServices` backs every one with rack's own services.
 */
import type { ChannelsView } from '../../services/channelView.js';
import type { LoadedChannels } from '../../services/releases.js';
import type { Reporter } from '../../io/events.js';
import type { RackStatus } from '../../services/status.js';
import type { HistoryEntry } from '../../state/history.js';
import type { Rack } from '../../state/registry.js';
import type { InstanceRow, RackParameters } from '../model/dashboardState.js';
import type { Outcome } from '../model/operation.js';
import type { PlanView } from '../model/plans.js';

export interface OperationHooks {
  /** Shows the plan; resolves when the user confirms, rejects with `Cancelled` when they do not. */
  confirm(plan: PlanView): Promise<void>;
  reporter: Reporter;
  /** Aborted when the user stops following (CloudFormation keeps working). */
  signal: AbortSignal;
}

export type Operation = (hooks: OperationHooks) => Promise<Outcome>;

export interface DashboardServices {
  listRacks(): Promise<Rack[]>;
  loadChannels(): Promise<LoadedChannels>;
  rackStatus(rack: Rack, loaded: LoadedChannels): Promise<RackStatus>;
  /** Channels with releases, promotion dates, soak remaining, yanks and barriers. */
  channels(): Promise<ChannelsView>;
  parameters(rack: string): Promise<RackParameters>;
  history(rack: string): Promise<HistoryEntry[]>;
  instances(rack: string): Promise<InstanceRow[]>;
  update(rack: string): Operation;
  rollback(rack: string): Operation;
  keyroll(rack: string): Operation;
  setParameter(rack: string, key: string, value: string): Operation;
  /** An error as the user should read it: what went wrong, what was left untouched, what to do. No secrets. */
  describeError(error: unknown): string;
  now(): Date;
}

/** The user answered no at the confirmation. */
export class Cancelled extends Error {
  readonly cancelled = true;
  constructor() {
    super('Cancelled at the confirmation.');
    this.name = 'Cancelled';
  }
}

export const isCancelled = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { cancelled?: unknown }).cancelled === true;
