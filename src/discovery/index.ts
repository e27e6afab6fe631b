// Discovery: a live registry of every VM and its console endpoints, fed by the libvirt source
// (files or virsh, plus `virsh event`) and the QEMU socket-folder source.
import type { Logger } from 'pino';
import { LibvirtSource, type LibvirtMode } from './libvirt-source.js';
import { Registry } from './registry.js';
import { SocketFolderSource, type SocketProbe } from './socket-folder-source.js';
import type { VmSource } from './source.js';
import type { VmRegistry } from './types.js';
import { createVirshRunner, type VirshRunner } from './virsh.js';

export type * from './types.js';
export { parseDomainXml, type ParseDomainOptions } from './domain-xml.js';
export { createVirshRunner, VirshError, type VirshRunner, type VirshRunOptions } from './virsh.js';
export { createVirshShellRunner, virshQuote, type VirshShellOptions } from './virsh-shell.js';
export { Registry, diffVm } from './registry.js';
export { LibvirtSource, type LibvirtMode, type LibvirtSourceOptions } from './libvirt-source.js';
export type { SourceSink, VmSource } from './source.js';
export {
  SocketFolderSource,
  connectProbe,
  type SocketProbe,
  type ProbeResult,
} from './socket-folder-source.js';
export { classifySocket } from './socket-naming.js';
export {
  createVncPasswordLookup,
  vncPasswordOf,
  type VncPasswordLookup,
  type VncPasswordLookupOptions,
} from './vnc-password.js';

export interface DiscoveryOptions {
  readonly logger: Logger;
  /** libvirt connection URI. Default qemu:///system. */
  readonly uri?: string;
  /** Default: a runner on `virsh` in PATH with `uri`. */
  readonly virsh?: VirshRunner;
  /** Run the libvirt source. Default true. */
  readonly libvirt?: boolean;
  /** Default `auto` (files when readable on qemu:///system, else virsh). */
  readonly libvirtMode?: LibvirtMode;
  /** Overrides of /run/libvirt/qemu and /etc/libvirt/qemu (tests, benchmarks). */
  readonly runDir?: string;
  readonly configDir?: string;
  /** Full re-read period of every source, ms. Default 30 000; 0 turns it off. */
  readonly reconcileMs?: number;
  /** Follow `virsh event`. Default true. */
  readonly events?: boolean;
  /** Folders of QEMU sockets (VMs started without libvirt). Default none. */
  readonly socketFolders?: readonly string[];
  /** How often socket-folder VMs are re-probed, ms. Default 5 000. */
  readonly probeMs?: number;
  /** Socket probe override (tests). */
  readonly probe?: SocketProbe;
}

export interface Discovery {
  readonly registry: VmRegistry;
  /** Checks virsh (VWC_ERR_VIRSH_MISSING), starts every source, resolves with the first view. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createDiscovery(options: DiscoveryOptions): Discovery {
  const logger = options.logger.child({ component: 'discovery' });
  const registry = new Registry({ logger });
  const virsh = options.virsh ?? createVirshRunner({ uri: options.uri ?? 'qemu:///system' });
  const sources: VmSource[] = [];
  if (options.libvirt ?? true) {
    sources.push(
      new LibvirtSource({
        virsh,
        logger,
        ...(options.libvirtMode === undefined ? {} : { mode: options.libvirtMode }),
        ...(options.runDir === undefined ? {} : { runDir: options.runDir }),
        ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
        ...(options.reconcileMs === undefined ? {} : { reconcileMs: options.reconcileMs }),
        ...(options.events === undefined ? {} : { events: options.events }),
      }),
    );
  }
  const folders = options.socketFolders ?? [];
  if (folders.length > 0) {
    sources.push(
      new SocketFolderSource({
        folders,
        logger,
        ...(options.probeMs === undefined ? {} : { probeMs: options.probeMs }),
        ...(options.probe === undefined ? {} : { probe: options.probe }),
      }),
    );
  }
  let started: VmSource[] = [];
  return {
    registry,
    async start() {
      if (options.libvirt ?? true) await virsh.checkAvailable();
      started = sources;
      await Promise.all(sources.map((source) => source.start(registry.sinkFor(source.kind))));
    },
    async stop() {
      const stopping = started;
      started = [];
      // A hung libvirtd must not hold the shutdown: virsh calls under way end now.
      virsh.cancelAll();
      await Promise.all(stopping.map((source) => source.stop()));
    },
  };
}
