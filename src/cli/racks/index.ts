import { defineCommand } from '../command.js';
import add from './add.js';
import discover from './discover.js';
import list from './list.js';
import remove from './remove.js';
import show from './show.js';

export default defineCommand({
  command: 'racks',
  describe: 'Register, list, show, discover and remove racks',
  subcommands: [list, show, add, discover, remove],
});
