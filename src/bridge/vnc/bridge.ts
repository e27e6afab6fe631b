// The VNC side of the console hub: per VM, the set of open relays; limits; lifecycle.
// QEMU serves several VNC clients on one socket, so every browser gets its own upstream.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { VwcError } from '../../errors/index.js';
import type { Vm } from '../../discovery/types.js';
import type { Availability, ConsoleSession } from '../types.js';
import { RelaySet, truncate, type SocketFactory } from '../relay/index.js';
import { VncControl, type InputLockMode, type VncRecordingInfo } from './control.js';
import { attachControlSocket } from './control-socket.js';
import { createVncRelay } from './relay.js';

export interface VncBridgeOptions {
  readonly logger: Logger;
  /** Browser connections per VM; the next one is refused with VWC_ERR_VNC_LIMIT. */
  readonly maxViewersPerVm: number;
  /** Largest WebSocket frame accepted from a browser (also set maxPayload on the server). */
  readonly maxFrameBytes: number;
  /** Opens upstream sockets; default net.connect. */
  readonly connect?: SocketFactory;
  /** Browser bytes queued towards a QEMU websocket upstream before the browser is paused. Default 1 MiB. */
  readonly highWaterMark?: number;
  /** Silence after connecting that means a QEMU websocket listener. Default 1500 ms. */
  readonly detectMs?: number;
  /** Longest clipboard text a browser may send. Default 10 MiB. */
  readonly maxCutTextBytes?: number;
  /** Wait for a VM-stopped notice after QEMU closes a connection. Default 3000 ms. */
  readonly upstreamCloseGraceMs?: number;
  /**
   * Whose input reaches a VM (control.ts): `exclusive` (one operator at a time, the default) or
   * `shared` (every operator's), per VM name; read when the VM's first connection comes.
   */
  readonly inputLock?: (vmName: string) => InputLockMode;
  /** The VM's recording under way, shown to its watchers (recording/). */
  readonly recordingOf?: (vmName: string) => VncRecordingInfo | null;
}

export interface VncBridge {
  available(vm: Vm): Availability;
  /**
   * Takes over an open WebSocket (subprotocol `binary`) and the socket under it (as handed to
   * handleUpgrade: server frames are written on it directly); refuses it with a close code if
   * unavailable.
   */
  attach(ws: WebSocket, socket: Duplex, vm: Vm, session: ConsoleSession): void;
  /** Whether the VM's control channel may be opened: it has VNC and the daemon is not stopping. */
  controlAvailable(vm: Vm): Availability;
  /** Takes over an open WebSocket as the VM's control channel (presence, input lock). */
  attachControl(ws: WebSocket, vm: Vm, session: ConsoleSession): void;
  /** Closes the VM's viewers with 'domain stopped' when it is no longer running. */
  vmChanged(vm: Vm, previous: Vm): void;
  /** Closes the VM's viewers with 'domain stopped'. */
  vmRemoved(vm: Vm): void;
  /** Closes every viewer with `reason` (1001) and waits for the sockets to close. */
  stop(reason: string): Promise<void>;
  viewerCount(vmName: string): number;
  /** A recording of the VM started or stopped: its watchers are told. */
  recordingChanged(vmName: string, recording: VncRecordingInfo | null): void;
}

/** libvirt states in which QEMU (and its VNC server) is gone. */
const STOPPED_STATES: ReadonlySet<string> = new Set(['shutoff', 'crashed']);

export function isVmStopped(vm: Vm): boolean {
  return STOPPED_STATES.has(vm.state);
}

function domainStopped(): VwcError {
  return new VwcError('VWC_ERR_DOMAIN_STOPPED', 'domain stopped');
}

export function createVncBridge(options: VncBridgeOptions): VncBridge {
  const log = options.logger.child({ component: 'vnc' });
  const relays = new RelaySet();
  /** Per VM with a relay or a control channel open: its input lock and presence. */
  const controls = new Map<string, VncControl>();
  const controlOf = (vmName: string): VncControl => {
    let control = controls.get(vmName);
    if (!control) {
      control = new VncControl(
        options.inputLock?.(vmName) ?? 'exclusive',
        options.recordingOf?.(vmName) ?? null,
      );
      controls.set(vmName, control);
    }
    return control;
  };
  const forgetControl = (vmName: string): void => {
    if (controls.get(vmName)?.empty) controls.delete(vmName);
  };
  const connect: SocketFactory = options.connect ?? ((o) => net.connect(o));
  let stopping = false;

  const closeAll = (vmName: string, error: VwcError): void => {
    relays.closeVm(vmName, error);
  };

  const available = (vm: Vm): Availability => {
    if (stopping)
      return { ok: false, error: new VwcError('VWC_ERR_VNC_UNAVAILABLE', 'the daemon is stopping') };
    if (!vm.vnc) {
      return { ok: false, error: new VwcError('VWC_ERR_VNC_UNAVAILABLE', `${vm.name} has no VNC console`) };
    }
    if (isVmStopped(vm)) return { ok: false, error: domainStopped() };
    if (!vm.vnc.target) {
      return {
        ok: false,
        error: new VwcError('VWC_ERR_VNC_UNAVAILABLE', `the VNC address of ${vm.name} is not known yet`),
      };
    }
    const count = relays.count(vm.name);
    if (count >= options.maxViewersPerVm) {
      return {
        ok: false,
        error: new VwcError(
          'VWC_ERR_VNC_LIMIT',
          `${vm.name} already has ${count} VNC viewers (limit ${options.maxViewersPerVm})`,
        ),
      };
    }
    return { ok: true };
  };

  return {
    available,

    attach(ws, socket, vm, session) {
      // The browser may have gone between the upgrade and now: no 'close' would ever come.
      if (ws.readyState !== WebSocket.OPEN) return;
      const verdict = available(vm);
      if (!verdict.ok || !vm.vnc?.target) {
        const error = verdict.ok ? domainStopped() : verdict.error;
        log.info(
          { vm: vm.name, user: session.user, code: error.code },
          `vnc viewer refused: ${error.message}`,
        );
        // A reason is at most 123 bytes of UTF-8; a domain name in it may be non-ASCII.
        ws.close(error.wsCloseCode, truncate(error.message));
        return;
      }
      const relay = createVncRelay({
        ws,
        socket,
        vmName: vm.name,
        target: vm.vnc.target,
        session,
        logger: log,
        connect,
        maxFrameBytes: options.maxFrameBytes,
        highWaterMark: options.highWaterMark ?? 1024 * 1024,
        detectMs: options.detectMs ?? 1500,
        maxCutTextBytes: options.maxCutTextBytes ?? 10 * 1024 * 1024,
        upstreamCloseGraceMs: options.upstreamCloseGraceMs ?? 3000,
        seat: controlOf(vm.name).join(session),
        onClosed: (closed) => {
          relays.remove(closed);
          forgetControl(closed.vmName);
        },
      });
      relays.add(relay);
    },

    controlAvailable(vm) {
      if (stopping)
        return { ok: false, error: new VwcError('VWC_ERR_VNC_UNAVAILABLE', 'the daemon is stopping') };
      if (!vm.vnc)
        return { ok: false, error: new VwcError('VWC_ERR_VNC_UNAVAILABLE', `${vm.name} has no VNC console`) };
      return { ok: true };
    },

    attachControl(ws, vm, session) {
      if (ws.readyState !== WebSocket.OPEN) return;
      attachControlSocket(ws, controlOf(vm.name), session, () => {
        forgetControl(vm.name);
      });
    },

    vmChanged(vm, previous) {
      // A new libvirt id means a new QEMU (stopped and started between two registry updates).
      const restarted = previous.id !== null && vm.id !== null && vm.id !== previous.id;
      if (isVmStopped(vm) || restarted || (previous.vnc !== null && vm.vnc === null)) {
        closeAll(vm.name, domainStopped());
      }
    },

    vmRemoved(vm) {
      closeAll(vm.name, domainStopped());
    },

    async stop(reason) {
      stopping = true;
      await relays.stop(reason);
    },

    viewerCount(vmName) {
      return relays.count(vmName);
    },

    recordingChanged(vmName, recording) {
      controls.get(vmName)?.setRecording(recording);
    },
  };
}
