// <serial> and <console> devices of a domain XML → SerialEndpoint[].
import type { SerialEndpoint, SerialSource } from './types.js';
import { loopbackFor } from './loopback.js';
import { attr, child, children, type XmlElement } from './xml-tree.js';

interface RawChardev {
  readonly element: 'serial' | 'console';
  readonly type: string;
  readonly port: number | null;
  readonly targetType: string | null;
  readonly alias: string | null;
  readonly source: SerialSource;
  readonly logFile: string | null;
}

function toPortNumber(value: string | null): number | null {
  return value !== null && /^\d{1,5}$/.test(value) ? Number(value) : null;
}

/** libvirt's `mode` attribute: `bind` means QEMU listens; absent means QEMU connects. */
function toMode(value: string | null): 'bind' | 'connect' {
  return value === 'bind' ? 'bind' : 'connect';
}

function parseSource(device: XmlElement, type: string): SerialSource {
  const source = child(device, 'source');
  switch (type) {
    case 'pty':
      // A live <console> also carries the path in its `tty` attribute.
      return { kind: 'pty', path: attr(source, 'path') ?? attr(device, 'tty') };
    case 'unix': {
      const path = attr(source, 'path');
      if (path === null) return { kind: 'unsupported', type };
      return { kind: 'unix', path, mode: toMode(attr(source, 'mode')) };
    }
    case 'tcp': {
      const port = toPortNumber(attr(source, 'service'));
      if (port === null) return { kind: 'unsupported', type };
      return {
        kind: 'tcp',
        host: loopbackFor(attr(source, 'host') ?? ''),
        port,
        mode: toMode(attr(source, 'mode')),
        protocol: attr(child(device, 'protocol'), 'type') ?? 'raw',
      };
    }
    default:
      return { kind: 'unsupported', type };
  }
}

function parseChardev(device: XmlElement, element: 'serial' | 'console'): RawChardev {
  const type = attr(device, 'type') ?? 'pty';
  const target = child(device, 'target');
  return {
    element,
    type,
    port: toPortNumber(attr(target, 'port')),
    targetType: attr(target, 'type'),
    alias: attr(child(device, 'alias'), 'name'),
    source: parseSource(device, type),
    logFile: attr(child(device, 'log'), 'file'),
  };
}

/**
 * libvirt lists the first serial port a second time as `<console><target type='serial'>`: the
 * same chardev, so it must not become a second endpoint (two readers would split the bytes).
 * A console of another target type (virtio, sclp …) is a device of its own.
 */
function mirrorsSerial(console: RawChardev, serials: readonly RawChardev[]): boolean {
  if (console.targetType !== null && console.targetType !== 'serial') return false;
  const port = console.port ?? 0;
  return serials.some((s) => (s.port ?? 0) === port && s.type === console.type);
}

/** Serial ports first, by target port (unnumbered ones last), then standalone consoles. */
export function parseSerials(devices: XmlElement): SerialEndpoint[] {
  const serials = children(devices, 'serial').map((d) => parseChardev(d, 'serial'));
  const consoles = children(devices, 'console')
    .map((d) => parseChardev(d, 'console'))
    .filter((c) => !mirrorsSerial(c, serials));
  const ordered = [...serials]
    .map((s, position) => ({ s, position }))
    .sort((a, b) => (a.s.port ?? Infinity) - (b.s.port ?? Infinity) || a.position - b.position)
    .map(({ s }) => s);
  return [...ordered, ...consoles].map(({ type: _type, ...rest }, index) => ({ index, ...rest }));
}
