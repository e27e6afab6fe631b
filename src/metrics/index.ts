// Prometheus metrics (docs/metrics.md): one prom-client Registry made by the app and handed to
// the parts as small hooks (a hub decorator, registry listeners, callbacks); no part imports a
// global registry. Per-domain series are bounded by `maxDomainLabels`.
import type { Duplex } from 'node:stream';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WebSocket } from 'ws';
import type { ClientTransport, ConsoleHub, SerialClientHandle } from '../bridge/types.js';
import type { PowerAction } from '../control/index.js';
import type { VmRegistry } from '../discovery/types.js';

export type ConsoleKind = 'vnc' | 'spice' | 'serial' | 'ssh';

export interface MetricsOptions {
  /** Domains with series of their own; others are summed under domain="_other". */
  readonly maxDomainLabels: number;
  readonly version: string;
  /** process_* and nodejs_* metrics (default true). */
  readonly processMetrics?: boolean;
}

export interface DaemonMetrics {
  readonly registry: Registry;
  render(): Promise<{ contentType: string; body: string }>;
  /** The hub with every console attach counted (connections, bytes). */
  instrumentHub(hub: ConsoleHub): ConsoleHub;
  /** Follows discovery (events, source status) and reads domain states and serial history on scrape. */
  observe(registry: VmRegistry, hub: ConsoleHub): () => void;
  readonly login: { failure(): void; lockout(): void };
  serialResync(vmName: string): void;
  /** A port's serial log stopped (false) or resumed (true) writing. */
  serialLogWriting(writing: boolean): void;
  powerAction(action: PowerAction, result: 'ok' | 'error'): void;
  thumbnailCapture(result: 'ok' | 'error'): void;
}

/** The first `limit` domain names seen keep their own label; the rest share `_other`. */
export class DomainLabels {
  private readonly kept = new Set<string>();
  constructor(private readonly limit: number) {}
  label(name: string): string {
    if (this.kept.has(name)) return name;
    if (this.kept.size < this.limit) {
      this.kept.add(name);
      return name;
    }
    return '_other';
  }
}

interface Tracked {
  readonly kind: ConsoleKind;
  readonly domain: string;
  readonly socket: { readonly bytesRead?: number; readonly bytesWritten?: number };
  reportedIn: number;
  reportedOut: number;
}

const TOTAL_NAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createMetrics(options: MetricsOptions): DaemonMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (promtool check metrics refuses them); the same numbers are
    // in nodejs_active_handles / _requests / _resources, by type.
    for (const name of TOTAL_NAMED_GAUGES) registry.removeSingleMetric(name);
  }
  const labels = new DomainLabels(options.maxDomainLabels);
  const perDomain = options.maxDomainLabels > 0;
  const tracked = new Set<Tracked>();
  let observed: { registry: VmRegistry; hub: ConsoleHub } | null = null;

  new Gauge({
    name: 'vwc_build_info',
    help: 'Always 1; the version label is the daemon version.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: options.version }, 1);

  const connections = new Gauge({
    name: 'vwc_console_connections',
    help: 'Open console connections by kind (vnc, serial: WebSockets; ssh: SSH console sessions).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const connectionsTotal = new Counter({
    name: 'vwc_console_connections_total',
    help: 'Console connections accepted, by kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const domainConnections = new Gauge({
    name: 'vwc_domain_console_connections',
    help: 'Open console connections per domain (bounded: domains past metrics.maxDomainLabels are domain="_other").',
    labelNames: ['domain', 'kind'],
    registers: perDomain ? [registry] : [],
  });
  const flush = (): void => {
    for (const entry of tracked) flushEntry(entry);
  };
  const bytes = new Counter({
    name: 'vwc_console_bytes_total',
    help: 'Bytes on console connections after the handshake, by kind and direction (in: from clients, out: to clients).',
    labelNames: ['kind', 'direction'],
    registers: [registry],
    collect: flush,
  });
  const domainBytes = new Counter({
    name: 'vwc_domain_console_bytes_total',
    help: 'Console bytes per domain and direction (bounded like vwc_domain_console_connections).',
    labelNames: ['domain', 'direction'],
    registers: perDomain ? [registry] : [],
  });
  const addBytes = (kind: ConsoleKind, domain: string, direction: 'in' | 'out', n: number): void => {
    if (n <= 0) return;
    bytes.inc({ kind, direction }, n);
    if (perDomain) domainBytes.inc({ domain, direction }, n);
  };
  function flushEntry(entry: Tracked): void {
    const read = entry.socket.bytesRead ?? entry.reportedIn;
    const written = entry.socket.bytesWritten ?? entry.reportedOut;
    addBytes(entry.kind, entry.domain, 'in', read - entry.reportedIn);
    addBytes(entry.kind, entry.domain, 'out', written - entry.reportedOut);
    entry.reportedIn = read;
    entry.reportedOut = written;
  }

  const vncRelays = new Gauge({
    name: 'vwc_vnc_relays',
    help: 'Open VNC relays (one browser to one upstream connection to QEMU).',
    registers: [registry],
  });
  new Gauge({
    name: 'vwc_serial_history_bytes',
    help: 'Bytes of serial history held in memory, over every serial port.',
    registers: [registry],
    collect() {
      if (!observed) return;
      let held = 0;
      for (const vm of observed.registry.snapshot()) {
        for (const serial of vm.serials) {
          const read = observed.hub.readSerialHistory(vm.name, serial.index, 0, 0);
          if (read) held += read.end - read.start;
        }
      }
      this.set(held);
    },
  });
  const resyncs = new Counter({
    name: 'vwc_serial_resyncs_total',
    help: 'Slow serial clients resynced past bytes they missed (a visible marker in their stream).',
    registers: [registry],
  });
  const discoveryEvents = new Counter({
    name: 'vwc_discovery_events_total',
    help: 'Registry events: domains added, changed, removed.',
    labelNames: ['event'],
    registers: [registry],
  });
  const discoveryErrors = new Counter({
    name: 'vwc_discovery_errors_total',
    help: 'Times a discovery source went down (libvirtd not answering, event stream lost …).',
    labelNames: ['source'],
    registers: [registry],
  });
  new Gauge({
    name: 'vwc_discovery_source_up',
    help: '1 while a discovery source is up, 0 while it is down.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      if (!observed) return;
      for (const status of observed.registry.sources())
        this.set({ source: status.source }, status.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vwc_domains',
    help: 'Domains known to the daemon, by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!observed) return;
      this.reset();
      for (const vm of observed.registry.snapshot()) this.inc({ state: vm.state });
    },
  });
  const loginFailures = new Counter({
    name: 'vwc_login_failures_total',
    help: 'Failed logins (wrong password, bad ticket, refused SSH key), every front door.',
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'vwc_login_lockouts_total',
    help: 'Times a client address reached loginRateLimit.maxFailures and was locked out.',
    registers: [registry],
  });
  const logFailures = new Counter({
    name: 'vwc_serial_log_write_failures_total',
    help: 'Times a serial port stopped logging to disk (disk full, read-only …); it resumes by itself.',
    registers: [registry],
  });
  const logPortsFailing = new Gauge({
    name: 'vwc_serial_log_ports_failing',
    help: 'Serial ports whose log is not being written right now.',
    registers: [registry],
  });
  logPortsFailing.set(0);
  const actions = new Counter({
    name: 'vwc_power_actions_total',
    help: 'Power actions asked for by operators, by action and result (ok, error).',
    labelNames: ['action', 'result'],
    registers: [registry],
  });
  const captures = new Counter({
    name: 'vwc_thumbnail_captures_total',
    help: 'Screen captures for list-page thumbnails, by result (ok, error).',
    labelNames: ['result'],
    registers: [registry],
  });

  const open = (kind: ConsoleKind, domain: string): string => {
    const label = labels.label(domain);
    connections.inc({ kind });
    connectionsTotal.inc({ kind });
    if (perDomain) domainConnections.inc({ domain: label, kind });
    if (kind === 'vnc') vncRelays.inc();
    return label;
  };
  const close = (kind: ConsoleKind, label: string): void => {
    connections.dec({ kind });
    if (perDomain) domainConnections.dec({ domain: label, kind });
    if (kind === 'vnc') vncRelays.dec();
  };
  // Zero series exist from the start, so a dashboard shows 0 rather than nothing.
  for (const kind of ['vnc', 'serial', 'ssh'] as const) {
    connections.set({ kind }, 0);
    connectionsTotal.inc({ kind }, 0);
    for (const direction of ['in', 'out'] as const) bytes.inc({ kind, direction }, 0);
  }
  for (const event of ['added', 'changed', 'removed']) discoveryEvents.inc({ event }, 0);

  const trackWebSocket = (
    kind: 'vnc' | 'spice' | 'serial',
    vmName: string,
    ws: WebSocket,
    socket: Duplex,
  ): void => {
    const label = open(kind, vmName);
    const net = socket as Partial<{ bytesRead: number; bytesWritten: number }>;
    const entry: Tracked = {
      kind,
      domain: label,
      socket: net,
      // Only what follows the handshake counts.
      reportedIn: net.bytesRead ?? 0,
      reportedOut: net.bytesWritten ?? 0,
    };
    tracked.add(entry);
    ws.once('close', () => {
      flushEntry(entry);
      tracked.delete(entry);
      close(kind, label);
    });
  };

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    instrumentHub(hub) {
      return {
        start: () => {
          hub.start();
        },
        serialAvailable: (vmName, index) => hub.serialAvailable(vmName, index),
        attachSerial(ws, socket, vmName, index, session, attach) {
          trackWebSocket('serial', vmName, ws, socket);
          hub.attachSerial(ws, socket, vmName, index, session, attach);
        },
        attachSerialClient(vmName, index, transport, session, attach): SerialClientHandle {
          // Counted in plain numbers on the hot path and reported at scrape (like the
          // WebSockets' socket counters): a labelled prom-client inc per chunk costs a map lookup.
          const counts = { bytesRead: 0, bytesWritten: 0 };
          let closed = false;
          const counted: ClientTransport = {
            sendBinary(chunk, done) {
              counts.bytesWritten += chunk.data.length;
              transport.sendBinary(chunk, done);
            },
            sendText: (text, done) => {
              transport.sendText(text, done);
            },
            close: (code, reason) => {
              transport.close(code, reason);
            },
            pauseInput: () => {
              transport.pauseInput();
            },
            resumeInput: () => {
              transport.resumeInput();
            },
          };
          const handle = hub.attachSerialClient(vmName, index, counted, session, attach);
          const label = open('ssh', vmName);
          const entry: Tracked = {
            kind: 'ssh',
            domain: label,
            socket: counts,
            reportedIn: 0,
            reportedOut: 0,
          };
          tracked.add(entry);
          return {
            id: handle.id,
            input(data) {
              counts.bytesRead += data.length;
              handle.input(data);
            },
            control: (message) => {
              handle.control(message);
            },
            sendBreak: () => handle.sendBreak(),
            detach() {
              if (!closed) {
                closed = true;
                flushEntry(entry);
                tracked.delete(entry);
                close('ssh', label);
              }
              handle.detach();
            },
          };
        },
        readSerialHistory: (vmName, index, from, max) => hub.readSerialHistory(vmName, index, from, max),
        readSerialLog: (vmName, index, range) => hub.readSerialLog?.(vmName, index, range) ?? null,
        vncAvailable: (vmName) => hub.vncAvailable(vmName),
        attachVnc(ws, socket, vmName, session) {
          trackWebSocket('vnc', vmName, ws, socket);
          hub.attachVnc(ws, socket, vmName, session);
        },
        spiceAvailable: (vmName) => hub.spiceAvailable(vmName),
        attachSpice(ws, socket, vmName, session, attach) {
          trackWebSocket('spice', vmName, ws, socket);
          hub.attachSpice(ws, socket, vmName, session, attach);
        },
        // Presence and lock messages only: no console bytes to count.
        vncControlAvailable: (vmName) => hub.vncControlAvailable(vmName),
        attachVncControl: (ws, vmName, session) => {
          hub.attachVncControl(ws, vmName, session);
        },
        ...(hub.recordings ? { recordings: hub.recordings } : {}),
        stop: (reason) => hub.stop(reason),
      };
    },
    observe(vmRegistry, hub) {
      observed = { registry: vmRegistry, hub };
      const added = (): void => {
        discoveryEvents.inc({ event: 'added' });
      };
      const changed = (): void => {
        discoveryEvents.inc({ event: 'changed' });
      };
      const removed = (): void => {
        discoveryEvents.inc({ event: 'removed' });
      };
      const last = new Map<string, boolean>();
      const status = (s: { source: string; up: boolean }): void => {
        if (!s.up && last.get(s.source) !== false) discoveryErrors.inc({ source: s.source });
        last.set(s.source, s.up);
      };
      for (const s of vmRegistry.sources()) {
        last.set(s.source, s.up);
        discoveryErrors.inc({ source: s.source }, 0);
      }
      vmRegistry.on('vm-added', added);
      vmRegistry.on('vm-changed', changed);
      vmRegistry.on('vm-removed', removed);
      vmRegistry.on('source-status', status);
      return () => {
        vmRegistry.off('vm-added', added);
        vmRegistry.off('vm-changed', changed);
        vmRegistry.off('vm-removed', removed);
        vmRegistry.off('source-status', status);
        observed = null;
      };
    },
    login: {
      failure: () => {
        loginFailures.inc();
      },
      lockout: () => {
        lockouts.inc();
      },
    },
    serialResync() {
      resyncs.inc();
    },
    serialLogWriting(writing) {
      if (writing) logPortsFailing.dec();
      else {
        logFailures.inc();
        logPortsFailing.inc();
      }
    },
    powerAction(action, result) {
      actions.inc({ action, result });
    },
    thumbnailCapture(result) {
      captures.inc({ result });
    },
  };
}
