// The SPICE side of the console hub. spice-html5 opens one WebSocket per SPICE channel, all on
// the same URL; each is relayed to its own upstream connection by the relay core
// (src/bridge/relay), after the bridge has read the channel's SpiceLinkMess from the browser
// and decided: the channel policy (viewers get no channel that acts on the guest), the session
// (one SPICE client per VM, takeover asked for, session.ts), and the filter (a viewer's main
// channel loses the agent's clipboard and file transfer, filter.ts).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { VwcError, isVwcError } from '../../errors/index.js';
import type { Vm } from '../../discovery/types.js';
import type { Availability, ConsoleSession } from '../types.js';
import {
  ByteRelay,
  RelaySet,
  describeTarget,
  openRawUpstream,
  truncate,
  type ClientFilter,
  type SocketFactory,
  type StreamTarget,
} from '../relay/index.js';
import { isVmStopped } from '../vnc/index.js';
import { PassFilter, ViewerMainFilter } from './filter.js';
import { LINK_HEADER_BYTES, CHANNEL, channelName } from './protocol.js';
import { LinkReader, type SpiceLink } from './link.js';
import { channelAllowed } from './policy.js';
import { decideMain, takenOver, type Holder } from './session.js';

export interface SpiceBridgeOptions {
  readonly logger: Logger;
  /** Open channel connections per VM (a session has 4–6); the next is refused with VWC_ERR_SPICE_LIMIT. */
  readonly maxConnectionsPerVm: number;
  /** Largest WebSocket frame accepted from a browser. */
  readonly maxFrameBytes: number;
  readonly connect?: SocketFactory;
  /** How long a browser may take to send its link message. Default 10 s. */
  readonly linkTimeoutMs?: number;
  /** Wait for a VM-stopped notice after QEMU closes a connection. Default 3000 ms. */
  readonly upstreamCloseGraceMs?: number;
}

export interface SpiceAttachOptions {
  /** The user agreed to disconnect whoever holds the SPICE console now. */
  readonly takeover?: boolean;
}

export interface SpiceBridge {
  available(vm: Vm): Availability;
  attach(ws: WebSocket, socket: Duplex, vm: Vm, session: ConsoleSession, options?: SpiceAttachOptions): void;
  vmChanged(vm: Vm, previous: Vm): void;
  vmRemoved(vm: Vm): void;
  stop(reason: string): Promise<void>;
  connectionCount(vmName: string): number;
  /** Who holds the VM's SPICE server through this daemon, if anyone. */
  holder(vmName: string): ConsoleSession | null;
}

function domainStopped(): VwcError {
  return new VwcError('VWC_ERR_DOMAIN_STOPPED', 'domain stopped');
}

function upstreamError(target: StreamTarget, what: string, cause: unknown): VwcError {
  return new VwcError('VWC_ERR_SPICE_UPSTREAM', `SPICE server at ${describeTarget(target)}: ${what}`, {
    cause,
  });
}

export function createSpiceBridge(options: SpiceBridgeOptions): SpiceBridge {
  const log = options.logger.child({ component: 'spice' });
  const relays = new RelaySet();
  const holders = new Map<string, Holder>();
  const connect: SocketFactory = options.connect ?? ((o) => net.connect(o));
  let stopping = false;

  const available = (vm: Vm): Availability => {
    if (stopping)
      return { ok: false, error: new VwcError('VWC_ERR_SPICE_UNAVAILABLE', 'the daemon is stopping') };
    const spice = vm.spice ?? null;
    if (!spice) {
      return {
        ok: false,
        error: new VwcError('VWC_ERR_SPICE_UNAVAILABLE', `${vm.name} has no SPICE console`),
      };
    }
    if (isVmStopped(vm)) return { ok: false, error: domainStopped() };
    if (!spice.target) {
      const why =
        spice.tlsPort !== null
          ? `the SPICE server of ${vm.name} has only a TLS port, which the browser client cannot speak`
          : `the SPICE address of ${vm.name} is not known yet`;
      return { ok: false, error: new VwcError('VWC_ERR_SPICE_UNAVAILABLE', why) };
    }
    const count = relays.count(vm.name);
    if (count >= options.maxConnectionsPerVm) {
      return {
        ok: false,
        error: new VwcError(
          'VWC_ERR_SPICE_LIMIT',
          `${vm.name} already has ${count} SPICE connections (limit ${options.maxConnectionsPerVm})`,
        ),
      };
    }
    return { ok: true };
  };

  const refuse = (ws: WebSocket, vmName: string, session: ConsoleSession, error: VwcError): void => {
    log.info({ vm: vmName, user: session.user, code: error.code }, `spice channel refused: ${error.message}`);
    if (ws.readyState === WebSocket.OPEN) ws.close(error.wsCloseCode, truncate(error.message));
  };

  /** The link message is whole: decide, then relay. */
  const linked = (
    ws: WebSocket,
    socket: Duplex,
    vm: Vm,
    session: ConsoleSession,
    attachOptions: SpiceAttachOptions,
    link: SpiceLink,
    bytes: Buffer,
  ): void => {
    const verdict = available(vm);
    const target = vm.spice?.target;
    if (!verdict.ok || !target) {
      refuse(ws, vm.name, session, verdict.ok ? domainStopped() : verdict.error);
      return;
    }
    const channel = channelName(link.channelType);
    if (!channelAllowed(session.role, link.channelType)) {
      refuse(
        ws,
        vm.name,
        session,
        new VwcError('VWC_ERR_SPICE_CHANNEL_REFUSED', `the ${channel} channel is not open to viewers`),
      );
      return;
    }
    let holder = holders.get(vm.name) ?? null;
    if (link.channelType === CHANNEL.main) {
      const decision = decideMain(holder, session, attachOptions.takeover === true);
      if (!decision.ok) {
        refuse(ws, vm.name, session, decision.error);
        return;
      }
      if (decision.displaced) {
        log.info(
          { vm: vm.name, user: session.user, previous: decision.displaced.session.user },
          'spice console taken over',
        );
        for (const relay of [...decision.displaced.relays]) relay.close(takenOver(session));
      }
      holder = { session, relays: new Set() };
      holders.set(vm.name, holder);
    }
    const linkLength = LINK_HEADER_BYTES + bytes.readUInt32LE(12);
    const filter: ClientFilter =
      session.role === 'viewer' && link.channelType === CHANNEL.main
        ? new ViewerMainFilter(link.commonCaps)
        : new PassFilter();
    const owner = holder;
    const relay = new ByteRelay({
      ws,
      socket,
      vmName: vm.name,
      logger: log.child({
        vm: vm.name,
        user: session.user,
        role: session.role,
        client: session.clientAddress,
        channel: `${channel}:${link.channelId}`,
      }),
      label: 'spice',
      filter,
      openUpstream: (events) =>
        openRawUpstream(
          { target, connect, error: (what, cause) => upstreamError(target, what, cause) },
          events,
        ),
      preamble: bytes.subarray(0, linkLength),
      initial: bytes.subarray(linkLength),
      maxFrameBytes: options.maxFrameBytes,
      textFrameReason: 'SPICE travels in binary frames',
      upstreamCloseGraceMs: options.upstreamCloseGraceMs ?? 3000,
      serverClosed: () => new VwcError('VWC_ERR_SPICE_UPSTREAM', 'the SPICE server closed the connection'),
      detachFields: () => (filter instanceof ViewerMainFilter ? { dropped: filter.dropped } : {}),
      onClosed: (closed) => {
        relays.remove(closed);
        owner?.relays.delete(closed);
        // The session ends with its main channel.
        if (link.channelType === CHANNEL.main && holders.get(closed.vmName) === owner) {
          holders.delete(closed.vmName);
        }
      },
    });
    relays.add(relay);
    owner?.relays.add(relay);
  };

  return {
    available,

    attach(ws, socket, vm, session, attachOptions = {}) {
      if (ws.readyState !== WebSocket.OPEN) return;
      const verdict = available(vm);
      if (!verdict.ok) {
        refuse(ws, vm.name, session, verdict.error);
        return;
      }
      // Nothing goes upstream before the link message says which channel this is.
      const reader = new LinkReader();
      const timer = setTimeout(() => {
        cleanup();
        refuse(ws, vm.name, session, new VwcError('VWC_ERR_SPICE_PROTOCOL', 'no SPICE link message in time'));
      }, options.linkTimeoutMs ?? 10_000);
      const onMessage = (data: Buffer, isBinary: boolean): void => {
        if (!isBinary) {
          cleanup();
          ws.close(1003, 'SPICE travels in binary frames');
          return;
        }
        let link: SpiceLink | null;
        try {
          link = reader.push(data);
        } catch (error) {
          cleanup();
          if (!isVwcError(error)) throw error;
          refuse(ws, vm.name, session, error);
          return;
        }
        if (link === null) return;
        cleanup();
        const bytes = reader.buffered.length === 1 ? reader.buffered[0]! : Buffer.concat(reader.buffered);
        linked(ws, socket, vm, session, attachOptions, link, bytes);
      };
      const onClose = (): void => {
        cleanup();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        ws.off('message', onMessage);
        ws.off('close', onClose);
      };
      ws.on('message', onMessage);
      ws.on('close', onClose);
    },

    vmChanged(vm, previous) {
      const restarted = previous.id !== null && vm.id !== null && vm.id !== previous.id;
      if (
        isVmStopped(vm) ||
        restarted ||
        ((previous.spice ?? null) !== null && (vm.spice ?? null) === null)
      ) {
        holders.delete(vm.name);
        relays.closeVm(vm.name, domainStopped());
      }
    },

    vmRemoved(vm) {
      holders.delete(vm.name);
      relays.closeVm(vm.name, domainStopped());
    },

    async stop(reason) {
      stopping = true;
      await relays.stop(reason);
    },

    connectionCount(vmName) {
      return relays.count(vmName);
    },

    holder(vmName) {
      return holders.get(vmName)?.session ?? null;
    },
  };
}
