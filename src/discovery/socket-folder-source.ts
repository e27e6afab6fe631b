// The socket-folder source: VMs started by hand with QEMU, found by the UNIX sockets they create
// in configured folders (naming convention in socket-naming.ts and docs/discovery.md). A VM is
// listed while any of its socket files exists; it runs while its probe socket accepts a
// connection (a socket file left behind by a killed QEMU refuses: stopped). Folders are watched
// with chokidar (a socket appearing or going is seen at once) and re-probed every `probeMs`
// (a QEMU that dies by SIGKILL leaves its files, only a probe tells).
import { lstat, readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { mapLimit } from './map-limit.js';
import { classifySocket, vmFromSockets, type NamedSocket } from './socket-naming.js';
import type { SourceSink, VmSource } from './source.js';
import { TaskQueue } from './task-queue.js';
import type { DomainState, Vm } from './types.js';

export type ProbeResult = 'listening' | 'refused' | 'unknown';
export type SocketProbe = (socketPath: string) => Promise<ProbeResult>;

export interface SocketFolderSourceOptions {
  readonly folders: readonly string[];
  readonly logger: Logger;
  /** Re-probe period, ms. Default 5 000; 0 turns it off. */
  readonly probeMs?: number;
  /** How a socket is probed (tests inject one). Default: connect and close at once. */
  readonly probe?: SocketProbe;
  readonly watch?: boolean;
}

const PROBE_TIMEOUT_MS = 2_000;
const DEBOUNCE_MS = 50;

/** Connects and hangs up. QEMU's VNC serves many clients; a busy serial chardev just queues us. */
export const connectProbe: SocketProbe = (socketPath) =>
  new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (result: ProbeResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => {
      done('unknown');
    });
    socket.once('connect', () => {
      done('listening');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // EAGAIN: the listen backlog is full, so someone is listening.
      done(
        error.code === 'ECONNREFUSED' || error.code === 'ENOENT'
          ? 'refused'
          : error.code === 'EAGAIN'
            ? 'listening'
            : 'unknown',
      );
    });
  });

const STATE_OF: Record<ProbeResult, DomainState> = {
  listening: 'running',
  refused: 'shutoff',
  unknown: 'unknown',
};

export class SocketFolderSource implements VmSource {
  readonly kind = 'socket-folder' as const;
  private readonly logger: Logger;
  private readonly queue: TaskQueue;
  private readonly probe: SocketProbe;
  private sink: SourceSink | null = null;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly clashes = new Set<string>();

  constructor(private readonly options: SocketFolderSourceOptions) {
    this.logger = options.logger.child({ source: 'socket-folder' });
    this.queue = new TaskQueue(this.logger);
    this.probe = options.probe ?? connectProbe;
  }

  async start(sink: SourceSink): Promise<void> {
    this.sink = sink;
    if (this.options.watch ?? true) {
      await Promise.all(this.options.folders.map((folder) => this.watchFolder(folder)));
    }
    const period = this.options.probeMs ?? 5_000;
    if (period > 0) {
      this.timer = setInterval(() => {
        this.rescanSoon(0);
      }, period);
      this.timer.unref();
    }
    sink.status(true, null);
    await this.queue.push('scan', () => this.scan());
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.timer = this.debounce = null;
    const watchers = this.watchers.splice(0);
    await Promise.all(watchers.map((w) => w.close()));
    await this.queue.close();
    this.sink = null;
  }

  private async watchFolder(folder: string): Promise<void> {
    const watcher = watch(folder, { depth: 0, ignoreInitial: true });
    watcher.on('all', () => {
      this.rescanSoon(DEBOUNCE_MS);
    });
    watcher.on('error', (error) => {
      this.logger.warn({ err: error, folder }, 'watch error');
    });
    this.watchers.push(watcher);
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  private rescanSoon(delayMs: number): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.queue.push('scan', () => this.scan());
    }, delayMs);
  }

  /** Every socket following the convention, grouped by VM; the first folder wins a clash. */
  private async collect(): Promise<Map<string, NamedSocket[]>> {
    const byVm = new Map<string, NamedSocket[]>();
    const owner = new Map<string, string>();
    for (const folder of this.options.folders) {
      let files: string[];
      try {
        files = await readdir(folder);
      } catch (error) {
        this.logger.warn({ err: error, folder }, 'socket folder not readable');
        continue;
      }
      for (const file of files.sort()) {
        const named = classifySocket(file);
        if (!named) continue;
        const socketPath = path.join(folder, file);
        const stats = await lstat(socketPath).catch(() => null);
        if (!stats?.isSocket()) continue;
        const first = owner.get(named.vmName);
        if (first !== undefined && first !== folder) {
          if (!this.clashes.has(named.vmName)) {
            this.clashes.add(named.vmName);
            this.logger.warn(
              { vm: named.vmName, kept: first, ignored: folder },
              'VM name in two socket folders',
            );
          }
          continue;
        }
        owner.set(named.vmName, folder);
        byVm.set(named.vmName, [...(byVm.get(named.vmName) ?? []), { ...named, path: socketPath }]);
      }
    }
    return byVm;
  }

  private async scan(): Promise<void> {
    const byVm = await this.collect();
    const vms = await mapLimit([...byVm.entries()], 8, async ([name, sockets]): Promise<Vm> => {
      // One probe per VM: its VNC socket (multi-client) when it has one, else its first serial
      // (its QMP socket only when it has nothing else: QMP serves one client at a time).
      const target =
        sockets.find((s) => s.role.kind === 'vnc') ??
        sockets.find((s) => s.role.kind === 'serial') ??
        sockets[0]!;
      return vmFromSockets(name, sockets, STATE_OF[await this.probe(target.path)]);
    });
    this.sink?.replaceAll(vms);
  }
}
