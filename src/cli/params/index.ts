import { defineCommand } from '../command.js';
import { table } from '../table.js';
import set from './set.js';

export default defineCommand({
  command: 'params',
  describe: "Show the rack's parameters (NoEcho values always masked); `params set` changes them",
  subcommands: [set],
  run: async (ctx) => {
    const { showParameters } = await import('../../services/paramsView.js');
    const shown = await showParameters(ctx, ctx.options.rack);
    ctx.result({ rack: shown.rack.name, parameters: shown.parameters }, () =>
      table(
        ['PARAMETER', 'VALUE', 'DEFAULT', 'NOECHO', 'CONSTRAINT'],
        shown.parameters.map((p) => [
          p.key,
          p.value ?? '',
          p.isDefault === null ? '?' : p.isDefault ? 'yes' : 'no',
          p.noEcho ? 'yes' : '',
          p.constraint ?? '',
        ]),
      ),
    );
  },
});
