// Control of VMs (docs/control.md): power actions through virsh (libvirt domains) or QMP
// (socket-folder VMs with a NAME.qmp socket).
export {
  POWER_ACTIONS,
  DESTRUCTIVE_ACTIONS,
  isPowerAction,
  supportedActions,
  actionsForState,
  virshArgs,
  libvirtMessage,
  virshActionError,
  QMP_COMMAND,
  type PowerAction,
} from './actions.js';
export { qmpCommand, QmpCommandError, type QmpOptions } from './qmp.js';
export { createPowerControl, type PowerControl, type PowerControlDeps } from './power.js';
