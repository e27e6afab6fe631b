// The libvirt source's virsh mode, for when libvirtd's files are not readable (not root, or a
// qemu:///session URI): `virsh domstats --state` gives names, states and reasons (as numbers,
// so nothing locale-dependent is parsed), `virsh list --persistent` the persistent names, and
// `virsh dumpxml` each domain's XML — the live one, with resolved pty paths, while it runs.
import type { Logger } from 'pino';
import { isVwcError } from '../errors/index.js';
import { parseDomainXml } from './domain-xml.js';
import type { SourceSink } from './source.js';
import type { Vm } from './types.js';
import { parseDomstats, type DomainStateInfo } from './domstats.js';
import type { VirshRunner } from './virsh.js';
import { mapLimit } from './map-limit.js';

const VIRSH_CONCURRENCY = 4;

export interface LibvirtVirshOptions {
  readonly virsh: VirshRunner;
  readonly logger: Logger;
  readonly sink: SourceSink;
}

function names(output: string): Set<string> {
  return new Set(
    output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
  );
}

export class LibvirtVirsh {
  constructor(private readonly options: LibvirtVirshOptions) {}

  private run(args: readonly string[]): Promise<string> {
    return this.options.virsh.run(args);
  }

  private persistentNames(): Promise<Set<string>> {
    return this.run(['list', '--all', '--name', '--persistent']).then(names);
  }

  private parse(name: string, xml: string, info: DomainStateInfo, persistent: boolean): Vm | null {
    try {
      return parseDomainXml(xml, { state: info.state, reason: info.reason, persistent });
    } catch (error) {
      if (!isVwcError(error)) throw error;
      this.options.logger.warn({ err: error, domain: name }, 'unusable domain XML from virsh dumpxml');
      return null;
    }
  }

  /** The domain's XML, or null when it vanished in between. */
  private async dumpxml(name: string): Promise<string | null> {
    try {
      return await this.run(['dumpxml', '--domain', name]);
    } catch (error) {
      if (!isVwcError(error, 'VWC_ERR_VIRSH_FAILED')) throw error;
      this.options.logger.debug({ err: error, domain: name }, 'dumpxml failed (domain gone?)');
      return null;
    }
  }

  /** Throws (VWC_ERR_VIRSH_*) when libvirtd does not answer. */
  async reconcile(): Promise<void> {
    const [states, persistent] = await Promise.all([
      this.run(['domstats', '--state', '--nowait']).then(parseDomstats),
      this.persistentNames(),
    ]);
    const vms = await mapLimit([...states], VIRSH_CONCURRENCY, async ([name, info]) => {
      const xml = await this.dumpxml(name);
      return xml === null ? null : this.parse(name, xml, info, persistent.has(name));
    });
    this.options.sink.replaceAll(vms.filter((vm): vm is Vm => vm !== null));
  }

  /** One domain, after an event about it: three virsh calls in parallel. */
  async refreshDomain(name: string): Promise<void> {
    const [stats, xml, persistent] = await Promise.allSettled([
      this.run(['domstats', '--state', '--nowait', '--', name]).then(parseDomstats),
      this.dumpxml(name),
      this.persistentNames(),
    ]);
    const info = stats.status === 'fulfilled' ? stats.value.get(name) : undefined;
    if (info && xml.status === 'fulfilled' && xml.value !== null && persistent.status === 'fulfilled') {
      const vm = this.parse(name, xml.value, info, persistent.value.has(name));
      if (vm) this.options.sink.upsert(vm);
      return;
    }
    // Something failed: gone, or libvirtd not answering (then this throws and nothing changes).
    const all = names(await this.run(['list', '--all', '--name']));
    if (!all.has(name)) this.options.sink.remove(name);
  }
}
