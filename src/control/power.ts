// Runs power actions: libvirt domains through the virsh runner, socket-folder VMs through their
// QMP socket. Every outcome is returned as a typed error or success; the caller audits it.
import type { Vm } from '../discovery/types.js';
import type { VirshRunner } from '../discovery/virsh.js';
import { VirshError } from '../discovery/virsh.js';
import { VwcError, isVwcError } from '../errors/index.js';
import { QMP_COMMAND, supportedActions, virshActionError, virshArgs, type PowerAction } from './actions.js';
import { QmpCommandError, qmpCommand, type QmpOptions } from './qmp.js';

export interface PowerControlDeps {
  /** The same runner discovery uses (its timeout, output limit and cancel-on-shutdown). */
  readonly virsh: VirshRunner;
  /** QMP client override (tests); default `qmpCommand`. */
  readonly qmp?: typeof qmpCommand;
  readonly qmpOptions?: QmpOptions;
  /** virsh timeout per action, ms; default 30 000 (a `virsh shutdown` returns at once anyway). */
  readonly timeoutMs?: number;
}

export interface PowerControl {
  /** Resolves when libvirt or QEMU accepted the action; rejects with a VwcError otherwise. */
  run(vm: Vm, action: PowerAction): Promise<void>;
}

export function createPowerControl(deps: PowerControlDeps): PowerControl {
  const qmp = deps.qmp ?? qmpCommand;
  const timeoutMs = deps.timeoutMs ?? 30_000;

  async function viaVirsh(vm: Vm, action: PowerAction): Promise<void> {
    try {
      await deps.virsh.run(virshArgs(action, vm.name), { timeoutMs });
    } catch (error) {
      if (error instanceof VirshError && error.code === 'VWC_ERR_VIRSH_FAILED') {
        throw virshActionError(action, error.stderr, error);
      }
      throw error;
    }
  }

  async function viaQmp(vm: Vm, action: PowerAction): Promise<void> {
    const command = QMP_COMMAND[action];
    if (!vm.qmp || command === undefined) {
      throw new VwcError(
        'VWC_ERR_ACTION_UNSUPPORTED',
        vm.qmp
          ? `${action} is not possible for a VM started without libvirt`
          : `${action} needs a QMP socket (${vm.name}.qmp in the socket folder)`,
      );
    }
    if (vm.state !== 'running' && vm.state !== 'paused') {
      throw new VwcError('VWC_ERR_ACTION_CONFLICT', 'domain is not running');
    }
    try {
      await qmp(vm.qmp, command, undefined, deps.qmpOptions);
    } catch (error) {
      if (error instanceof QmpCommandError) {
        throw new VwcError('VWC_ERR_ACTION_CONFLICT', error.desc, { cause: error });
      }
      if (isVwcError(error)) throw error;
      throw new VwcError('VWC_ERR_ACTION_FAILED', `QMP ${command} failed`, { cause: error });
    }
  }

  return {
    async run(vm, action) {
      if (!supportedActions(vm).includes(action)) {
        throw new VwcError(
          'VWC_ERR_ACTION_UNSUPPORTED',
          vm.source === 'libvirt' || vm.qmp
            ? `${action} is not possible for a VM started without libvirt`
            : `this VM has no QMP socket (${vm.name}.qmp in its socket folder), so no power actions`,
        );
      }
      if (vm.source === 'libvirt') await viaVirsh(vm, action);
      else await viaQmp(vm, action);
    },
  };
}
