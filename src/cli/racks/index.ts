import { defineCommand } from '../command.js';
import add from './add.js';
import discover from './discover.js';
import label from './label.js';
import list from './list.js';
import remove from './remove.js';
import show from './show.js';

export default defineCommand({
  command: 'racks',
  describe: 'Register, list, show, label, discover and remove racks',
  subcommands: [list, show, add, label, discover, remove],
});
