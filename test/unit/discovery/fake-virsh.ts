// An in-memory VirshRunner for unit tests: `run` answers through a handler, `spawn` hands out
// processes the test drives by hand.
import { EventEmitter } from 'node:events';
import {
  VirshError,
  type VirshProcess,
  type VirshProcessEvents,
  type VirshRunner,
} from '../../../src/discovery/virsh.js';

export class FakeProcess extends EventEmitter<VirshProcessEvents> implements VirshProcess {
  killed = false;
  constructor(readonly args: readonly string[]) {
    super();
  }
  kill(): void {
    this.killed = true;
  }
  line(text: string): void {
    this.emit('line', text);
  }
  stderrLine(text: string): void {
    this.emit('stderr', text);
  }
  exit(detail: string): void {
    this.emit('exit', detail);
  }
}

export type RunHandler = (args: readonly string[]) => string | Promise<string>;

export class FakeVirsh implements VirshRunner {
  readonly uri = 'qemu:///fake';
  readonly processes: FakeProcess[] = [];
  readonly calls: (readonly string[])[] = [];
  constructor(public handler: RunHandler = () => '') {}

  private readonly cancelWaiters: (() => void)[] = [];

  /** As the real runner: `cancelAll` rejects calls under way and later ones with VWC_ERR_VIRSH_CANCELLED. */
  async run(args: readonly string[]): Promise<string> {
    this.calls.push(args);
    const cancelled = new VirshError('VWC_ERR_VIRSH_CANCELLED', 'cancelled', args, '');
    if (this.cancelled) throw cancelled;
    return Promise.race([
      Promise.resolve(this.handler(args)),
      new Promise<never>((_resolve, reject) =>
        this.cancelWaiters.push(() => {
          reject(cancelled);
        }),
      ),
    ]);
  }
  spawn(args: readonly string[]): FakeProcess {
    const proc = new FakeProcess(args);
    this.processes.push(proc);
    return proc;
  }
  async checkAvailable(): Promise<void> {
    // Always there.
  }
  cancelled = false;
  cancelAll(): void {
    this.cancelled = true;
    for (const reject of this.cancelWaiters.splice(0)) reject();
  }
  get last(): FakeProcess {
    const proc = this.processes.at(-1);
    if (!proc) throw new Error('nothing spawned');
    return proc;
  }
}

export function virshFailure(args: readonly string[], stderr: string): VirshError {
  return new VirshError('VWC_ERR_VIRSH_FAILED', stderr, args, stderr);
}
