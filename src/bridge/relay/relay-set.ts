// The open relays of a bridge, per VM: counted for limits, closed together when the VM stops,
// closed with 1001 on shutdown.
import type { VwcError } from '../../errors/index.js';
import type { ByteRelay } from './relay.js';

export class RelaySet {
  private readonly byVm = new Map<string, Set<ByteRelay>>();

  add(relay: ByteRelay): void {
    let set = this.byVm.get(relay.vmName);
    if (!set) {
      set = new Set();
      this.byVm.set(relay.vmName, set);
    }
    set.add(relay);
  }

  /** Pass as the relay's onClosed. */
  readonly remove = (relay: ByteRelay): void => {
    const set = this.byVm.get(relay.vmName);
    set?.delete(relay);
    if (set?.size === 0) this.byVm.delete(relay.vmName);
  };

  count(vmName: string): number {
    return this.byVm.get(vmName)?.size ?? 0;
  }

  closeVm(vmName: string, error: VwcError): void {
    for (const relay of [...(this.byVm.get(vmName) ?? [])]) relay.close(error);
  }

  /** Closes every relay with 1001 and `reason`; resolves when their sockets are closed. */
  async stop(reason: string): Promise<void> {
    const all = [...this.byVm.values()].flatMap((set) => [...set]);
    const closing = all.map((relay) => relay.closedPromise(2000));
    for (const relay of all) relay.closeWith(1001, reason);
    await Promise.all(closing);
  }
}
