/**
 * `renderDashboard(ctx)`: the dashboard on the terminal, until `q`. Commands call this and never touch
 * JSX. It draws on stderr (stdout carries only results), on the terminal's alternate screen, so that
 * quitting gives the terminal back as it was.
 */
import { render } from 'ink';
import type { Context } from '../context.js';
import { DashboardApp, DEFAULT_OPTIONS, type DashboardOptions } from './dashboard/App.js';
import { contextServices } from './dashboard/contextServices.js';
import { dashboardReducer, initialDashboard } from './model/dashboardState.js';
import { createStore } from './store.js';

const ALTERNATE_SCREEN = '\u001b[?1049h';
const MAIN_SCREEN = '\u001b[?1049l';

export async function renderDashboard(ctx: Context, options: Partial<DashboardOptions> = {}): Promise<number> {
  const terminal = ctx.io.stderr as NodeJS.WriteStream;
  const store = createStore(
    dashboardReducer,
    initialDashboard({ rows: terminal.rows || 24, columns: terminal.columns || 80 }, ctx.clock.now().getTime()),
  );
  const services = contextServices(ctx, {
    emit: (event) => {
      if (event.type === 'warning')
        store.dispatch({ type: 'notice', notice: { text: `Warning: ${event.text}`, tone: 'info' } });
    },
  });
  terminal.write(ALTERNATE_SCREEN);
  try {
    const instance = render(
      <DashboardApp services={services} store={store} options={{ ...DEFAULT_OPTIONS, ...options }} />,
      {
        stdout: terminal,
        stderr: terminal,
        stdin: ctx.io.stdin as NodeJS.ReadStream,
        // Ctrl-C is a key here: during an operation it stops following, elsewhere it quits.
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
    await instance.waitUntilExit();
  } finally {
    terminal.write(MAIN_SCREEN);
  }
  return 0;
}
