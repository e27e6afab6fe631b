// Simulated fleet hosts: each a real HTTP server on loopback that serves the host API an entry
// follows (docs/fleet.md "Host API"): `GET /api/fleet/domains` and the `GET /api/fleet/events`
// stream (snapshot, domain-added/changed/removed, a heartbeat every second), behind a Bearer
// token. They stand in for the daemons of hosts whose VMs cannot run here (50 hosts × 200 VMs
// for bench/fleet.ts; the extra hosts of the fleet e2e test). No consoles: only the list.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DomainItem } from '../src/http/views.js';

/** A host's row as a real host serves it to an entry (operator view, one VNC, one serial). */
export function simRow(
  name: string,
  state: DomainItem['state'] = 'running',
  title: string | null = null,
): DomainItem {
  const running = state === 'running';
  return {
    name,
    title,
    description: null,
    state,
    source: 'libvirt',
    consoles: {
      vnc: { available: running, passwordSet: false },
      spice: null,
      serials: [{ index: 0, label: 'serial0', kind: 'pty', available: running }],
      unsupportedGraphics: [],
    },
    access: { role: 'operator', canType: true },
    actions: [],
  };
}

export interface SimHostOptions {
  readonly name: string;
  readonly token: string;
  /** VM names; all running unless changed. */
  readonly vms: readonly string[];
  readonly heartbeatMs?: number;
  /** Listen on this port (0: any); a restarted host keeps its port so the entry finds it again. */
  readonly port?: number;
}

export class SimHost {
  readonly rows = new Map<string, DomainItem>();
  url = '';
  /** Event streams open now (an entry's link is one). */
  readonly streams = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly server: http.Server;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Hung: connections stay open, nothing is written or answered (a frozen machine). */
  private hung = false;

  constructor(private readonly options: SimHostOptions) {
    for (const name of options.vms) this.rows.set(name, simRow(name));
    this.server = http.createServer((req, res) => {
      this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get name(): string {
    return this.options.name;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.options.port ?? 0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.heartbeat = setInterval(() => {
      if (this.hung) return;
      for (const res of this.streams) res.write(': heartbeat\n\n');
    }, this.options.heartbeatMs ?? 1_000);
  }

  /** Stops writing and answering, connections left open: only missed heartbeats tell. */
  hang(): void {
    this.hung = true;
  }

  /** Answers again (requests that came while hung stay unanswered; their callers time out). */
  resume(): void {
    this.hung = false;
  }

  /** Sets a row and tells every stream, as a host does on a libvirt event. */
  set(item: DomainItem): void {
    const known = this.rows.has(item.name);
    this.rows.set(item.name, item);
    this.emit(known ? 'domain-changed' : 'domain-added', item);
  }

  remove(name: string): void {
    if (this.rows.delete(name)) this.emit('domain-removed', { name });
  }

  /** Gone like a crashed daemon: every connection cut, no more answers. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const socket of this.sockets) socket.destroy();
    this.streams.clear();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private emit(event: string, data: unknown): void {
    if (this.hung) return;
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(text);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.hung) return;
    if (req.headers.authorization !== `Bearer ${this.options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'VWC_ERR_FLEET_TOKEN', message: 'send the fleet token' } }));
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/fleet/domains') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify([...this.rows.values()]));
      return;
    }
    if (path === '/api/fleet/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
      res.write(
        `event: snapshot\ndata: ${JSON.stringify({ domains: [...this.rows.values()], sources: [] })}\n\n`,
      );
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'VWC_ERR_NOT_FOUND', message: 'not found' } }));
  }
}

/** `count` hosts named `<prefix>1…`, each with `vms` VMs named `<host>-vm-<n>`. */
export async function startSimHosts(
  count: number,
  vms: number,
  token: string,
  prefix = 'sim',
): Promise<SimHost[]> {
  const hosts = Array.from(
    { length: count },
    (_, i) =>
      new SimHost({
        name: `${prefix}${i + 1}`,
        token,
        vms: Array.from({ length: vms }, (_, v) => `${prefix}${i + 1}-vm-${v + 1}`),
      }),
  );
  await Promise.all(hosts.map((host) => host.start()));
  return hosts;
}
