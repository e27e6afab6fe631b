// The ConsoleHub (src/bridge/types.ts): what the HTTP layer hands authenticated WebSockets to.
// Serial consoles go to SerialConsoles (one mux per port, following the registry from start);
// VNC to the VNC bridge, told of VM changes here.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Vm, VmRegistry } from '../discovery/types.js';
import { VwcError } from '../errors/index.js';
import { SerialConsoles, closeWithError, type SerialOptions } from './serial/index.js';
import type { SerialLogStore } from './serial/log/index.js';
import type { Availability, ConsoleHub, ConsoleSession, HistoryRead, SerialAttachOptions } from './types.js';
import type { SerialConnector } from './upstream/index.js';
import { createVncBridge, type InputLockMode, type VncBridge } from './vnc/index.js';
import { createSpiceBridge, type SpiceBridge } from './spice/index.js';
import { VncRecordings, type VncRecordingOptions } from './vnc/recording/index.js';

/** The part of the VNC bridge the hub uses (so tests may inject a stand-in). */
export type VncBridgeLike = Pick<
  VncBridge,
  'available' | 'attach' | 'controlAvailable' | 'attachControl' | 'vmChanged' | 'vmRemoved' | 'stop'
> &
  Partial<Pick<VncBridge, 'recordingChanged'>>;

/** The part of the SPICE bridge the hub uses. */
export type SpiceBridgeLike = Pick<SpiceBridge, 'available' | 'attach' | 'vmChanged' | 'vmRemoved' | 'stop'>;

export interface ConsoleHubDeps {
  readonly registry: VmRegistry;
  readonly logger: Logger;
  /** Serial tunables (config.serial plus maxInputFrameBytes); defaults otherwise. */
  readonly serial?: Partial<SerialOptions>;
  /** Serial upstream connector; the real pty/socket/websocket one by default. */
  readonly serialConnector?: SerialConnector;
  /** The VNC bridge; built from `vncOptions` when not given. */
  readonly vnc?: VncBridgeLike;
  readonly vncOptions?: {
    readonly maxViewersPerVm: number;
    readonly maxFrameBytes: number;
    /** Whose input reaches a VM: docs/vnc.md "Control lock"; exclusive for every VM by default. */
    readonly inputLock?: (vmName: string) => InputLockMode;
  };
  /** The SPICE bridge; built with defaults (32 channel connections per VM) when not given. */
  readonly spice?: SpiceBridgeLike;
  /** Told each slow serial client resync, with the VM's name (metrics). */
  readonly onSerialResync?: (vmName: string) => void;
  /** Serial logs on disk (history survives restarts); none: memory only. */
  readonly serialLogStore?: SerialLogStore;
  /** VNC session recordings (docs/vnc.md "Recording") in `root`; none: recording is off. */
  readonly vncRecording?: {
    readonly root: string;
    readonly options?: Partial<VncRecordingOptions>;
    /** Where the recorder finds a VM's VNC password (src/discovery/vnc-password.ts). */
    readonly vncPassword?: (vm: Vm) => Promise<string | null>;
  };
}

export interface ConsoleHubHandle extends ConsoleHub {
  /** The serial half (per-port muxes), for tests and diagnostics. */
  readonly serial: SerialConsoles;
}

function noSuchDomain(vmName: string): VwcError {
  return new VwcError('VWC_ERR_NOT_FOUND', `no domain ${vmName}`);
}

export function createConsoleHub(deps: ConsoleHubDeps): ConsoleHubHandle {
  const { registry, logger } = deps;
  const serial = new SerialConsoles({
    registry,
    logger: logger.child({ component: 'serial' }),
    ...(deps.serial ? { options: deps.serial } : {}),
    ...(deps.serialConnector ? { connector: deps.serialConnector } : {}),
    ...(deps.onSerialResync ? { onResync: deps.onSerialResync } : {}),
    ...(deps.serialLogStore ? { logStore: deps.serialLogStore } : {}),
  });
  const recordings = deps.vncRecording
    ? new VncRecordings({
        root: deps.vncRecording.root,
        registry,
        logger,
        ...(deps.vncRecording.options ? { options: deps.vncRecording.options } : {}),
        ...(deps.vncRecording.vncPassword ? { vncPassword: deps.vncRecording.vncPassword } : {}),
        onChange: (vmName, state) => {
          vnc.recordingChanged?.(vmName, state);
        },
      })
    : undefined;
  const vnc: VncBridgeLike =
    deps.vnc ??
    createVncBridge({
      logger,
      maxViewersPerVm: deps.vncOptions?.maxViewersPerVm ?? 16,
      maxFrameBytes: deps.vncOptions?.maxFrameBytes ?? 1024 * 1024,
      ...(deps.vncOptions?.inputLock ? { inputLock: deps.vncOptions.inputLock } : {}),
      ...(recordings ? { recordingOf: (vmName: string) => recordings.state(vmName) } : {}),
    });
  const spice: SpiceBridgeLike =
    deps.spice ??
    createSpiceBridge({
      logger,
      maxConnectionsPerVm: 32,
      maxFrameBytes: deps.vncOptions?.maxFrameBytes ?? 1024 * 1024,
    });
  const onChanged = (vm: Vm, previous: Vm): void => {
    vnc.vmChanged(vm, previous);
    spice.vmChanged(vm, previous);
  };
  const onRemoved = (vm: Vm): void => {
    vnc.vmRemoved(vm);
    spice.vmRemoved(vm);
  };
  let started = false;

  return {
    serial,
    ...(recordings ? { recordings } : {}),
    start(): void {
      if (started) return;
      started = true;
      serial.start();
      recordings?.start();
      registry.on('vm-changed', onChanged);
      registry.on('vm-removed', onRemoved);
    },
    serialAvailable(vmName: string, index: number): Availability {
      return serial.available(vmName, index);
    },
    attachSerial(
      ws: WebSocket,
      socket: Duplex,
      vmName: string,
      index: number,
      session: ConsoleSession,
      options: SerialAttachOptions,
    ): void {
      serial.attach(ws, socket, vmName, index, session, options);
    },
    attachSerialClient(vmName, index, transport, session, options) {
      return serial.attachClient(vmName, index, transport, session, options);
    },
    readSerialLog(vmName, index, range) {
      if (!deps.serialLogStore || !serial.mux(vmName, index)) return null;
      return deps.serialLogStore.records(vmName, index, range);
    },
    readSerialHistory(vmName: string, index: number, from: number, max: number): HistoryRead | undefined {
      return serial.read(vmName, index, from, max);
    },
    vncAvailable(vmName: string): Availability {
      const vm = registry.get(vmName);
      return vm ? vnc.available(vm) : { ok: false, error: noSuchDomain(vmName) };
    },
    attachVnc(ws: WebSocket, socket: Duplex, vmName: string, session: ConsoleSession): void {
      const vm = registry.get(vmName);
      if (!vm) closeWithError(ws, noSuchDomain(vmName));
      else vnc.attach(ws, socket, vm, session);
    },
    spiceAvailable(vmName: string): Availability {
      const vm = registry.get(vmName);
      return vm ? spice.available(vm) : { ok: false, error: noSuchDomain(vmName) };
    },
    attachSpice(ws, socket, vmName, session, options): void {
      const vm = registry.get(vmName);
      if (!vm) closeWithError(ws, noSuchDomain(vmName));
      else spice.attach(ws, socket, vm, session, options);
    },
    vncControlAvailable(vmName: string): Availability {
      const vm = registry.get(vmName);
      return vm ? vnc.controlAvailable(vm) : { ok: false, error: noSuchDomain(vmName) };
    },
    attachVncControl(ws: WebSocket, vmName: string, session: ConsoleSession): void {
      const vm = registry.get(vmName);
      if (!vm) closeWithError(ws, noSuchDomain(vmName));
      else vnc.attachControl(ws, vm, session);
    },
    async stop(reason: string): Promise<void> {
      registry.off('vm-changed', onChanged);
      registry.off('vm-removed', onRemoved);
      started = false;
      // Recordings end first: their `end` records say `daemon stopping`, not `server closed`.
      await recordings?.stop();
      await Promise.all([serial.stop(reason), vnc.stop(reason), spice.stop(reason)]);
    },
  };
}
