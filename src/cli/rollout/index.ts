import { defineCommand } from '../command.js';
import halt from './halt.js';
import resume from './resume.js';
import status from './status.js';

export default defineCommand({
  command: 'rollout',
  describe: "Where each channel's release stands in its waves; halt and resume a release",
  subcommands: [status, halt, resume],
});
