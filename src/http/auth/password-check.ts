// bcrypt off the event loop. A check at cost 12 is about half a second of CPU on purpose, and
// bcryptjs's async API still runs it on the calling thread in slices of up to 100 ms: every
// console relay in the process would stall for that long, again and again, while someone tries
// passwords. So checks run in one worker thread, one at a time, and at most `maxPending` wait;
// beyond that a check is refused at once (429) rather than queued without bound.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { VwcError } from '../../errors/index.js';

export interface PasswordChecker {
  /** True when `password` matches the bcrypt `hash` (false for a malformed hash). */
  compare(password: string, hash: string): Promise<boolean>;
  /** Stops the worker; pending and later checks fail. */
  close(): Promise<void>;
}

export interface PasswordCheckerOptions {
  /** Checks allowed to wait for the worker. Default 32. */
  readonly maxPending?: number;
}

/** The worker: CommonJS evaluated from a string, so it runs the same from src/ (tests) and dist/. */
function workerSource(bcryptPath: string): string {
  return `
const { parentPort } = require('node:worker_threads');
const bcrypt = require(${JSON.stringify(bcryptPath)});
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});`;
}

interface Pending {
  readonly resolve: (ok: boolean) => void;
  readonly reject: (error: Error) => void;
}

/** One worker thread and the checks it owes answers to (a replacement starts with none). */
interface Running {
  readonly thread: Worker;
  readonly pending: Map<number, Pending>;
}

export function createPasswordChecker(options: PasswordCheckerOptions = {}): PasswordChecker {
  const maxPending = options.maxPending ?? 32;
  const source = workerSource(createRequire(import.meta.url).resolve('bcryptjs'));
  let current: Running | null = null;
  let nextId = 0;
  let closed = false;

  const fail = (running: Running, error: Error): void => {
    for (const waiter of running.pending.values()) waiter.reject(error);
    running.pending.clear();
  };

  /**
   * Started on first use; started again after a crash. A crashed worker fails only its own
   * checks ('error' and then 'exit' both come, the second after a replacement may be running).
   * Keeps the process alive only while busy.
   */
  const ensureWorker = (): Running => {
    if (current) return current;
    const running: Running = { thread: new Worker(source, { eval: true }), pending: new Map() };
    const retire = (error: Error): void => {
      if (current === running) current = null;
      fail(running, error);
    };
    running.thread.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const waiter = running.pending.get(id);
      running.pending.delete(id);
      if (running.pending.size === 0) running.thread.unref();
      waiter?.resolve(ok);
    });
    running.thread.on('error', (error) => {
      retire(new VwcError('VWC_ERR_INTERNAL', 'password check failed', { cause: error }));
    });
    running.thread.on('exit', () => {
      retire(new VwcError('VWC_ERR_INTERNAL', 'password checker stopped'));
    });
    current = running;
    return running;
  };

  return {
    compare(password, hash) {
      if (closed) return Promise.reject(new VwcError('VWC_ERR_INTERNAL', 'password checker closed'));
      const running = ensureWorker();
      if (running.pending.size >= maxPending) {
        return Promise.reject(
          new VwcError('VWC_ERR_RATE_LIMITED', 'too many logins being checked; try again in a moment'),
        );
      }
      const id = nextId++;
      return new Promise<boolean>((resolve, reject) => {
        running.pending.set(id, { resolve, reject });
        running.thread.ref();
        running.thread.postMessage({ id, password, hash });
      });
    },
    async close() {
      closed = true;
      const running = current;
      current = null;
      if (!running) return;
      fail(running, new VwcError('VWC_ERR_INTERNAL', 'password checker closed'));
      await running.thread.terminate();
    },
  };
}
