// A STAND-IN for src/http, used only to test the browser pages (web/) on their own; the real
// HTTP layer is tested separately, and the lead runs these pages against the real daemon.
// It speaks the agreement in docs/interfaces.md: static shells and /assets from dist/web, Basic
// auth, /api/session, /api/domains, SSE /api/events, tickets, a serial WebSocket that plays a
// tiny echoing tty with history and offsets, and a VNC WebSocket piped to a real guest's VNC
// UNIX socket.
import http from 'node:http';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DomainItem, Role, SourceStatus } from '../../../web/lib/types.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface FakeUser {
  readonly password: string;
  readonly role: Role;
}

interface Principal {
  readonly user: string;
  readonly role: Role;
}

/** One serial client as the fake sees it. */
interface SerialPeer {
  readonly id: string;
  readonly principal: Principal;
  readonly ws: WebSocket;
}

/** A serial console: history from offset 0, an echoing "tty", presence and the write lock. */
export class FakeSerial {
  history = Buffer.alloc(0);
  readonly peers = new Set<SerialPeer>();
  /** Console bytes received from clients, in arrival order, with who sent them. */
  readonly input: { user: string; bytes: Buffer }[] = [];
  readonly controls: { user: string; message: unknown }[] = [];
  /** The query of every WebSocket that attached (from=, last=). */
  readonly attaches: URLSearchParams[] = [];
  lock: { id: string; user: string } | null = null;
  vm = { state: 'running', boot: 1 };
  /** Echo typed input back as console output, like a tty in cooked mode. */
  echo = true;
  private nextId = 0;

  inputText(): string {
    return Buffer.concat(this.input.map((i) => i.bytes)).toString('utf8');
  }

  output(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.history = Buffer.concat([this.history, bytes]);
    for (const peer of this.peers) peer.ws.send(bytes, { binary: true });
  }

  /**
   * Output that every client misses (as when it falls behind). Like the bridge: a visible marker
   * stands in for the first skipped bytes, then a `gap` message moves clients past the range.
   */
  skipAhead(data: string): void {
    const from = this.history.length;
    this.history = Buffer.concat([this.history, Buffer.from(data, 'utf8')]);
    const to = this.history.length;
    const text = `\r\n[virt-webconsole: ${to - from} bytes skipped, client fell behind]\r\n`;
    const marker = Buffer.from(text.length <= to - from ? text : '', 'latin1');
    for (const peer of this.peers) {
      if (marker.length > 0) peer.ws.send(marker, { binary: true });
      peer.ws.send(JSON.stringify({ type: 'gap', from, to, reason: 'slow-client', marker: marker.length }));
    }
  }

  setVm(state: string, boot: number): void {
    this.vm = { state, boot };
    this.broadcast({ type: 'vm', state, boot });
  }

  /** Drops every client's socket without a close handshake, as a network failure would. */
  dropAll(): void {
    for (const peer of this.peers) peer.ws.terminate();
  }

  attach(ws: WebSocket, principal: Principal, query: URLSearchParams): void {
    this.attaches.push(query);
    const end = this.history.length;
    const from = query.get('from');
    const last = query.get('last');
    const start = from !== null ? Math.min(Number(from), end) : Math.max(0, end - Number(last ?? end));
    this.nextId += 1;
    const peer: SerialPeer = { id: `c${this.nextId}`, principal, ws };
    this.peers.add(peer);
    ws.send(
      JSON.stringify({
        type: 'hello',
        clientId: peer.id,
        user: principal.user,
        role: principal.role,
        offset: start,
        history: { start: 0, end },
        vm: this.vm,
        lock: this.lock,
        clients: this.clients(),
      }),
    );
    if (start < end) ws.send(this.history.subarray(start), { binary: true });
    this.broadcast({ type: 'presence', clients: this.clients(), count: this.peers.size });
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.onInput(peer, data);
      else this.onControl(peer, data.toString('utf8'));
    });
    ws.on('close', () => {
      this.peers.delete(peer);
      if (this.lock?.id === peer.id) this.setLock(null);
      this.broadcast({ type: 'presence', clients: this.clients(), count: this.peers.size });
    });
  }

  private clients(): { id: string; user: string; role: Role }[] {
    return [...this.peers].map((p) => ({ id: p.id, user: p.principal.user, role: p.principal.role }));
  }

  private broadcast(message: object): void {
    const text = JSON.stringify(message);
    for (const peer of this.peers) peer.ws.send(text);
  }

  private setLock(holder: SerialPeer | null): void {
    this.lock = holder ? { id: holder.id, user: holder.principal.user } : null;
    this.broadcast({ type: 'lock', holder: this.lock });
  }

  private onInput(peer: SerialPeer, bytes: Buffer): void {
    // Recorded even when dropped, so tests see what a browser tried to send.
    this.input.push({ user: peer.principal.user, bytes });
    if (peer.principal.role !== 'operator') return;
    if (this.lock === null) this.setLock(peer);
    if (this.lock?.id !== peer.id) return;
    if (this.echo) this.output(Buffer.from(bytes.toString('latin1').replace(/\r/g, '\r\n'), 'latin1'));
  }

  private onControl(peer: SerialPeer, text: string): void {
    let message: { type?: unknown };
    try {
      message = JSON.parse(text) as { type?: unknown };
    } catch {
      return;
    }
    this.controls.push({ user: peer.principal.user, message });
    if (peer.principal.role !== 'operator') return;
    if (message.type === 'take-lock') this.setLock(peer);
    if (message.type === 'release-lock' && this.lock?.id === peer.id) this.setLock(null);
  }
}

export class FakeDaemon {
  readonly domains = new Map<string, DomainItem>();
  sources: SourceStatus[] = [{ source: 'libvirt', up: true, detail: null }];
  /** Domain name → the real guest's VNC UNIX socket. */
  readonly vncSockets = new Map<string, string>();
  readonly vncAttaches: string[] = [];
  private readonly serials = new Map<string, FakeSerial>();
  private readonly tickets = new Map<string, Principal>();
  private readonly streams = new Set<http.ServerResponse>();
  private readonly vncClients = new Set<WebSocket>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });
  url = '';
  /**
   * Plays a fleet entry (docs/fleet.md) for the pages: the session says `fleet: "entry"`, rows
   * (keyed as the test likes) carry `host`, `POST /api/fleet/tickets` answers this fake's own
   * WebSocket URL; each ticket request is kept in `fleetTickets`.
   */
  fleet = false;
  readonly fleetTickets: { host: string; domain: string; console: string }[] = [];

  constructor(
    private readonly root: string,
    private readonly users: Readonly<Record<string, FakeUser>>,
  ) {
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      this.upgrade(req, socket, head);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.streams) res.end();
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  serial(domain: string, index: number): FakeSerial {
    const key = `${domain}\u0000${index}`;
    let serial = this.serials.get(key);
    if (!serial) {
      serial = new FakeSerial();
      this.serials.set(key, serial);
    }
    return serial;
  }

  /** Adds or replaces a domain and tells every event stream. */
  setDomain(item: DomainItem): void {
    const known = this.domains.has(item.name);
    this.domains.set(item.name, item);
    this.emit(known ? 'domain-changed' : 'domain-added', item);
  }

  removeDomain(name: string): void {
    this.domains.delete(name);
    this.emit('domain-removed', { name });
  }

  setSources(sources: SourceStatus[]): void {
    this.sources = sources;
    this.emit('sources', sources);
  }

  /** Closes every VNC client the way the bridge does when the VM stops. */
  closeVnc(reason: string): void {
    for (const ws of this.vncClients) ws.close(1000, reason);
  }

  emit(event: string, data: unknown): void {
    for (const res of this.streams) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private principal(req: http.IncomingMessage): Principal | null {
    const header = req.headers.authorization ?? '';
    const match = /^Basic (.+)$/.exec(header);
    if (!match?.[1]) return null;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const entry = this.users[user];
    if (!entry || entry.password !== decoded.slice(colon + 1)) return null;
    return { user, role: entry.role };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    const principal = this.principal(req);
    if (!principal) {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="virt-webconsole"',
        'content-type': 'text/plain',
      });
      res.end('authentication required');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (p === '/') return this.file(res, 'list.html');
    if (p.startsWith('/console/')) return this.file(res, 'console.html');
    if (p.startsWith('/assets/')) return this.file(res, p.slice('/assets/'.length));
    if (p === '/api/session') {
      json(res, 200, this.fleet ? { ...principal, fleet: 'entry' } : principal);
      return;
    }
    if (this.fleet && (await this.fleetApi(req, res, p, principal))) return;
    if (p === '/api/domains') {
      json(res, 200, [...this.domains.values()]);
      return;
    }
    if (p.startsWith('/api/domains/')) {
      const item = this.domains.get(decodeURIComponent(p.slice('/api/domains/'.length)));
      if (item) json(res, 200, item);
      else json(res, 404, { error: { code: 'VWC_ERR_NOT_FOUND', message: 'no such domain' } });
      return;
    }
    if (p === '/api/tickets' && req.method === 'POST') {
      const ticket = randomBytes(16).toString('hex');
      this.tickets.set(ticket, principal);
      json(res, 201, { ticket, expiresAt: new Date(Date.now() + 30_000).toISOString() });
      return;
    }
    if (p === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
      res.write(
        `event: snapshot\ndata: ${JSON.stringify({ domains: [...this.domains.values()], sources: this.sources })}\n\n`,
      );
      return;
    }
    json(res, 404, { error: { code: 'VWC_ERR_NOT_FOUND', message: 'not found' } });
  }

  private async fleetApi(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    p: string,
    principal: Principal,
  ): Promise<boolean> {
    const one = /^\/api\/fleet\/hosts\/([^/]+)\/domains\/([^/]+)$/.exec(p);
    if (one?.[1] && one[2]) {
      const [host, name] = [decodeURIComponent(one[1]), decodeURIComponent(one[2])];
      const item = [...this.domains.values()].find(
        (d) => (d as { host?: string }).host === host && d.name === name,
      );
      if (item) json(res, 200, item);
      else json(res, 404, { error: { code: 'VWC_ERR_NOT_FOUND', message: 'no such domain' } });
      return true;
    }
    if (p !== '/api/fleet/tickets' || req.method !== 'POST') return false;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      host: string;
      domain: string;
      console: string;
    };
    this.fleetTickets.push(body);
    const ticket = randomBytes(16).toString('hex');
    this.tickets.set(ticket, principal);
    const name = encodeURIComponent(body.domain);
    const where =
      body.console === 'vnc'
        ? `/ws/vnc/${name}`
        : body.console === 'vnc-control'
          ? `/ws/vnc/${name}/control`
          : `/ws/${body.console.replace('/', `/${name}/`)}`;
    json(res, 200, { ticket, url: `${this.url.replace('http:', 'ws:')}${where}?ticket=${ticket}` });
    return true;
  }

  private async file(res: http.ServerResponse, name: string): Promise<void> {
    if (name.includes('/') || name.startsWith('.')) {
      json(res, 404, { error: { message: 'not found' } });
      return;
    }
    try {
      const body = await readFile(path.join(this.root, name));
      res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      json(res, 404, { error: { message: 'not found' } });
    }
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const ticket = url.searchParams.get('ticket') ?? '';
    const principal = this.tickets.get(ticket) ?? null;
    this.tickets.delete(ticket);
    if (!principal) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      return;
    }
    const serial = /^\/ws\/serial\/([^/]+)\/(\d+)$/.exec(url.pathname);
    const vnc = /^\/ws\/vnc\/([^/]+)$/.exec(url.pathname);
    if (serial?.[1] && serial[2]) {
      const domain = decodeURIComponent(serial[1]);
      const index = Number(serial[2]);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.serial(domain, index).attach(ws, principal, url.searchParams);
      });
      return;
    }
    const target = vnc?.[1] ? this.vncSockets.get(decodeURIComponent(vnc[1])) : undefined;
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    this.vncAttaches.push(url.search);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pipeVnc(ws, target);
    });
  }

  /** A plain WebSocket ↔ UNIX socket pipe (the real bridge also filters and limits). */
  private pipeVnc(ws: WebSocket, target: string): void {
    this.vncClients.add(ws);
    const upstream = net.connect(target);
    upstream.on('data', (chunk) => {
      ws.send(chunk, { binary: true });
    });
    upstream.on('close', () => {
      ws.close(1000, 'upstream closed');
    });
    upstream.on('error', () => {
      ws.close(1011, 'upstream error');
    });
    ws.on('message', (data: Buffer) => upstream.write(data));
    ws.on('close', () => {
      this.vncClients.delete(ws);
      upstream.destroy();
    });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** A domain item as the real API would give it, for a VM with `serials` serial ports. */
export function domainItem(
  name: string,
  options: {
    state?: DomainItem['state'];
    title?: string | null;
    vnc?: boolean;
    serials?: number;
    role?: Role;
  } = {},
): DomainItem {
  const state = options.state ?? 'running';
  const running = state === 'running';
  const role = options.role ?? 'operator';
  return {
    name,
    title: options.title ?? null,
    description: null,
    state,
    source: 'libvirt',
    consoles: {
      vnc: options.vnc === false ? null : { available: running, passwordSet: false },
      serials: Array.from({ length: options.serials ?? 1 }, (_, index) => ({
        index,
        label: `serial${index}`,
        kind: 'pty',
        available: running,
      })),
      unsupportedGraphics: [],
    },
    access: { role, canType: role === 'operator' },
    actions: [],
  };
}
