/**
 * The dashboard's controller: it calls the services and dispatches what they answer, so views stay pure.
 * Reads run in the background, a few racks at a time, each status dispatched as it arrives; nothing
 * here blocks a key. One operation runs at a time; its confirmation waits on the user's answer.
 */
import type { LoadedChannels } from '../../services/releases.js';
import type { Rack } from '../../state/registry.js';
import type { DashboardAction, DetailsTab } from '../model/dashboardState.js';
import type { Command } from '../model/keys.js';
import { Cancelled, isCancelled, type DashboardServices, type Operation } from './services.js';
import { mapLimit } from '../../services/pool.js';

export interface ControllerOptions {
  /** How often every rack's status is read again. */
  refreshMs: number;
  /** Status reads at once. */
  concurrency: number;
  /** Called on `q` (and Ctrl-C outside an operation). */
  onQuit: () => void;
}

export class DashboardController {
  private timer?: ReturnType<typeof setInterval>;
  private loaded?: LoadedChannels;
  private refreshing?: Promise<void>;
  private answer?: (yes: boolean) => void;
  private following?: AbortController;
  private stopped = false;

  constructor(
    private readonly services: DashboardServices,
    private readonly dispatch: (action: DashboardAction) => void,
    private readonly options: ControllerOptions,
  ) {}

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    // The timer alone must not keep the process alive once the dashboard has quit.
    this.timer.unref?.();
  }

  /** On quit: no more reads, a pending confirmation is answered no, an operation is no longer followed. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.answer?.(false);
    this.following?.abort(new Error('The dashboard was closed.'));
  }

  /** Reads the registry, then every rack's status; a refresh already under way is not started twice. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readAll().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readAll(): Promise<void> {
    let racks: Rack[];
    try {
      racks = await this.services.listRacks();
    } catch (error) {
      this.send({ type: 'registry-failed', message: this.services.describeError(error) });
      return;
    }
    this.send({ type: 'registry', racks });
    if (racks.length === 0) return;
    this.send({ type: 'status-loading', names: racks.map((r) => r.name) });
    let loaded: LoadedChannels;
    try {
      loaded = await this.channels(true);
    } catch (error) {
      const message = `channels: ${this.services.describeError(error)}`;
      for (const rack of racks) this.send({ type: 'status-failed', name: rack.name, message, now: this.now() });
      return;
    }
    await mapLimit(racks, this.options.concurrency, async (rack) => {
      if (this.stopped) return;
      try {
        this.send({
          type: 'status',
          name: rack.name,
          status: await this.services.rackStatus(rack, loaded),
          now: this.now(),
        });
      } catch (error) {
        this.send({
          type: 'status-failed',
          name: rack.name,
          message: this.services.describeError(error),
          now: this.now(),
        });
      }
    });
  }

  private async refreshRack(name: string): Promise<void> {
    try {
      const rack = (await this.services.listRacks()).find((r) => r.name === name);
      if (!rack) return;
      this.send({ type: 'status-loading', names: [name] });
      const loaded = await this.channels(false);
      this.send({ type: 'status', name, status: await this.services.rackStatus(rack, loaded), now: this.now() });
    } catch (error) {
      this.send({ type: 'status-failed', name, message: this.services.describeError(error), now: this.now() });
    }
  }

  private async channels(fresh: boolean): Promise<LoadedChannels> {
    if (!fresh && this.loaded) return this.loaded;
    this.loaded = await this.services.loadChannels();
    this.send({ type: 'catalog', versions: this.loaded.catalog.releases.map((r) => r.version) });
    return this.loaded;
  }

  handle(command: Command): void {
    switch (command.type) {
      case 'quit':
        this.options.onQuit();
        return;
      case 'open-details':
        void this.openDetails(command.rack, command.tab);
        return;
      case 'open-channels':
        void this.openChannels();
        return;
      case 'update':
        void this.run(command.rack, 'update', this.services.update(command.rack));
        return;
      case 'rollback':
        void this.run(command.rack, 'rollback', this.services.rollback(command.rack));
        return;
      case 'keyroll':
        void this.run(command.rack, 'keyroll', this.services.keyroll(command.rack));
        return;
      case 'answer':
        this.answer?.(command.yes);
        return;
      case 'submit-parameter':
        void this.run(
          command.rack,
          'parameter change',
          this.services.setParameter(command.rack, command.key, command.value),
        ).then(() => this.loadDetails(command.rack, ['parameters', 'history']));
        return;
      case 'stop-following':
        this.following?.abort(new Error("Stopped following at the user's request."));
        return;
    }
  }

  private async openDetails(rack: string, tab: DetailsTab): Promise<void> {
    this.send({ type: 'details-open', rack, tab });
    await this.loadDetails(rack, ['parameters', 'history', 'instances']);
  }

  private async loadDetails(rack: string, parts: DetailsTab[]): Promise<void> {
    const failed = (error: unknown) => ({ kind: 'failed' as const, message: this.services.describeError(error) });
    const tasks: Promise<void>[] = [];
    if (parts.includes('parameters')) {
      tasks.push(
        this.services.parameters(rack).then(
          (value) => this.send({ type: 'details-parameters', rack, value: { kind: 'ready', value } }),
          (error) => this.send({ type: 'details-parameters', rack, value: failed(error) }),
        ),
      );
    }
    if (parts.includes('history')) {
      tasks.push(
        this.services.history(rack).then(
          (value) => this.send({ type: 'details-history', rack, value: { kind: 'ready', value } }),
          (error) => this.send({ type: 'details-history', rack, value: failed(error) }),
        ),
      );
    }
    if (parts.includes('instances')) {
      tasks.push(
        this.services.instances(rack).then(
          (value) => this.send({ type: 'details-instances', rack, value: { kind: 'ready', value } }),
          (error) => this.send({ type: 'details-instances', rack, value: failed(error) }),
        ),
      );
    }
    await Promise.all(tasks);
  }

  private async openChannels(): Promise<void> {
    this.send({ type: 'channels-open' });
    try {
      this.send({ type: 'channels-loaded', value: { kind: 'ready', value: await this.services.channels() } });
    } catch (error) {
      this.send({ type: 'channels-loaded', value: { kind: 'failed', message: this.services.describeError(error) } });
    }
  }

  /** Plans, confirms and runs one operation on a rack, then reads the rack again. */
  private async run(rack: string, label: string, operation: Operation): Promise<void> {
    if (this.following) return;
    const following = new AbortController();
    this.following = following;
    this.send({ type: 'operation-planning', rack, label });
    try {
      const outcome = await operation({
        signal: following.signal,
        reporter: { emit: (event) => this.send({ type: 'operation-event', event, now: this.now() }) },
        confirm: (plan) =>
          new Promise<void>((resolve, reject) => {
            // Closed while planning: nobody is left to say yes.
            if (this.stopped || following.signal.aborted) return reject(new Cancelled());
            this.send({ type: 'operation-confirm', plan });
            this.answer = (yes) => {
              this.answer = undefined;
              if (!yes) return reject(new Cancelled());
              this.send({ type: 'operation-running', title: plan.title, now: this.now() });
              resolve();
            };
          }),
      });
      this.send({ type: 'operation-finished', outcome, now: this.now() });
    } catch (error) {
      if (isCancelled(error)) {
        this.send({ type: 'operation-finished', outcome: { ok: true, text: 'Cancelled.' }, now: this.now() });
        this.send({ type: 'back' });
        this.send({
          type: 'notice',
          notice: { text: `The ${label} of ${rack} was cancelled; nothing was changed.`, tone: 'info' },
        });
      } else {
        this.send({
          type: 'operation-finished',
          outcome: { ok: false, text: this.services.describeError(error) },
          now: this.now(),
        });
      }
    } finally {
      this.following = undefined;
    }
    await this.refreshRack(rack);
  }

  private send(action: DashboardAction): void {
    if (!this.stopped) this.dispatch(action);
  }

  private now(): number {
    return this.services.now().getTime();
  }
}
