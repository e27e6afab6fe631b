// The libvirt source: what libvirtd knows, read from its files (as root on qemu:///system) or
// through virsh (anywhere else), re-read per domain on each `virsh event`, and reconciled in
// full on a timer to catch anything missed. libvirtd being down is reported as the source's
// status, never as an exception: the daemon keeps serving what it knows and recovers by itself.
import { access, constants, readdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { LibvirtFiles } from './libvirt-files.js';
import { LibvirtVirsh } from './libvirt-virsh.js';
import type { SourceSink, VmSource } from './source.js';
import { TaskQueue } from './task-queue.js';
import { VirshEventStream, type DomainEvent } from './virsh-events.js';
import type { VirshRunner } from './virsh.js';
import { isVwcError } from '../errors/index.js';

export type LibvirtMode = 'files' | 'virsh' | 'auto';

export interface LibvirtSourceOptions {
  readonly virsh: VirshRunner;
  readonly logger: Logger;
  /** `auto`: files when the URI is qemu:///system and both folders are readable, else virsh. */
  readonly mode?: LibvirtMode;
  readonly runDir?: string;
  readonly configDir?: string;
  /** Full re-read period; 0 turns it off. Default 30 s. */
  readonly reconcileMs?: number;
  /** Follow `virsh event --all --loop`. Default true. */
  readonly events?: boolean;
  /** Watch the folders in file mode. Default true. */
  readonly watch?: boolean;
}

export const DEFAULT_RUN_DIR = '/run/libvirt/qemu';
export const DEFAULT_CONFIG_DIR = '/etc/libvirt/qemu';

/** Events that may change what we show: state, devices (hot-plug), title/description. */
const RELEVANT_EVENTS = new Set([
  'lifecycle',
  'reboot',
  'device-added',
  'device-removed',
  'metadata-change',
  'control-error',
]);

interface Backend {
  reconcile(): Promise<void>;
  refreshDomain(name: string): Promise<void>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

async function readable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    await readdir(dir);
    return true;
  } catch {
    return false;
  }
}

export class LibvirtSource implements VmSource {
  readonly kind = 'libvirt' as const;
  private readonly logger: Logger;
  private readonly queue: TaskQueue;
  private backend: Backend | null = null;
  private stream: VirshEventStream | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sink: SourceSink | null = null;
  private resolvedMode: 'files' | 'virsh' | null = null;

  constructor(private readonly options: LibvirtSourceOptions) {
    this.logger = options.logger.child({ source: 'libvirt' });
    this.queue = new TaskQueue(this.logger);
  }

  /** The mode in use once started. */
  get mode(): 'files' | 'virsh' | null {
    return this.resolvedMode;
  }

  private async resolveMode(runDir: string, configDir: string): Promise<'files' | 'virsh'> {
    const mode = this.options.mode ?? 'auto';
    if (mode !== 'auto') return mode;
    if (this.options.virsh.uri !== 'qemu:///system') return 'virsh';
    return (await readable(runDir)) && (await readable(configDir)) ? 'files' : 'virsh';
  }

  async start(sink: SourceSink): Promise<void> {
    this.sink = sink;
    const runDir = this.options.runDir ?? DEFAULT_RUN_DIR;
    const configDir = this.options.configDir ?? DEFAULT_CONFIG_DIR;
    const mode = await this.resolveMode(runDir, configDir);
    this.resolvedMode = mode;
    this.logger.info({ mode, uri: this.options.virsh.uri }, 'libvirt source starting');
    const schedule = (key: string, task: () => Promise<void>): void => void this.queue.push(key, task);
    const backend: Backend =
      mode === 'files'
        ? new LibvirtFiles({
            runDir,
            configDir,
            logger: this.logger,
            sink,
            schedule,
            watch: this.options.watch ?? true,
          })
        : new LibvirtVirsh({ virsh: this.options.virsh, logger: this.logger, sink });
    this.backend = backend;
    if (backend.start) await this.queue.push('start', () => backend.start!());
    else await this.queue.push('reconcile', () => this.reconcile());

    if (this.options.events ?? true) this.followEvents();
    const period = this.options.reconcileMs ?? 30_000;
    if (period > 0) {
      this.timer = setInterval(() => void this.queue.push('reconcile', () => this.reconcile()), period);
      this.timer.unref();
    }
    await this.queue.idle();
  }

  private followEvents(): void {
    const stream = new VirshEventStream({ runner: this.options.virsh, logger: this.logger });
    stream.on('event', (event: DomainEvent) => {
      if (!RELEVANT_EVENTS.has(event.type)) return;
      this.logger.debug({ event }, 'libvirt event');
      // QEMU's RESET (an in-guest reboot) is libvirt's `reboot` event: nothing in the domain
      // XML changes, so it is passed on as it is.
      if (event.type === 'reboot') this.sink?.reset?.(event.domain);
      void this.queue.push(`domain:${event.domain}`, async () => this.backend?.refreshDomain(event.domain));
    });
    // A fresh virsh may follow an outage in which events were lost: probe, then re-read all.
    stream.on('spawned', () => void this.queue.push('probe', () => this.probe()));
    stream.on('died', (detail) => this.sink?.status(false, `virsh event ended: ${detail}`));
    this.stream = stream;
    stream.start();
  }

  private async probe(): Promise<void> {
    try {
      await this.options.virsh.run(['list', '--all', '--name'], { timeoutMs: 10_000 });
    } catch (error) {
      if (isVwcError(error, 'VWC_ERR_VIRSH_CANCELLED')) return; // stopping: libvirtd is not at fault
      this.sink?.status(
        false,
        `libvirtd not answering on ${this.options.virsh.uri}: ${(error as Error).message}`,
      );
      return;
    }
    this.sink?.status(true, null);
    await this.reconcile();
  }

  /** Full re-read. In virsh mode its failure means libvirtd is not answering. */
  private async reconcile(): Promise<void> {
    if (!this.backend) return;
    try {
      await this.backend.reconcile();
      if (this.resolvedMode === 'virsh') this.sink?.status(true, null);
    } catch (error) {
      if (this.resolvedMode === 'files' || isVwcError(error, 'VWC_ERR_VIRSH_CANCELLED')) throw error;
      this.sink?.status(
        false,
        `libvirtd not answering on ${this.options.virsh.uri}: ${(error as Error).message}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.stream?.stop();
    this.stream = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Watchers first, so nothing new is queued; then wait only for the task that is running.
    await this.backend?.stop?.();
    await this.queue.close();
    this.backend = null;
  }
}
