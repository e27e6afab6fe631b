// Power actions, pure: which actions exist, which a VM supports, how each is spelled for virsh
// and for QMP, and how a refusal from libvirt becomes a typed error with libvirt's own words.
import { VwcError } from '../errors/index.js';
import type { Vm } from '../discovery/types.js';

export const POWER_ACTIONS = [
  'start',
  'shutdown',
  'reboot',
  'reset',
  'force-off',
  'pause',
  'resume',
] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** Actions the page asks to confirm: the guest gets no chance to save anything. */
export const DESTRUCTIVE_ACTIONS: readonly PowerAction[] = ['reset', 'force-off'];

export function isPowerAction(value: string): value is PowerAction {
  return (POWER_ACTIONS as readonly string[]).includes(value);
}

/** virsh's command for each action (`virsh reboot` and `shutdown`: libvirt's default mode, ACPI here). */
const VIRSH_COMMAND: Readonly<Record<PowerAction, string>> = {
  start: 'start',
  shutdown: 'shutdown',
  reboot: 'reboot',
  reset: 'reset',
  'force-off': 'destroy',
  pause: 'suspend',
  resume: 'resume',
};

/** QMP's command for each action a bare QEMU can do (it cannot start itself; it has no reboot). */
export const QMP_COMMAND: Readonly<Partial<Record<PowerAction, string>>> = {
  shutdown: 'system_powerdown',
  reset: 'system_reset',
  'force-off': 'quit',
  pause: 'stop',
  resume: 'cont',
};

const QMP_ACTIONS = POWER_ACTIONS.filter((a) => QMP_COMMAND[a] !== undefined);

/** The actions `vm` can be asked for at all (whatever its state): none for a VM without a channel. */
export function supportedActions(vm: Pick<Vm, 'source' | 'qmp'>): readonly PowerAction[] {
  if (vm.source === 'libvirt') return POWER_ACTIONS;
  return vm.qmp ? QMP_ACTIONS : [];
}

/** The actions that make sense in `state` (what the pages offer as buttons). */
export function actionsForState(supported: readonly PowerAction[], state: Vm['state']): PowerAction[] {
  const wanted: readonly PowerAction[] =
    state === 'running' || state === 'blocked'
      ? ['shutdown', 'reboot', 'reset', 'pause', 'force-off']
      : state === 'paused' || state === 'pmsuspended'
        ? ['resume', 'reset', 'force-off']
        : state === 'shutoff' || state === 'crashed' || state === 'nostate'
          ? ['start']
          : state === 'shutdown'
            ? ['force-off']
            : [];
  return wanted.filter((a) => supported.includes(a));
}

export function virshArgs(action: PowerAction, domain: string): string[] {
  return [VIRSH_COMMAND[action], '--domain', domain];
}

/**
 * libvirt's message from virsh's stderr: the last `error: …` line without its prefix
 * (`Requested operation is not valid: domain is not running`), else the last line.
 */
export function libvirtMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith('error:')).map((l) => l.slice('error:'.length).trim());
  return errors.at(-1) ?? lines.at(-1) ?? 'virsh failed without a message';
}

/** Signs that libvirtd itself, not the domain, is the problem: a server fault, not a 409. */
const DAEMON_TROUBLE =
  /failed to connect to the hypervisor|disconnected from|cannot recv data|end of file while reading/i;
const NO_DOMAIN = /failed to get domain|domain not found|no domain with matching/i;

/** The typed error for a failed `virsh <action>`: 409 with libvirt's words, 404, or 502. */
export function virshActionError(action: PowerAction, stderr: string, cause: unknown): VwcError {
  const message = libvirtMessage(stderr);
  if (DAEMON_TROUBLE.test(stderr))
    return new VwcError('VWC_ERR_ACTION_FAILED', `${action}: ${message}`, { cause });
  if (NO_DOMAIN.test(stderr)) return new VwcError('VWC_ERR_NOT_FOUND', message, { cause });
  return new VwcError('VWC_ERR_ACTION_CONFLICT', message, { cause });
}
