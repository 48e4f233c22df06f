/**
 * The dashboard's ink app, wired: the state store, the controller, keys, terminal size and the clock.
 * Everything it shows is the Frame (views/Frame.tsx) over the store's state. `renderDashboard`
 * (ui/dashboard.tsx) is the one entry that mounts it.
 */
import { useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import {
  dashboardReducer,
  initialDashboard,
  type DashboardAction,
  type DashboardState,
} from '../model/dashboardState.js';
import { keyIntent } from '../model/keys.js';
import { createStore, type Store } from '../store.js';
import { Frame } from '../views/Frame.js';
import { DashboardController } from './controller.js';
import type { DashboardServices } from './services.js';

export interface DashboardOptions {
  refreshMs: number;
  concurrency: number;
  /** How often the clock on elapsed times and "5m ago" moves. */
  tickMs: number;
}

export const DEFAULT_OPTIONS: DashboardOptions = { refreshMs: 30_000, concurrency: 8, tickMs: 1000 };

export type DashboardStore = Store<DashboardState, DashboardAction>;

export interface DashboardProps {
  services: DashboardServices;
  /** Given by callers that dispatch into it too (background warnings) or read it (tests). */
  store?: DashboardStore;
  options?: DashboardOptions;
}

export function DashboardApp({ services, store: given, options = DEFAULT_OPTIONS }: DashboardProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const viewport = () => ({ rows: stdout.rows || 24, columns: stdout.columns || 80 });
  // The store and its controller are made once per dashboard: a new one on every render would lose the state.
  // biome-ignore lint/correctness/useExhaustiveDependencies: made once, on mount
  const store = useMemo(
    () => given ?? createStore(dashboardReducer, initialDashboard(viewport(), services.now().getTime())),
    [],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: made once, on mount
  const controller = useMemo(
    () => new DashboardController(services, store.dispatch, { ...options, onQuit: () => exit() }),
    [],
  );
  const state = useSyncExternalStore(store.subscribe, store.getState);

  useEffect(() => {
    controller.start();
    return () => controller.stop();
  }, [controller]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the store is the one made on mount; only the terminal changes
  useEffect(() => {
    const onResize = () => store.dispatch({ type: 'resize', viewport: viewport() });
    // A store handed in was sized by its maker; the terminal has the last word.
    onResize();
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one clock for the dashboard's life
  useEffect(() => {
    const timer = setInterval(() => store.dispatch({ type: 'tick', now: services.now().getTime() }), options.tickMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }, []);

  useInput((input: string, key: Key) => {
    // Keys typed faster than they are read arrive together; each is its own key press.
    const presses = input.length > 1 && !key.ctrl && !key.meta && !/[\u0000-\u001f]/.test(input) ? [...input] : [input];
    for (const press of presses) {
      const intent = keyIntent(store.getState(), press, key);
      if (!intent) continue;
      if ('action' in intent) store.dispatch(intent.action);
      else controller.handle(intent.command);
    }
  });

  return <Frame state={state} />;
}
