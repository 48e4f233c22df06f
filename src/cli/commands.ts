/** Every command, registered in one place. `--help` lists only these, and each of them works. */
import type { AnyCommand } from './command.js';
import channel from './channel/index.js';
import channels from './channels.js';
import params from './params/index.js';
import racks from './racks/index.js';
import releases from './releases.js';
import rollout from './rollout/index.js';
import update from './update.js';
import status from './status.js';
import history from './history.js';
import unlock from './unlock.js';
import install from './install.js';
import uninstall from './uninstall.js';
import rollback from './rollback.js';
import cancel from './cancel.js';
import ui from './ui.js';
import sync from './sync.js';
import instances from './instances/index.js';

export const commands: AnyCommand[] = [
  racks,
  status,
  update,
  rollback,
  cancel,
  params,
  history,
  unlock,
  channels,
  releases,
  channel,
  install,
  uninstall,
  sync,
  rollout,
  instances,
  ui,
];
