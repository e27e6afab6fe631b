// The libvirt source's file mode: the domain XML files libvirtd keeps on disk.
//   runDir    (/run/libvirt/qemu/NAME.xml): <domstatus> of each running domain, root 0600,
//             present only while it runs, with the resolved pty paths; rewritten on every start.
//   configDir (/etc/libvirt/qemu/NAME.xml): the persistent definitions, never any pty path.
// A domain is what its status file says when it has one, else its definition, shut off.
// A file that fails to parse (half-written, or edited by hand) keeps the last good state it gave.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { isVwcError } from '../errors/index.js';
import { parseDomainXml } from './domain-xml.js';
import { mapLimit } from './map-limit.js';
import { isSafeFileName, type SourceSink } from './source.js';
import type { Vm } from './types.js';

export interface LibvirtFilesOptions {
  readonly runDir: string;
  readonly configDir: string;
  readonly logger: Logger;
  readonly sink: SourceSink;
  /** Queue a refresh: file events are serialised with the source's other work. */
  readonly schedule: (key: string, task: () => Promise<void>) => void;
  /** Watch the folders with chokidar. Default true. */
  readonly watch?: boolean;
}

type Folder = 'run' | 'config';
type ReadResult =
  { readonly kind: 'ok'; readonly vm: Vm } | { readonly kind: 'gone' } | { readonly kind: 'bad' };

const READ_CONCURRENCY = 64;
const SETTLE_MS = 150;

async function xmlFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    // /run/libvirt/qemu only appears once libvirtd has run: a missing folder holds no domain.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.filter((e) => e.isFile() && e.name.endsWith('.xml')).map((e) => e.name);
}

/** The domain as it is now: the status file when running, else the definition. */
function combine(live: Vm | undefined, config: Vm | undefined): Vm | undefined {
  if (live) return { ...live, persistent: config !== undefined };
  return config;
}

export class LibvirtFiles {
  /** Last good parse of each file, by file name, per folder. */
  private files: Record<Folder, Map<string, Vm>> = { run: new Map(), config: new Map() };
  /** `size:mtime` of each file at its last good parse. */
  private readonly signatures: Record<Folder, Map<string, string>> = { run: new Map(), config: new Map() };
  private watchers: FSWatcher[] = [];
  private readonly settleTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: LibvirtFilesOptions) {}

  private dir(folder: Folder): string {
    return folder === 'run' ? this.options.runDir : this.options.configDir;
  }

  /** Starts the watchers (when enabled), then loads everything. */
  async start(): Promise<void> {
    if (this.options.watch ?? true) {
      // Watch first, load second: a file written in between is seen by one or the other.
      await Promise.all((['run', 'config'] as const).map((folder) => this.watchFolder(folder)));
    }
    await this.reconcile();
  }

  async stop(): Promise<void> {
    const watchers = this.watchers.splice(0);
    await Promise.all(watchers.map((w) => w.close()));
    for (const timer of this.settleTimers.values()) clearTimeout(timer);
    this.settleTimers.clear();
  }

  private async watchFolder(folder: Folder): Promise<void> {
    const watcher = watch(this.dir(folder), {
      depth: 0,
      ignoreInitial: true,
      // libvirt writes NAME.xml.new and renames it over NAME.xml; only *.xml matter.
      ignored: (file, stats) => stats?.isFile() === true && !file.endsWith('.xml'),
    });
    const onFile = (file: string): void => {
      if (path.dirname(file) !== this.dir(folder) || !file.endsWith('.xml')) return;
      const name = path.basename(file);
      const key = `${folder}:${name}`;
      this.options.schedule(key, () => this.refreshFile(folder, name));
      // chokidar drops a change that follows another within a few ms (measured: the second of
      // two quick writes is never reported), and libvirt rewrites status files in bursts at
      // start; one trailing re-read after the burst settles makes sure the last version is seen.
      clearTimeout(this.settleTimers.get(key));
      const timer = setTimeout(() => {
        this.settleTimers.delete(key);
        this.options.schedule(key, () => this.refreshFile(folder, name));
      }, SETTLE_MS);
      this.settleTimers.set(key, timer);
    };
    watcher.on('add', onFile).on('change', onFile).on('unlink', onFile);
    watcher.on('error', (error) => {
      this.options.logger.warn({ err: error, folder }, 'watch error');
    });
    this.watchers.push(watcher);
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  /**
   * Reads and parses one file. With `reuse`, a file whose size and mtime did not change since
   * its last good parse is not read again (the periodic reconcile of hundreds of domains).
   */
  private async read(folder: Folder, file: string, reuse = false): Promise<ReadResult> {
    const full = path.join(this.dir(folder), file);
    let xml: string;
    let signature: string;
    try {
      const stats = await stat(full);
      signature = `${stats.size}:${stats.mtimeMs}`;
      const cached = this.files[folder].get(file);
      if (reuse && cached && this.signatures[folder].get(file) === signature)
        return { kind: 'ok', vm: cached };
      xml = await readFile(full, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
      throw error;
    }
    try {
      const vm =
        folder === 'run'
          ? parseDomainXml(xml)
          : parseDomainXml(xml, { state: 'shutoff', reason: null, persistent: true });
      this.signatures[folder].set(file, signature);
      return { kind: 'ok', vm };
    } catch (error) {
      if (!isVwcError(error)) throw error;
      const kept = this.files[folder].has(file);
      this.options.logger.warn(
        { err: error, file: path.join(this.dir(folder), file), keptLastGood: kept },
        'unreadable domain XML (half-written?)',
      );
      return { kind: 'bad' };
    }
  }

  private derive(name: string): Vm | undefined {
    const find = (folder: Folder): Vm | undefined => {
      for (const vm of this.files[folder].values()) if (vm.name === name) return vm;
      return undefined;
    };
    return combine(find('run'), find('config'));
  }

  private publish(name: string): void {
    const vm = this.derive(name);
    if (vm) this.options.sink.upsert(vm);
    else this.options.sink.remove(name);
  }

  /** Re-reads one file after a change to it (or an event about its domain). */
  async refreshFile(folder: Folder, file: string): Promise<void> {
    const before = this.files[folder].get(file);
    const result = await this.read(folder, file);
    if (result.kind === 'bad') return;
    if (result.kind === 'gone') {
      this.files[folder].delete(file);
      this.signatures[folder].delete(file);
    } else {
      this.files[folder].set(file, result.vm);
    }
    const names = new Set([before?.name, result.kind === 'ok' ? result.vm.name : undefined]);
    for (const name of names) if (name !== undefined) this.publish(name);
  }

  /** Re-reads both files of a domain libvirt told us about. */
  async refreshDomain(name: string): Promise<void> {
    if (!isSafeFileName(name)) return;
    await this.refreshFile('run', `${name}.xml`);
    await this.refreshFile('config', `${name}.xml`);
  }

  /** Reads both folders from scratch and reports the whole view. */
  async reconcile(): Promise<void> {
    const next: Record<Folder, Map<string, Vm>> = { run: new Map(), config: new Map() };
    for (const folder of ['run', 'config'] as const) {
      const files = await xmlFiles(this.dir(folder));
      const results = await mapLimit(files, READ_CONCURRENCY, (file) => this.read(folder, file, true));
      results.forEach((result, i) => {
        const file = files[i]!;
        const vm = result.kind === 'ok' ? result.vm : this.files[folder].get(file);
        if (result.kind !== 'gone' && vm) next[folder].set(file, vm);
      });
    }
    this.files = next;
    for (const folder of ['run', 'config'] as const) {
      for (const file of this.signatures[folder].keys())
        if (!next[folder].has(file)) this.signatures[folder].delete(file);
    }
    const byName = (files: Map<string, Vm>): Map<string, Vm> =>
      new Map([...files.values()].map((vm) => [vm.name, vm]));
    const live = byName(next.run);
    const config = byName(next.config);
    const names = new Set([...live.keys(), ...config.keys()]);
    this.options.sink.replaceAll([...names].map((name) => combine(live.get(name), config.get(name))!));
  }
}
