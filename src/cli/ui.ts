import { usageError } from '../errors.js';
import { defineCommand } from './command.js';

export default defineCommand({
  command: 'ui',
  describe: 'Open the dashboard: racks, channels, parameters and updates with live progress (needs a terminal)',
  run: async (ctx) => {
    if (!ctx.interactive || ctx.options.json) {
      throw usageError('The dashboard needs a terminal: stdin and stderr must be terminals, CI unset, and no --json.', {
        next: 'Use `rack racks list`, `rack status` or `rack history` for plain output.',
      });
    }
    const { renderDashboard } = await import('../ui/dashboard.js');
    return renderDashboard(ctx);
  },
});
