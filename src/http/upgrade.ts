// WebSocket upgrades, decided before the handshake: rate limit and credentials (401/429),
// Origin (403), route and domain (404), ACL (403), console availability (the hub's answer).
// A refusal is an HTTP response on the raw socket; only an accepted request is handed to `ws`
// and then to the hub. Every upgraded socket is tracked so shutdown can close it with a reason.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { browserLabel, windowTag } from '../bridge/label.js';
import type { ConsoleHub, ConsoleSession, SerialAttachOptions, SpiceAttachOptions } from '../bridge/types.js';
import type { VmRegistry } from '../discovery/types.js';
import { VwcError } from '../errors/index.js';
import type { Principal } from './access.js';
import type { AuthOutcome, Authenticator } from './auth/authenticate.js';
import type { ConsoleRef } from './auth/tickets.js';
import { originAllowed, type ClientInfo, type ClientResolver } from './client.js';
import { refuseUpgrade, toVwcError } from './respond.js';
import { safeUrl } from './log.js';

/**
 * A fleet host's check of an entry's ticket (src/fleet): the principal it grants, or why not;
 * null when `ticket` is not a fleet ticket (then the daemon's own tickets are tried).
 */
export type FleetTicketCheck = (ticket: string, domain: string, console: string) => AuthOutcome | null;

export interface UpgradeDeps {
  readonly auth: Authenticator;
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly clientOf: ClientResolver;
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
  /** Frames above this size close the socket (1009). */
  readonly maxPayload?: number;
  /**
   * Every open WebSocket is pinged this often; one that has not answered the previous ping by
   * the next is terminated (default 30 s). It catches peers gone without a word (a suspended
   * laptop, a dropped network) that would otherwise hold a VNC viewer slot and its QEMU
   * connection, or a serial input lock, until TCP gives up hours later. A browser that stops
   * reading for that long cannot answer either (the ping waits behind unread data) and goes too.
   */
  readonly pingIntervalMs?: number;
  /** Entry tickets on a fleet host: they stand in for the login and the Origin check. */
  readonly fleetTicket?: FleetTicketCheck;
}

interface Route {
  readonly consoleRef: ConsoleRef;
  /** `/ws/vnc/<domain>/control`: the VNC presence and input-lock channel (docs/vnc.md). */
  readonly vncControl?: true;
  /** `?window=`: the tag the page chose for its window (presence), when short and plain. */
  readonly window?: string;
  readonly options: SerialAttachOptions;
  readonly spice?: SpiceAttachOptions;
  readonly ticket: string | null;
}

/** Parses `/ws/serial/<domain>/<n>`, `/ws/vnc/<domain>` and `/ws/spice/<domain>[?takeover=1]`; segments are decoded once. */
export function parseWsRoute(url: string): Route {
  const parsed = new URL(url, 'http://x');
  const segments = parsed.pathname.split('/').slice(1);
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    throw new VwcError('VWC_ERR_BAD_REQUEST', 'malformed percent-encoding in the path');
  }
  const ticket = parsed.searchParams.get('ticket');
  const tag = windowTag(parsed.searchParams.get('window'));
  const window = tag === undefined ? {} : { window: tag };
  const [ws, kind, domain, index, ...rest] = decoded;
  if (ws !== 'ws' || domain === undefined || domain === '' || rest.length > 0) {
    throw new VwcError('VWC_ERR_NOT_FOUND', 'no such WebSocket route');
  }
  if (kind === 'vnc' && index === undefined)
    return { consoleRef: { kind: 'vnc', domain }, options: {}, ticket, ...window };
  if (kind === 'vnc' && index === 'control')
    return { consoleRef: { kind: 'vnc', domain }, options: {}, ticket, vncControl: true, ...window };
  if (kind === 'spice' && index === undefined) {
    const takeover = parsed.searchParams.get('takeover') === '1';
    return { consoleRef: { kind: 'spice', domain }, options: {}, spice: { takeover }, ticket, ...window };
  }
  if (kind === 'serial' && index !== undefined && /^\d{1,6}$/.test(index)) {
    const options: { from?: number; last?: number } = {};
    for (const name of ['from', 'last'] as const) {
      const value = parsed.searchParams.get(name);
      if (value === null) continue;
      if (!/^\d{1,15}$/.test(value)) {
        throw new VwcError('VWC_ERR_BAD_REQUEST', `${name} must be a non-negative whole number`);
      }
      options[name] = Number(value);
    }
    return { consoleRef: { kind: 'serial', domain, index: Number(index) }, options, ticket, ...window };
  }
  throw new VwcError('VWC_ERR_NOT_FOUND', 'no such WebSocket route');
}

/** The console a route opens, as fleet tickets name it: vnc, vnc-control, spice, serial/<n>. */
function consoleName(route: Route): string {
  const { consoleRef } = route;
  if (consoleRef.kind === 'serial') return `serial/${consoleRef.index}`;
  return route.vncControl ? 'vnc-control' : consoleRef.kind;
}

type Decision =
  | { readonly route: Route; readonly principal: Principal; readonly vmName: string }
  | { readonly error: VwcError; readonly retryAfter?: number };

export class UpgradeHandler {
  private readonly wss: WebSocketServer;
  /** Raw sockets between `upgrade` and the end of the handshake or refusal. */
  private readonly pending = new Set<Duplex>();
  /** Open WebSockets: neither wss.close() nor server.closeAllConnections() reach them. */
  readonly sockets = new Set<WebSocket>();
  private closing = false;
  /** WebSockets pinged and not heard from since. */
  private readonly unanswered = new Set<WebSocket>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly deps: UpgradeDeps) {
    this.pinger = setInterval(() => {
      this.pingAll();
    }, deps.pingIntervalMs ?? 30_000);
    this.pinger.unref();
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.maxPayload ?? 1024 * 1024,
      clientTracking: false,
      // Never negotiated: the bridges write their server frames straight on the socket,
      // uncompressed (relay/frames.ts).
      perMessageDeflate: false,
      // noVNC asks for `binary`; pick it when offered, otherwise no subprotocol.
      handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    });
  }

  /** The server's `upgrade` listener. */
  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.pending.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.pending.delete(socket));
    this.decide(req, socket, head).catch((error: unknown) => {
      this.deps.logger.error({ err: error, url: safeUrl(req.url) }, 'upgrade failed');
      refuseUpgrade(socket, toVwcError(error));
    });
  };

  /** Every check, in order; the accepted route and principal, or why not. */
  private async check(req: IncomingMessage, client: ClientInfo): Promise<Decision> {
    const { auth, registry, hub } = this.deps;
    if (this.closing) return { error: new VwcError('VWC_ERR_SHUTTING_DOWN', 'the server is shutting down') };
    let route: Route | null = null;
    let routeError: VwcError | null = null;
    try {
      route = parseWsRoute(req.url ?? '/');
    } catch (error) {
      routeError = toVwcError(error);
    }
    // A fleet ticket is signed by the entry that logged the user in and checked the ACL: it
    // replaces this daemon's login, and its Origin check (the page lives on the entry's site).
    // A refused one counts as a failed login from this address (Authenticator.fleetTicket).
    const fleetTicket = this.deps.fleetTicket;
    const ticket = route?.ticket ?? null;
    const fleet =
      route !== null && ticket !== null && fleetTicket
        ? auth.fleetTicket(client, () => fleetTicket(ticket, route.consoleRef.domain, consoleName(route)))
        : null;
    // Credentials first: an anonymous caller learns nothing about routes or domains.
    const outcome =
      fleet ?? (await auth.upgrade(req, client, route?.consoleRef ?? null, route?.ticket ?? null));
    if (!outcome.ok) return outcome;
    if (fleet === null && !originAllowed(req, client, this.deps.allowedOrigins)) {
      return {
        error: new VwcError('VWC_ERR_ORIGIN', 'cross-origin WebSocket refused: Origin does not match Host'),
      };
    }
    if (route === null) return { error: routeError ?? new VwcError('VWC_ERR_NOT_FOUND', 'not found') };
    const { consoleRef } = route;
    const vm = registry.get(consoleRef.domain);
    if (!vm) return { error: new VwcError('VWC_ERR_NOT_FOUND', 'no such domain') };
    if (!outcome.principal.canSee(vm.name)) {
      return { error: new VwcError('VWC_ERR_FORBIDDEN', 'your account may not open this domain') };
    }
    const available =
      consoleRef.kind === 'serial'
        ? hub.serialAvailable(vm.name, consoleRef.index)
        : consoleRef.kind === 'spice'
          ? hub.spiceAvailable(vm.name)
          : route.vncControl
            ? hub.vncControlAvailable(vm.name)
            : hub.vncAvailable(vm.name);
    if (!available.ok) return { error: available.error };
    return { route, principal: outcome.principal, vmName: vm.name };
  }

  private async decide(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { hub, logger } = this.deps;
    const client = this.deps.clientOf(req);
    const decision = await this.check(req, client);
    if ('error' in decision) {
      const { error } = decision;
      logger.info(
        { url: safeUrl(req.url), client: client.address, code: error.code, status: error.httpStatus },
        'upgrade refused',
      );
      refuseUpgrade(socket, error, 'retryAfter' in decision ? decision.retryAfter : undefined);
      return;
    }
    if (socket.destroyed || this.closing) return;
    const { route, principal, vmName } = decision;
    const { consoleRef } = route;
    const session: ConsoleSession = {
      user: principal.user,
      role: principal.role,
      clientAddress: client.address,
      label: browserLabel(req.headers['user-agent']),
      ...(route.window === undefined ? {} : { window: route.window }),
    };
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending.delete(socket);
      this.sockets.add(ws);
      ws.on('pong', () => {
        this.unanswered.delete(ws);
      });
      const fields = {
        user: session.user,
        role: session.role,
        domain: vmName,
        console:
          consoleRef.kind === 'serial'
            ? `serial${consoleRef.index}`
            : route.vncControl
              ? 'vnc-control'
              : consoleRef.kind,
        client: session.clientAddress,
        via: principal.via,
      };
      logger.info(fields, 'console attach');
      // A protocol error from the browser (bad opcode, oversized frame) is emitted on the
      // WebSocket; without a listener it would be an uncaught exception that ends the daemon.
      // The hub adds its own listeners, but not on every refusal path.
      ws.on('error', (error) => {
        logger.debug({ ...fields, err: error.message }, 'console websocket error');
      });
      ws.once('close', (code, reason) => {
        this.sockets.delete(ws);
        this.unanswered.delete(ws);
        logger.info({ ...fields, code, reason: reason.toString() }, 'console detach');
      });
      try {
        if (consoleRef.kind === 'vnc' && route.vncControl) hub.attachVncControl(ws, vmName, session);
        else if (consoleRef.kind === 'vnc') hub.attachVnc(ws, socket, vmName, session);
        else if (consoleRef.kind === 'spice') hub.attachSpice(ws, socket, vmName, session, route.spice ?? {});
        else hub.attachSerial(ws, socket, vmName, consoleRef.index, session, route.options);
      } catch (error) {
        const vwc = toVwcError(error);
        logger.error({ ...fields, err: error }, 'console attach failed');
        // At most 123 bytes of UTF-8 (ws throws beyond): cut bytes, not characters.
        ws.close(vwc.wsCloseCode, Buffer.from(vwc.message).subarray(0, 120).toString());
      }
    });
  }

  private pingAll(): void {
    for (const ws of this.sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (this.unanswered.has(ws)) {
        this.deps.logger.info('console websocket did not answer a ping in time: terminated');
        ws.terminate();
        continue;
      }
      this.unanswered.add(ws);
      ws.ping();
    }
  }

  /** Refuses new upgrades and closes every open WebSocket with 1001 and `reason`. */
  closeAll(reason: string): void {
    this.closing = true;
    clearInterval(this.pinger);
    for (const socket of this.pending) socket.destroy();
    for (const ws of this.sockets) ws.close(1001, reason);
  }

  /** Cuts sockets that did not finish their closing handshake. */
  terminateAll(): void {
    clearInterval(this.pinger);
    for (const ws of this.sockets) ws.terminate();
  }
}
