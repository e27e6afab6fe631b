// Runs a source's refreshes one at a time, in order, so that a slow read started before a
// fast one can never land after it and bring back a stale state. A task already waiting under
// the same key is not queued twice (ten events for one domain → one re-read).
import type { Logger } from 'pino';

export class TaskQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting = new Set<string>();

  constructor(private readonly logger: Logger) {}

  push(key: string, task: () => Promise<void>): Promise<void> {
    if (this.waiting.has(key)) return this.tail;
    this.waiting.add(key);
    this.tail = this.tail.then(async () => {
      this.waiting.delete(key);
      try {
        await task();
      } catch (error) {
        this.logger.error({ err: error, task: key }, 'discovery task failed');
      }
    });
    return this.tail;
  }

  /** Resolves when everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}
