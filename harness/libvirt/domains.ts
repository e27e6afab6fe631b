// Test domains: defined, started, destroyed and undefined from templates, named
// `vwct-<run>-<n>-<label>` so parallel runs and leftovers never collide. `<run>` is the pid of
// the vitest main process (VWC_TEST_RUN, set by global-setup); domains of runs whose process
// is gone are reaped at the next start, and each run reaps its own at teardown, so a failed or
// killed test leaves nothing defined.
import { mkdirSync, rmSync, chownSync, chmodSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { domainXml, type SerialSpec, type SpiceSpec, type VncSpec } from './domain-xml.js';
import { guestImage } from './guest.js';
import { virsh, virshQuiet } from './virsh.js';

export const TEST_PREFIX = 'vwct-';
/** Socket folders live here, one per domain, owned by libvirt-qemu (QEMU must create sockets). */
export const SOCKET_ROOT = '/run/vwc-test';

export function runId(): string {
  return process.env.VWC_TEST_RUN ?? String(process.pid);
}

let counter = 0;
let tcpPortCounter = 0;

/** A loopback port for a TCP serial, spread per run to avoid clashes between parallel runs. */
export function freeTcpPort(): number {
  tcpPortCounter += 1;
  return 20000 + ((Number(runId()) * 37 + tcpPortCounter * 7) % 20000);
}

/** `telnet` is a TCP socket with `<protocol type='telnet'/>`. */
export type SerialKind = 'pty' | 'unix' | 'tcp' | 'telnet';

export interface CreateOptions {
  /** Label in the name, for humans reading `virsh list`. */
  readonly label?: string;
  /** One entry per serial port, in port order. Default: one pty. */
  readonly serials?: readonly SerialKind[];
  /** VNC on a UNIX socket, on TCP (autoport, 127.0.0.1), or none. Default: unix. */
  readonly vnc?: 'unix' | 'tcp' | 'none';
  /** A VNC password (`<graphics passwd=…>`). Default: none. */
  readonly vncPassword?: string;
  /** SPICE graphics with qxl video: on a UNIX socket, on TCP (autoport, 127.0.0.1), or none (default). */
  readonly spice?: 'unix' | 'tcp' | 'none';
  /** A SPICE password. Default: none. */
  readonly spicePassword?: string;
  readonly title?: string;
  /** Start right after defining. Default: true. */
  readonly start?: boolean;
  /** Use this exact name (still must start with the run's prefix to be reaped). */
  readonly name?: string;
}

function qemuGroupIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'libvirt-qemu'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'libvirt-qemu'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export class TestDomain {
  readonly serialPaths: readonly (string | null)[];
  readonly tcpPorts: readonly (number | null)[];
  readonly vncSocket: string | null;
  readonly spiceSocket: string | null;

  constructor(
    readonly name: string,
    readonly socketDir: string,
    serials: readonly SerialSpec[],
    vnc: VncSpec,
    spice: SpiceSpec = null,
  ) {
    this.spiceSocket = spice?.type === 'unix' ? spice.path : null;
    this.serialPaths = serials.map((s) => (s.type === 'unix' ? s.path : null));
    this.tcpPorts = serials.map((s) => (s.type === 'tcp' ? s.port : null));
    this.vncSocket = vnc?.type === 'unix' ? vnc.path : null;
  }

  async start(): Promise<void> {
    await virsh('start', this.name);
  }

  /** Hard stop: immediate (the guest answers ACPI power-off too, see docs/control.md). */
  async destroy(): Promise<void> {
    await virshQuiet('destroy', this.name);
  }

  async undefine(): Promise<void> {
    await virshQuiet('destroy', this.name);
    await virshQuiet('undefine', this.name);
    rmSync(this.socketDir, { recursive: true, force: true });
  }

  async state(): Promise<string> {
    return (await virsh('domstate', this.name)).trim();
  }

  async liveXml(): Promise<string> {
    return virsh('dumpxml', this.name);
  }

  /** The pty path of serial port `port` in the running domain's live XML. */
  async ptyPath(port = 0): Promise<string> {
    const xml = await this.liveXml();
    const serials = [
      ...xml.matchAll(/<serial type='pty'>\s*<source path='([^']+)'\/>\s*<target[^>]*port='(\d+)'/g),
    ];
    const match = serials.find((m) => Number(m[2]) === port);
    if (!match?.[1]) throw new Error(`domain ${this.name} has no pty on serial port ${port}:\n${xml}`);
    return match[1];
  }
}

export class TestDomains {
  private readonly created: TestDomain[] = [];

  async create(options: CreateOptions = {}): Promise<TestDomain> {
    counter += 1;
    const label = (options.label ?? 'guest').replace(/[^a-z0-9-]/gi, '-').slice(0, 24);
    const name = options.name ?? `${TEST_PREFIX}${runId()}-${process.pid}-${counter}-${label}`;
    const socketDir = path.join(SOCKET_ROOT, name);
    const { uid, gid } = qemuGroupIds();
    mkdirSync(SOCKET_ROOT, { recursive: true });
    mkdirSync(socketDir, { recursive: true });
    chownSync(socketDir, uid, gid);
    chmodSync(socketDir, 0o770);

    const serials: SerialSpec[] = (options.serials ?? ['pty']).map((kind, port) => {
      if (kind === 'unix') return { type: 'unix', path: path.join(socketDir, `serial${port}.sock`) };
      if (kind === 'tcp' || kind === 'telnet') {
        return { type: 'tcp', port: freeTcpPort(), protocol: kind === 'telnet' ? 'telnet' : 'raw' };
      }
      return { type: 'pty' };
    });
    const vncKind = options.vnc ?? 'unix';
    const password = options.vncPassword === undefined ? {} : { password: options.vncPassword };
    const vnc: VncSpec =
      vncKind === 'unix'
        ? { type: 'unix', path: path.join(socketDir, 'vnc.sock'), ...password }
        : vncKind === 'tcp'
          ? { type: 'tcp', ...password }
          : null;
    const spiceKind = options.spice ?? 'none';
    const spicePassword = options.spicePassword === undefined ? {} : { password: options.spicePassword };
    const spice: SpiceSpec =
      spiceKind === 'unix'
        ? { type: 'unix', path: path.join(socketDir, 'spice.sock'), ...spicePassword }
        : spiceKind === 'tcp'
          ? { type: 'tcp', ...spicePassword }
          : null;
    const xml = domainXml({
      name,
      guest: guestImage(),
      serials,
      vnc,
      spice,
      ...(options.title === undefined ? {} : { title: options.title }),
    });
    const file = path.join(socketDir, 'domain.xml');
    writeFileSync(file, xml);
    const domain = new TestDomain(name, socketDir, serials, vnc, spice);
    this.created.push(domain);
    await virsh('define', file);
    if (options.start ?? true) await domain.start();
    return domain;
  }

  /** Destroys and undefines every domain this instance created. Call in afterAll/afterEach. */
  async cleanup(): Promise<void> {
    const all = this.created.splice(0);
    await Promise.all(all.map((d) => d.undefine()));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Destroys and undefines test domains left behind: those of `run` when given (teardown), else
 * those whose run process is gone (start of a run). Returns the names reaped.
 */
export async function reapTestDomains(run?: string): Promise<string[]> {
  const names = (await virsh('list', '--all', '--name'))
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n.startsWith(TEST_PREFIX));
  const reaped: string[] = [];
  for (const name of names) {
    const owner = /^vwct-(\d+)-/.exec(name)?.[1];
    if (owner === undefined) continue;
    const stale = run === undefined ? !pidAlive(Number(owner)) : owner === run;
    if (!stale) continue;
    await virshQuiet('destroy', name);
    await virshQuiet('undefine', name);
    rmSync(path.join(SOCKET_ROOT, name), { recursive: true, force: true });
    reaped.push(name);
  }
  return reaped;
}
