import { defineCommand } from '../command.js';
import promote from './promote.js';
import publish from './publish.js';
import sign from './sign.js';
import verify from './verify.js';
import yank from './yank.js';

export default defineCommand({
  command: 'channel',
  describe:
    'Cut releases: publish, promote, yank and sign (in a local channels directory), and verify a channels source',
  subcommands: [publish, promote, yank, verify, sign],
});
