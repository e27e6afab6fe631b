// The domain XML parser: a libvirt domain definition (`<domain>`, as in /etc/libvirt/qemu or
// `virsh dumpxml`) or the live status file (`<domstatus state=… reason=…><domain>…`, as in
// /run/libvirt/qemu) → the shared Vm model. Pure: no I/O, no clock, no logger.
import { VwcError } from '../errors/index.js';
import type { DomainState, GraphicsDevice, Vm, VmSourceKind, VncEndpoint } from './types.js';
import { parseSerials } from './domain-xml-serial.js';
import { parseSpice } from './domain-xml-spice.js';
import { LIBVIRT_STATES } from './domstats.js';
import { loopbackFor } from './loopback.js';
import { attr, child, children, childText, parseXmlTree, type XmlElement } from './xml-tree.js';

export interface ParseDomainOptions {
  /** The state when the document does not carry one (a `<domain>` rather than `<domstatus>`). */
  readonly state?: DomainState;
  readonly reason?: string | null;
  /** Whether the domain is defined persistently. Default true. */
  readonly persistent?: boolean;
  /** Default `libvirt`. */
  readonly source?: VmSourceKind;
  /** Refuse larger documents. */
  readonly maxBytes?: number;
}

const STATES: ReadonlySet<string> = new Set(LIBVIRT_STATES);

function toState(value: string | null): DomainState {
  return value !== null && STATES.has(value) ? (value as DomainState) : 'unknown';
}

function toPort(value: string | null): number | null {
  if (value === null || !/^\d{1,5}$/.test(value)) return null;
  const port = Number(value);
  // -1 (autoport not resolved yet) fails the pattern; 0 is not a usable port either.
  return port > 0 && port < 65536 ? port : null;
}

function parseVnc(graphics: XmlElement): VncEndpoint {
  const listen = child(graphics, 'listen');
  const listenType = attr(listen, 'type');
  const socketPath = attr(graphics, 'socket') ?? (listenType === 'socket' ? attr(listen, 'socket') : null);
  const common = {
    websocketPort: toPort(attr(graphics, 'websocket')),
    passwordSet: attr(graphics, 'passwd') !== null,
  };
  if (socketPath !== null) return { target: { transport: 'unix', path: socketPath }, ...common };
  const port = toPort(attr(graphics, 'port'));
  if (listenType === 'none' || port === null) return { target: null, ...common };
  // libvirt's default vnc_listen is 127.0.0.1; a wildcard is reachable on loopback.
  const address = attr(listen, 'address') ?? attr(graphics, 'listen') ?? '127.0.0.1';
  return { target: { transport: 'tcp', host: loopbackFor(address), port }, ...common };
}

function optionalText(domain: XmlElement, tag: string): string | null {
  const text = childText(domain, tag);
  return text === null || text === '' ? null : text;
}

function toId(value: string | null): number | null {
  return value !== null && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

function requireDomain(tree: XmlElement): { domain: XmlElement; status: XmlElement | undefined } {
  const status = child(tree, 'domstatus');
  const domain = child(status ?? tree, 'domain');
  if (domain === undefined) {
    throw new VwcError('VWC_ERR_XML_INVALID', 'XML document has no <domain> (or <domstatus><domain>) root');
  }
  return { domain, status };
}

/**
 * Parses a domain XML or domstatus document. Throws VwcError VWC_ERR_XML_MALFORMED (not XML,
 * or hostile) or VWC_ERR_XML_INVALID (XML, but not a usable domain: no root, no name).
 */
export function parseDomainXml(xml: string, options: ParseDomainOptions = {}): Vm {
  const { domain, status } = requireDomain(parseXmlTree(xml, options.maxBytes));
  const name = childText(domain, 'name');
  if (name === null || name === '') throw new VwcError('VWC_ERR_XML_INVALID', 'domain XML has no <name>');
  const id = toId(attr(domain, 'id'));
  // A <domstatus> says the state; a bare <domain> carries none, so the caller says it (a live
  // `virsh dumpxml` has an id while the domain runs, which is the best guess otherwise).
  const state = status
    ? toState(attr(status, 'state'))
    : (options.state ?? (id === null ? 'shutoff' : 'running'));
  const reason = status ? attr(status, 'reason') : (options.reason ?? null);

  const devices = child(domain, 'devices') ?? {};
  const graphicsElements = children(devices, 'graphics');
  const graphics: GraphicsDevice[] = graphicsElements.map((g) => {
    const type = attr(g, 'type') ?? 'unknown';
    return { type, supported: type === 'vnc' || type === 'spice' };
  });
  const firstVnc = graphicsElements.find((g) => attr(g, 'type') === 'vnc');
  const firstSpice = graphicsElements.find((g) => attr(g, 'type') === 'spice');

  return {
    name,
    uuid: optionalText(domain, 'uuid'),
    id,
    title: optionalText(domain, 'title'),
    description: optionalText(domain, 'description'),
    state,
    reason,
    source: options.source ?? 'libvirt',
    persistent: options.persistent ?? true,
    vnc: firstVnc ? parseVnc(firstVnc) : null,
    spice: firstSpice ? parseSpice(firstSpice) : null,
    graphics,
    serials: parseSerials(devices),
  };
}
