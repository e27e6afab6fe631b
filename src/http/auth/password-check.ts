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

export function createPasswordChecker(options: PasswordCheckerOptions = {}): PasswordChecker {
  const maxPending = options.maxPending ?? 32;
  const source = workerSource(createRequire(import.meta.url).resolve('bcryptjs'));
  const pending = new Map<number, Pending>();
  let worker: Worker | null = null;
  let nextId = 0;
  let closed = false;

  const failAll = (error: Error): void => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };

  /** Started on first use; started again after a crash. Keeps the process alive only while busy. */
  const ensureWorker = (): Worker => {
    if (worker) return worker;
    const started = new Worker(source, { eval: true });
    started.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const waiter = pending.get(id);
      pending.delete(id);
      if (pending.size === 0) started.unref();
      waiter?.resolve(ok);
    });
    started.on('error', (error) => {
      worker = null;
      failAll(new VwcError('VWC_ERR_INTERNAL', 'password check failed', { cause: error }));
    });
    started.on('exit', () => {
      if (worker === started) worker = null;
      failAll(new VwcError('VWC_ERR_INTERNAL', 'password checker stopped'));
    });
    worker = started;
    return started;
  };

  return {
    compare(password, hash) {
      if (closed) return Promise.reject(new VwcError('VWC_ERR_INTERNAL', 'password checker closed'));
      if (pending.size >= maxPending) {
        return Promise.reject(
          new VwcError('VWC_ERR_RATE_LIMITED', 'too many logins being checked; try again in a moment'),
        );
      }
      const target = ensureWorker();
      const id = nextId++;
      return new Promise<boolean>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.ref();
        target.postMessage({ id, password, hash });
      });
    },
    async close() {
      closed = true;
      const running = worker;
      worker = null;
      failAll(new VwcError('VWC_ERR_INTERNAL', 'password checker closed'));
      if (running) await running.terminate();
    },
  };
}
