// The entry's view of the fleet: each host's state and its VMs as last seen, fed by the host
// links, with typed events for the entry's event streams. A host that goes unreachable keeps its
// rows (the pages grey them); its next snapshot replaces them, with the differences announced.
import { EventEmitter } from 'node:events';
import type { DomainItem } from '../http/index.js';
import type { FleetHostInfo, HostState } from './types.js';

interface HostEntry {
  state: HostState;
  since: number;
  readonly domains: Map<string, DomainItem>;
}

export interface FleetRegistryEvents {
  'domain-added': [host: string, item: DomainItem];
  'domain-changed': [host: string, item: DomainItem];
  'domain-removed': [host: string, name: string];
  host: [name: string, state: HostState];
}

export class FleetRegistry extends EventEmitter<FleetRegistryEvents> {
  private readonly hosts = new Map<string, HostEntry>();

  constructor(
    names: readonly string[],
    private readonly now: () => number,
  ) {
    super();
    // Every entry's event stream listens here.
    this.setMaxListeners(0);
    for (const name of names)
      this.hosts.set(name, { state: 'unreachable', since: now(), domains: new Map() });
  }

  has(host: string): boolean {
    return this.hosts.has(host);
  }

  state(host: string): HostState | null {
    return this.hosts.get(host)?.state ?? null;
  }

  get(host: string, name: string): DomainItem | null {
    return this.hosts.get(host)?.domains.get(name) ?? null;
  }

  hostList(): FleetHostInfo[] {
    return [...this.hosts].map(([name, h]) => ({
      name,
      state: h.state,
      vms: h.domains.size,
      since: new Date(h.since).toISOString(),
    }));
  }

  /** Every host's rows, in host order then the host's own (name) order. */
  *entries(): Generator<{ host: string; hostState: HostState; item: DomainItem }> {
    for (const [host, h] of this.hosts)
      for (const item of h.domains.values()) yield { host, hostState: h.state, item };
  }

  private setState(host: string, entry: HostEntry, state: HostState): void {
    if (entry.state === state) return;
    entry.state = state;
    entry.since = this.now();
    this.emit('host', host, state);
  }

  snapshot(host: string, items: readonly DomainItem[]): void {
    const entry = this.hosts.get(host);
    if (!entry) return;
    const fresh = new Map(items.map((item) => [item.name, item]));
    for (const name of [...entry.domains.keys()]) {
      if (!fresh.has(name)) {
        entry.domains.delete(name);
        this.emit('domain-removed', host, name);
      }
    }
    for (const [name, item] of fresh) {
      const old = entry.domains.get(name);
      entry.domains.set(name, item);
      if (!old) this.emit('domain-added', host, item);
      else if (JSON.stringify(old) !== JSON.stringify(item)) this.emit('domain-changed', host, item);
    }
    this.setState(host, entry, 'up');
  }

  upsert(host: string, item: DomainItem): void {
    const entry = this.hosts.get(host);
    if (!entry) return;
    const known = entry.domains.has(item.name);
    entry.domains.set(item.name, item);
    this.emit(known ? 'domain-changed' : 'domain-added', host, item);
  }

  remove(host: string, name: string): void {
    const entry = this.hosts.get(host);
    if (entry?.domains.delete(name)) this.emit('domain-removed', host, name);
  }

  down(host: string): void {
    const entry = this.hosts.get(host);
    if (entry) this.setState(host, entry, 'unreachable');
  }
}
