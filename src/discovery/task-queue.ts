// Runs a source's refreshes one at a time, in order, so that a slow read started before a
// fast one can never land after it and bring back a stale state. A task already waiting under
// the same key is not queued twice (ten events for one domain → one re-read). Closing drops
// what has not started: with libvirtd hung, each queued virsh call would wait out its timeout
// (15 s) and a shutdown would take that many times over.
import type { Logger } from 'pino';

export class TaskQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting = new Set<string>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  push(key: string, task: () => Promise<void>): Promise<void> {
    if (this.closed || this.waiting.has(key)) return this.tail;
    this.waiting.add(key);
    this.tail = this.tail.then(async () => {
      this.waiting.delete(key);
      if (this.closed) return;
      try {
        await task();
      } catch (error) {
        // After close, failures are the cancelled virsh calls of a shutdown.
        if (!this.isClosed()) this.logger.error({ err: error, task: key }, 'discovery task failed');
      }
    });
    return this.tail;
  }

  /** Resolves when everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Read through a call: a task may close the queue while it runs. */
  private isClosed(): boolean {
    return this.closed;
  }

  /** Runs nothing more: tasks not yet started are dropped. Resolves when the running one ends. */
  close(): Promise<void> {
    this.closed = true;
    return this.tail;
  }
}
