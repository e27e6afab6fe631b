// SerialConsoles: one SerialMux per (VM, serial port), created, updated and closed by registry
// events. This is the serial half of the ConsoleHub.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Vm, VmChange, VmRegistry } from '../../discovery/types.js';
import { VwcError } from '../../errors/index.js';
import type { Availability, ConsoleSession, HistoryRead, SerialAttachOptions } from '../types.js';
import { connectSerial, type SerialConnector } from '../upstream/index.js';
import type { ClientTransport } from './client.js';
import type { SerialLogStore } from './log/index.js';
import { SerialMux, type SerialClientHandle } from './mux.js';
import { serialOptions, type SerialOptions } from './options.js';
import { attachWebSocket, closeWithError } from './ws-adapter.js';

export interface SerialConsolesDeps {
  readonly registry: VmRegistry;
  readonly logger: Logger;
  readonly options?: Partial<SerialOptions>;
  /** Defaults to the real pty/socket/websocket connectors. */
  readonly connector?: SerialConnector;
  /** Told each slow-client resync, with the VM's name (metrics). */
  readonly onResync?: (vmName: string) => void;
  /** Serial logs on disk; none: history lives in memory only. */
  readonly logStore?: SerialLogStore;
}

export class SerialConsoles {
  readonly options: SerialOptions;
  private readonly registry: VmRegistry;
  private readonly logger: Logger;
  private readonly connector: SerialConnector;
  private readonly onResync: ((vmName: string) => void) | undefined;
  private readonly logStore: SerialLogStore | undefined;
  private readonly muxes = new Map<string, SerialMux[]>();
  private started = false;

  constructor(deps: SerialConsolesDeps) {
    this.registry = deps.registry;
    this.logger = deps.logger;
    this.options = serialOptions(deps.options);
    this.connector = deps.connector ?? connectSerial;
    this.onResync = deps.onResync;
    this.logStore = deps.logStore;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.registry.on('vm-added', this.onAdded);
    this.registry.on('vm-changed', this.onChanged);
    this.registry.on('vm-removed', this.onRemoved);
    this.registry.on('vm-reset', this.onReset);
    for (const vm of this.registry.snapshot()) this.onAdded(vm);
  }

  /** Closes every console; resolves when their logs are on disk. */
  async stop(reason: string): Promise<void> {
    this.registry.off('vm-added', this.onAdded);
    this.registry.off('vm-changed', this.onChanged);
    this.registry.off('vm-removed', this.onRemoved);
    this.registry.off('vm-reset', this.onReset);
    this.started = false;
    const error = new VwcError('VWC_ERR_SHUTTING_DOWN', reason);
    const closing: Promise<void>[] = [];
    for (const list of this.muxes.values()) {
      for (const mux of list) {
        mux.close(error);
        closing.push(mux.logClosed);
      }
    }
    this.muxes.clear();
    await Promise.all(closing);
  }

  /**
   * The mux of a port. A VM the registry knows but this has not seen yet (another listener of
   * the same registry event asking first) is taken in on the spot.
   */
  mux(vmName: string, index: number): SerialMux | undefined {
    if (this.started && !this.muxes.has(vmName)) {
      const vm = this.registry.get(vmName);
      if (vm) this.sync(vm);
    }
    return this.muxes.get(vmName)?.[index];
  }

  available(vmName: string, index: number): Availability {
    if (!this.started)
      return { ok: false, error: new VwcError('VWC_ERR_SHUTTING_DOWN', 'serial consoles are stopped') };
    const mux = this.mux(vmName, index);
    if (!mux) {
      if (!this.muxes.has(vmName))
        return { ok: false, error: new VwcError('VWC_ERR_NOT_FOUND', `no domain ${vmName}`) };
      return {
        ok: false,
        error: new VwcError('VWC_ERR_SERIAL_NOT_FOUND', `domain ${vmName} has no serial console ${index}`),
      };
    }
    const reason = mux.unavailableReason();
    if (reason !== null) return { ok: false, error: new VwcError('VWC_ERR_SERIAL_UNAVAILABLE', reason) };
    if (mux.clientCount >= this.options.maxClientsPerPort) {
      return {
        ok: false,
        error: new VwcError(
          'VWC_ERR_SERIAL_TOO_MANY_CLIENTS',
          `serial console ${index} of ${vmName} is full`,
        ),
      };
    }
    return { ok: true };
  }

  /** `socket` is the one under `ws` (as handed to handleUpgrade): console frames are written on it. */
  attach(
    ws: WebSocket,
    socket: Duplex,
    vmName: string,
    index: number,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): void {
    const availability = this.available(vmName, index);
    const mux = this.mux(vmName, index);
    if (!availability.ok || !mux) {
      closeWithError(
        ws,
        availability.ok ? new VwcError('VWC_ERR_INTERNAL', 'no serial mux') : availability.error,
      );
      return;
    }
    attachWebSocket(mux, ws, socket, session, options, this.options, this.logger);
  }

  /**
   * Attaches a client that is not a WebSocket (an SSH channel) through its own transport.
   * Throws the availability error (VwcError) when the console cannot take it.
   */
  attachClient(
    vmName: string,
    index: number,
    transport: ClientTransport,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): SerialClientHandle {
    const availability = this.available(vmName, index);
    if (!availability.ok) throw availability.error;
    const mux = this.mux(vmName, index);
    if (!mux) throw new VwcError('VWC_ERR_INTERNAL', 'no serial mux');
    return mux.attach(transport, session, options);
  }

  read(vmName: string, index: number, from: number, max: number): HistoryRead | undefined {
    return this.mux(vmName, index)?.read(from, max);
  }

  private readonly onAdded = (vm: Vm): void => {
    this.sync(vm);
  };

  private readonly onChanged = (vm: Vm, _previous: Vm, _changes: readonly VmChange[]): void => {
    this.sync(vm);
  };

  private readonly onReset = (vm: Vm): void => {
    for (const mux of this.muxes.get(vm.name) ?? []) mux.reset();
  };

  private readonly onRemoved = (vm: Vm): void => {
    const list = this.muxes.get(vm.name);
    this.muxes.delete(vm.name);
    const error = new VwcError('VWC_ERR_DOMAIN_UNDEFINED', `domain ${vm.name} was undefined`);
    for (const mux of list ?? []) mux.close(error);
  };

  /** Makes the muxes match the VM's serial ports, then lets each follow the VM's state. */
  private sync(vm: Vm): void {
    const list = this.muxes.get(vm.name) ?? [];
    while (list.length > vm.serials.length) {
      const mux = list.pop()!;
      mux.close(new VwcError('VWC_ERR_SERIAL_PORT_REMOVED', `serial console ${mux.index} was removed`));
    }
    while (list.length < vm.serials.length) {
      const index = list.length;
      list.push(
        new SerialMux({
          vmName: vm.name,
          index,
          options: this.options,
          connector: this.connector,
          logger: this.logger.child({ vm: vm.name, serial: index }),
          ...(this.onResync ? { onResync: () => this.onResync?.(vm.name) } : {}),
          ...(this.logStore ? { log: this.logStore.port(vm.name, index) } : {}),
        }),
      );
    }
    this.muxes.set(vm.name, list);
    for (const mux of list) mux.update(vm);
  }
}
