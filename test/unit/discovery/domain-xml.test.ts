import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isVwcError } from '../../../src/errors/index.js';
import { parseDomainXml } from '../../../src/discovery/domain-xml.js';

const XML_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/xml');

function fixture(name: string): string {
  return readFileSync(path.join(XML_DIR, name), 'utf8');
}

function captured(label: string, kind: 'live' | 'inactive' | 'domstatus'): string {
  return fixture(`captured/${label}.${kind}.xml`);
}

describe('parseDomainXml on captured libvirt XML', () => {
  it('reads a running domstatus: state, reason, id, resolved pty, VNC socket, console mirror dropped', () => {
    const vm = parseDomainXml(captured('pty-vnc-unix', 'domstatus'), { persistent: true });
    expect(vm).toMatchObject({
      name: 'vwc-fixture-pty-vnc-unix',
      title: 'pty and VNC socket',
      description: null,
      state: 'running',
      reason: 'booted',
      source: 'libvirt',
      persistent: true,
    });
    expect(vm.id).toBeGreaterThan(0);
    expect(vm.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(vm.serials).toHaveLength(1);
    expect(vm.serials[0]).toMatchObject({
      index: 0,
      element: 'serial',
      port: 0,
      targetType: 'isa-serial',
      alias: 'serial0',
      logFile: null,
    });
    expect(vm.serials[0]!.source).toMatchObject({ kind: 'pty' });
    const source = vm.serials[0]!.source;
    expect(source.kind === 'pty' && source.path).toMatch(/^\/dev\/pts\/\d+$/);
    expect(vm.vnc).toEqual({
      target: { transport: 'unix', path: '/run/vwc-test/vwc-fixture-pty-vnc-unix/vnc.sock' },
      websocketPort: null,
      passwordSet: false,
    });
    expect(vm.graphics).toEqual([{ type: 'vnc', supported: true }]);
  });

  it('gives the same model from live dumpxml and domstatus, state from the caller for dumpxml', () => {
    for (const label of ['pty-vnc-unix', 'unix-vnc-tcp', 'tcp-no-graphics', 'two-ports']) {
      const fromStatus = parseDomainXml(captured(label, 'domstatus'));
      const fromLive = parseDomainXml(captured(label, 'live'), { state: 'running', reason: 'booted' });
      expect(fromLive).toEqual(fromStatus);
    }
  });

  it('reads the inactive definition: no id, no pty path, shut off unless told otherwise', () => {
    const vm = parseDomainXml(captured('pty-vnc-unix', 'inactive'));
    expect(vm.state).toBe('shutoff');
    expect(vm.id).toBeNull();
    expect(vm.serials.map((s) => s.source)).toEqual([{ kind: 'pty', path: null }]);
    expect(vm.serials[0]!.alias).toBeNull();
    expect(parseDomainXml(captured('pty-vnc-unix', 'inactive'), { state: 'paused' }).state).toBe('paused');
    expect(parseDomainXml(captured('pty-vnc-unix', 'inactive'), { persistent: false }).persistent).toBe(
      false,
    );
  });

  it('reads a unix serial and VNC on TCP with the autoport resolved', () => {
    const vm = parseDomainXml(captured('unix-vnc-tcp', 'live'));
    expect(vm.serials.map((s) => s.source)).toEqual([
      { kind: 'unix', path: '/run/vwc-test/vwc-fixture-unix-vnc-tcp/serial0.sock', mode: 'bind' },
    ]);
    expect(vm.vnc?.target).toMatchObject({ transport: 'tcp', host: '127.0.0.1' });
    const target = vm.vnc?.target;
    expect(target?.transport === 'tcp' && target.port).toBeGreaterThanOrEqual(5900);
    // Before the start the autoport is not known.
    expect(parseDomainXml(captured('unix-vnc-tcp', 'inactive')).vnc?.target).toBeNull();
  });

  it('reads a TCP serial and a domain without graphics', () => {
    const vm = parseDomainXml(captured('tcp-no-graphics', 'domstatus'));
    expect(vm.vnc).toBeNull();
    expect(vm.graphics).toEqual([]);
    expect(vm.serials).toHaveLength(1);
    expect(vm.serials[0]!.source).toMatchObject({
      kind: 'tcp',
      host: '127.0.0.1',
      mode: 'bind',
      protocol: 'raw',
    });
  });

  it('reads two ports in port order', () => {
    const vm = parseDomainXml(captured('two-ports', 'domstatus'));
    expect(vm.serials.map((s) => [s.index, s.port, s.source.kind, s.alias])).toEqual([
      [0, 0, 'pty', 'serial0'],
      [1, 1, 'unix', 'serial1'],
    ]);
  });
});

describe('parseDomainXml on hand-made edge cases', () => {
  it('decodes names, titles and descriptions with spaces, unicode and markup characters', () => {
    const vm = parseDomainXml(fixture('handmade/special-names.xml'));
    expect(vm.name).toBe(`web 1 – café <prod> & "db" 'x'`);
    expect(vm.title).toBe('Tïtle with <b>markup</b> & 日本語');
    expect(vm.description).toBe('Line one\nline two ☺ &lt;not-a-tag&gt;');
    expect(vm.serials).toHaveLength(1);
  });

  it('orders 4 mixed serial ports by port, keeps a virtio console, drops the serial0 mirror', () => {
    const vm = parseDomainXml(fixture('handmade/four-serials.xml'));
    expect(vm.id).toBe(12);
    expect(vm.state).toBe('running');
    expect(vm.serials).toEqual([
      {
        index: 0,
        element: 'serial',
        port: 0,
        targetType: 'isa-serial',
        alias: 'serial0',
        source: { kind: 'pty', path: '/dev/pts/7' },
        logFile: '/var/log/libvirt/qemu/four-serials-serial0.log',
      },
      {
        index: 1,
        element: 'serial',
        port: 1,
        targetType: 'isa-serial',
        alias: 'serial1',
        source: { kind: 'unix', path: '/run/consoles/four serial1.sock', mode: 'connect' },
        logFile: null,
      },
      {
        index: 2,
        element: 'serial',
        port: 2,
        targetType: 'isa-serial',
        alias: 'serial2',
        source: { kind: 'tcp', host: '127.0.0.1', port: 4555, mode: 'bind', protocol: 'telnet' },
        logFile: null,
      },
      {
        index: 3,
        element: 'serial',
        port: 3,
        targetType: 'isa-serial',
        alias: 'serial3',
        source: { kind: 'unsupported', type: 'file' },
        logFile: null,
      },
      {
        index: 4,
        element: 'console',
        port: 1,
        targetType: 'virtio',
        alias: 'console1',
        source: { kind: 'pty', path: '/dev/pts/9' },
        logFile: null,
      },
    ]);
  });

  it('takes the first SPICE and the first VNC, maps 0.0.0.0 to loopback, never keeps the password', () => {
    const xml = fixture('handmade/graphics-mixed.xml');
    const vm = parseDomainXml(xml);
    expect(vm.state).toBe('paused');
    expect(vm.reason).toBe('user');
    expect(vm.graphics).toEqual([
      { type: 'spice', supported: true },
      { type: 'vnc', supported: true },
      { type: 'vnc', supported: true },
    ]);
    expect(vm.spice).toEqual({
      target: { transport: 'tcp', host: '127.0.0.1', port: 5901 },
      tlsPort: null,
      passwordSet: false,
    });
    expect(vm.vnc).toEqual({
      target: { transport: 'tcp', host: '127.0.0.1', port: 5902 },
      websocketPort: 5702,
      passwordSet: true,
    });
    expect(xml).toContain('s3cret-Pa55');
    expect(JSON.stringify(vm)).not.toContain('s3cret');
  });

  it('reads SPICE: TCP with a TLS port and a password, a UNIX socket, a TLS-only server', () => {
    const tcp = parseDomainXml(fixture('handmade/spice-forms.xml'));
    expect(tcp.spice).toEqual({
      target: { transport: 'tcp', host: '127.0.0.1', port: 5905 },
      tlsPort: 5906,
      passwordSet: true,
    });
    expect(tcp.vnc).toBeNull();
    expect(JSON.stringify(tcp)).not.toContain('sp1ce');
    const unix = parseDomainXml(fixture('handmade/spice-socket.xml'));
    expect(unix.spice).toEqual({
      target: { transport: 'unix', path: '/run/vwc-test/spice-socket/spice.sock' },
      tlsPort: null,
      passwordSet: false,
    });
    const tlsOnly = parseDomainXml(fixture('handmade/spice-tls-only.xml'));
    expect(tlsOnly.spice).toEqual({ target: null, tlsPort: 5907, passwordSet: false });
  });

  it('maps the IPv6 wildcard to ::1 for VNC and TCP serial', () => {
    const vm = parseDomainXml(fixture('handmade/vnc-ipv6-wildcard.xml'));
    expect(vm.vnc?.target).toEqual({ transport: 'tcp', host: '::1', port: 5903 });
    expect(vm.serials[0]!.source).toMatchObject({ kind: 'tcp', host: '::1', port: 7000, mode: 'connect' });
  });

  it('leaves an unresolved autoport without a target and keeps a lone virtio console', () => {
    const vm = parseDomainXml(fixture('handmade/vnc-autoport-inactive.xml'));
    expect(vm.vnc).toEqual({ target: null, websocketPort: null, passwordSet: false });
    expect(vm.serials).toEqual([
      {
        index: 0,
        element: 'console',
        port: 0,
        targetType: 'virtio',
        alias: null,
        source: { kind: 'pty', path: null },
        logFile: null,
      },
    ]);
  });
});

describe('parseDomainXml on malformed and hostile input', () => {
  const cases: [string, string, string][] = [
    ['billion laughs', fixture('hostile/billion-laughs.xml'), 'VWC_ERR_XML_MALFORMED'],
    ['external entity', fixture('hostile/external-entity.xml'), 'VWC_ERR_XML_MALFORMED'],
    ['truncated', fixture('hostile/truncated.xml'), 'VWC_ERR_XML_MALFORMED'],
    ['garbage', fixture('hostile/garbage.xml'), 'VWC_ERR_XML_MALFORMED'],
    ['empty', '', 'VWC_ERR_XML_MALFORMED'],
    ['not a domain', fixture('hostile/not-a-domain.xml'), 'VWC_ERR_XML_INVALID'],
    ['no name', fixture('hostile/no-name.xml'), 'VWC_ERR_XML_INVALID'],
    ['unclosed attribute', "<domain type='qemu><name>x</name></domain>", 'VWC_ERR_XML_MALFORMED'],
    [
      'deep nesting',
      '<domain><name>x</name>' + '<a>'.repeat(20000) + '</a>'.repeat(20000) + '</domain>',
      'VWC_ERR_XML_MALFORMED',
    ],
  ];
  it.each(cases)('%s → typed error', (_label, xml, code) => {
    let thrown: unknown;
    try {
      parseDomainXml(xml);
    } catch (error) {
      thrown = error;
    }
    expect(isVwcError(thrown)).toBe(true);
    expect((thrown as { code: string }).code).toBe(code);
  });

  it('refuses a document above the size limit', () => {
    const xml = captured('two-ports', 'domstatus');
    expect(() => parseDomainXml(xml, { maxBytes: 1000 })).toThrow(/larger than 1000/);
  });
});
