// Lifecycle changes come from one long-running `virsh event --all --loop`. It dies whenever
// libvirtd goes away (restart, crash); it is then restarted with an exponential backoff.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { VirshProcess, VirshRunner } from './virsh.js';

export interface DomainEvent {
  /** virsh's event name: lifecycle, reboot, device-added … */
  readonly type: string;
  readonly domain: string;
  /** What follows the colon, e.g. `Started Booted`; null when absent. */
  readonly detail: string | null;
}

// `[2026-11-21 06:45:55.923+0000: ]event 'lifecycle' for domain 'NAME': Started Booted`. The name
// is matched lazily up to the first `'` followed by `: ` or the end, so quotes inside names work.
const EVENT_LINE = /^(?:\d{4}-\d\d-\d\d [\d:.]+[+-]\d{4}: )?event '([^']+)' for domain '(.+?)'(?:: (.*)|)$/;

export function parseEventLine(line: string): DomainEvent | null {
  const match = EVENT_LINE.exec(line.trimEnd());
  if (!match) return null;
  const [, type, domain, detail] = match;
  return { type: type!, domain: domain!, detail: detail ?? null };
}

export interface EventStreamEvents {
  event: [event: DomainEvent];
  /** A new virsh process was started (after a start or a restart): events may have been missed. */
  spawned: [];
  /** The virsh process died; it will be restarted after `retryMs`. */
  died: [detail: string, retryMs: number];
}

export interface EventStreamOptions {
  readonly runner: VirshRunner;
  readonly logger: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A process that lived this long before dying resets the backoff. */
  readonly healthyAfterMs?: number;
  readonly now?: () => number;
}

export class VirshEventStream extends EventEmitter<EventStreamEvents> {
  private proc: VirshProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private backoffMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly healthyAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: EventStreamOptions) {
    super();
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.backoffMs = this.initialBackoffMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.spawn();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const proc = this.proc;
    this.proc = null;
    proc?.kill();
  }

  private spawn(): void {
    this.timer = null;
    if (!this.running) return;
    const startedAt = this.now();
    const proc = this.options.runner.spawn(['event', '--all', '--loop']);
    this.proc = proc;
    proc.on('line', (line) => {
      const event = parseEventLine(line);
      if (event) this.emit('event', event);
      else if (line.trim() !== '') this.options.logger.debug({ line }, 'virsh event: unrecognised line');
    });
    // When libvirtd goes away virsh prints `error: Disconnected from … due to end of file`, and
    // an event loop may then sit on a dead connection: any error line ends this process so the
    // restart below reconnects.
    proc.on('stderr', (line) => {
      if (!/^error:/i.test(line.trim())) return;
      this.options.logger.warn({ line }, 'virsh event stream error');
      proc.kill();
    });
    proc.on('exit', (detail) => {
      if (this.proc !== proc || !this.running) return;
      this.proc = null;
      if (this.now() - startedAt >= this.healthyAfterMs) this.backoffMs = this.initialBackoffMs;
      const retryMs = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
      this.options.logger.warn({ detail, retryMs }, 'virsh event stream ended; restarting');
      this.emit('died', detail, retryMs);
      this.timer = setTimeout(() => {
        this.spawn();
      }, retryMs);
    });
    this.emit('spawned');
  }
}
