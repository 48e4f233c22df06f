/** Every command, registered in one place. `--help` lists only these, and each of them works. */
import type { CommandDefinition } from './command.js';
import params from './params/index.js';
import racks from './racks/index.js';

export const commands: CommandDefinition<any>[] = [racks, params];
