// The libvirt source's virsh mode, for when libvirtd's files are not readable (not root, or a
// qemu:///session URI): `virsh list` filters give names, states and persistence (their output is
// bare names, so nothing locale-dependent is parsed), `virsh dumpxml` gives each domain's XML —
// the live one, with resolved pty paths, while it runs. The state reason is not known here.
import type { Logger } from 'pino';
import { isVwcError } from '../errors/index.js';
import { parseDomainXml } from './domain-xml.js';
import type { SourceSink } from './source.js';
import type { DomainState, Vm } from './types.js';
import type { VirshRunner } from './virsh.js';
import { mapLimit } from './map-limit.js';

const VIRSH_CONCURRENCY = 4;

export interface LibvirtVirshOptions {
  readonly virsh: VirshRunner;
  readonly logger: Logger;
  readonly sink: SourceSink;
}

interface Listing {
  readonly all: ReadonlySet<string>;
  readonly running: ReadonlySet<string>;
  readonly paused: ReadonlySet<string>;
  readonly shutoff: ReadonlySet<string>;
  readonly persistent: ReadonlySet<string>;
}

function names(output: string): Set<string> {
  return new Set(
    output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
  );
}

function stateOf(listing: Listing, name: string): DomainState {
  if (listing.running.has(name)) return 'running';
  if (listing.paused.has(name)) return 'paused';
  if (listing.shutoff.has(name)) return 'shutoff';
  return 'unknown';
}

export class LibvirtVirsh {
  constructor(private readonly options: LibvirtVirshOptions) {}

  /** Throws (VWC_ERR_VIRSH_*) when libvirtd does not answer. */
  private async list(): Promise<Listing> {
    const run = (...args: string[]): Promise<Set<string>> =>
      this.options.virsh.run(['list', '--name', ...args]).then(names);
    const [all, running, paused, shutoff, persistent] = await Promise.all([
      run('--all'),
      run('--state-running'),
      run('--state-paused'),
      run('--all', '--state-shutoff'),
      run('--all', '--persistent'),
    ]);
    return { all, running, paused, shutoff, persistent };
  }

  /** The domain's XML, or null when it vanished in between (or its XML is unusable). */
  private async load(name: string, listing: Listing): Promise<Vm | null> {
    let xml: string;
    try {
      xml = await this.options.virsh.run(['dumpxml', '--domain', name]);
    } catch (error) {
      if (!isVwcError(error, 'VWC_ERR_VIRSH_FAILED')) throw error;
      this.options.logger.debug({ err: error, domain: name }, 'dumpxml failed (domain gone?)');
      return null;
    }
    try {
      return parseDomainXml(xml, { state: stateOf(listing, name), persistent: listing.persistent.has(name) });
    } catch (error) {
      if (!isVwcError(error)) throw error;
      this.options.logger.warn({ err: error, domain: name }, 'unusable domain XML from virsh dumpxml');
      return null;
    }
  }

  async reconcile(): Promise<void> {
    const listing = await this.list();
    const vms = await mapLimit([...listing.all], VIRSH_CONCURRENCY, (name) => this.load(name, listing));
    this.options.sink.replaceAll(vms.filter((vm): vm is Vm => vm !== null));
  }

  async refreshDomain(name: string): Promise<void> {
    const listing = await this.list();
    const vm = listing.all.has(name) ? await this.load(name, listing) : null;
    if (vm) this.options.sink.upsert(vm);
    else if (!listing.all.has(name)) this.options.sink.remove(name);
  }
}
