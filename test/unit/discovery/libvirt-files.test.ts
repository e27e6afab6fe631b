import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDiscovery,
  LibvirtSource,
  Registry,
  type Discovery,
  type Vm,
} from '../../../src/discovery/index.js';
import { waitForRegistry } from './registry-wait.js';
import { FakeVirsh } from './fake-virsh.js';

const CAPTURED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/xml/captured');
const fixture = (label: string, kind: string): string =>
  readFileSync(path.join(CAPTURED, `${label}.${kind}.xml`), 'utf8');

const PTY = 'vwc-fixture-pty-vnc-unix';
const TWO = 'vwc-fixture-two-ports';
const TCP = 'vwc-fixture-tcp-no-graphics';

describe('libvirt source, file mode (temp folders)', () => {
  let root: string;
  let runDir: string;
  let configDir: string;
  let discovery: Discovery;
  let warnings: string[];
  let onWarning: ((line: string) => void) | null;

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'vwc-files-'));
    runDir = path.join(root, 'run');
    configDir = path.join(root, 'etc');
    mkdirSync(runDir);
    mkdirSync(path.join(configDir, 'networks'), { recursive: true });
    writeFileSync(path.join(configDir, `${PTY}.xml`), fixture('pty-vnc-unix', 'inactive'));
    writeFileSync(path.join(configDir, `${TWO}.xml`), fixture('two-ports', 'inactive'));
    writeFileSync(path.join(configDir, 'networks', 'default.xml'), '<network><name>default</name></network>');
    writeFileSync(path.join(configDir, 'README'), 'not xml');
    writeFileSync(path.join(configDir, 'broken.xml'), '<domain><name>broken</na');
    writeFileSync(path.join(runDir, `${PTY}.xml`), fixture('pty-vnc-unix', 'domstatus'));
    writeFileSync(path.join(runDir, `${TCP}.xml`), fixture('tcp-no-graphics', 'domstatus'));
    warnings = [];
    onWarning = null;
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          warnings.push(line);
          onWarning?.(line);
        },
      },
    );
    discovery = createDiscovery({
      logger,
      virsh: new FakeVirsh(),
      libvirtMode: 'files',
      runDir,
      configDir,
      events: false,
      reconcileMs: 0,
    });
    await discovery.start();
  });

  afterEach(async () => {
    await discovery.stop();
    rmSync(root, { recursive: true, force: true });
  });

  function nextChange(name: string, check: (vm: Vm | undefined) => boolean): Promise<Vm | undefined> {
    const { registry } = discovery;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no change of ${name} seen`));
      }, 10_000);
      const listener = (): void => {
        const vm = registry.get(name);
        if (!check(vm)) return;
        clearTimeout(timer);
        for (const e of ['vm-added', 'vm-changed', 'vm-removed'] as const) registry.off(e, listener);
        resolve(vm);
      };
      for (const e of ['vm-added', 'vm-changed', 'vm-removed'] as const) registry.on(e, listener);
    });
  }

  it('merges status files and definitions at start, skipping what is not a domain', () => {
    const { registry } = discovery;
    expect(registry.snapshot().map((vm) => [vm.name, vm.state, vm.persistent])).toEqual([
      [PTY, 'running', true],
      [TCP, 'running', false],
      [TWO, 'shutoff', true],
    ]);
    const source = registry.get(PTY)?.serials[0]?.source;
    expect(source?.kind === 'pty' ? source.path : null).toMatch(/^\/dev\/pts\/\d+$/);
    expect(warnings.join('')).toContain('broken.xml');
  });

  it('sees a domain start (status file renamed into place) and stop (status file removed)', async () => {
    const started = nextChange(TWO, (vm) => vm?.state === 'running');
    const temp = path.join(runDir, `${TWO}.xml.new`);
    writeFileSync(temp, fixture('two-ports', 'domstatus'));
    renameSync(temp, path.join(runDir, `${TWO}.xml`));
    expect((await started)?.serials.map((s) => s.source.kind)).toEqual(['pty', 'unix']);

    const stopped = nextChange(TWO, (vm) => vm?.state === 'shutoff');
    unlinkSync(path.join(runDir, `${TWO}.xml`));
    expect((await stopped)?.id).toBeNull();
  });

  it('keeps the last good state of a half-written file and logs it', async () => {
    const before = discovery.registry.get(PTY);
    const warned = new Promise<string>((resolve) => {
      onWarning = (line) => {
        if (line.includes(`${PTY}.xml`)) resolve(line);
      };
    });
    writeFileSync(path.join(runDir, `${PTY}.xml`), fixture('pty-vnc-unix', 'domstatus').slice(0, 5000));
    expect(JSON.parse(await warned)).toMatchObject({
      keptLastGood: true,
      msg: 'unreadable domain XML (half-written?)',
    });
    expect(discovery.registry.get(PTY)).toEqual(before);

    const changed = nextChange(PTY, (vm) => vm?.title === 'renamed');
    writeFileSync(
      path.join(runDir, `${PTY}.xml`),
      fixture('pty-vnc-unix', 'domstatus').replace(
        '<title>pty and VNC socket</title>',
        '<title>renamed</title>',
      ),
    );
    const after = await changed;
    expect(after).toEqual({ ...before, title: 'renamed' });
  });

  it('removes a domain whose definition goes, and adds one that appears', async () => {
    const removed = nextChange(TWO, (vm) => vm === undefined);
    unlinkSync(path.join(configDir, `${TWO}.xml`));
    await removed;
    const added = nextChange('vwc-fixture-unix-vnc-tcp', (vm) => vm !== undefined);
    writeFileSync(path.join(configDir, 'other.xml'), fixture('unix-vnc-tcp', 'inactive'));
    expect((await added)?.state).toBe('shutoff');
  });
});

describe('libvirt source, periodic reconcile', () => {
  it('catches changes no watcher reported, with no spurious change events', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'vwc-reconcile-'));
    const runDir = path.join(root, 'run');
    const configDir = path.join(root, 'etc');
    mkdirSync(runDir);
    mkdirSync(configDir);
    writeFileSync(path.join(configDir, `${TWO}.xml`), fixture('two-ports', 'inactive'));
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    const source = new LibvirtSource({
      virsh: new FakeVirsh(),
      logger: pino({ level: 'silent' }),
      mode: 'files',
      runDir,
      configDir,
      events: false,
      watch: false,
      reconcileMs: 50,
    });
    try {
      await source.start(registry.sinkFor('libvirt'));
      expect(registry.get(TWO)?.state).toBe('shutoff');
      const changes: string[] = [];
      registry.on('vm-changed', (vm, _previous, what) => changes.push(`${vm.name} ${what.join(',')}`));
      writeFileSync(path.join(runDir, `${TWO}.xml`), fixture('two-ports', 'domstatus'));
      await waitForRegistry(registry, () => registry.get(TWO)?.state === 'running', 'running via reconcile');
      writeFileSync(path.join(configDir, `${PTY}.xml`), fixture('pty-vnc-unix', 'inactive'));
      await waitForRegistry(registry, () => registry.get(PTY) !== undefined, 'added via reconcile');
      expect(changes).toEqual([`${TWO} state,id,serials`]);
    } finally {
      await source.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
