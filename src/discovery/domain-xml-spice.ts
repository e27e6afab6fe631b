// `<graphics type='spice'>` → SpiceEndpoint. Pure. The forms libvirt writes:
//   TCP:  port='5901' (autoport='yes' gives -1 until the live XML resolves it), tlsPort='5902',
//         listen='ADDR' or <listen type='address' address='ADDR'/>
//   UNIX: <listen type='socket' socket='/path'/> (QEMU's `-spice unix=on,addr=/path`)
//   none: <listen type='none'/>
// The plaintext port is what the bridge relays: spice-html5 cannot speak TLS, and a VM with
// only a TLS port is listed with a null target and the reason.
import type { SpiceEndpoint } from './types.js';
import { loopbackFor } from './loopback.js';
import { attr, child, type XmlElement } from './xml-tree.js';

function toPort(value: string | null): number | null {
  if (value === null || !/^\d{1,5}$/.test(value)) return null;
  const port = Number(value);
  return port > 0 && port < 65536 ? port : null;
}

export function parseSpice(graphics: XmlElement): SpiceEndpoint {
  const listen = child(graphics, 'listen');
  const listenType = attr(listen, 'type');
  const passwordSet = attr(graphics, 'passwd') !== null;
  const tlsPort = toPort(attr(graphics, 'tlsPort'));
  if (listenType === 'socket') {
    const path = attr(listen, 'socket');
    return { target: path === null ? null : { transport: 'unix', path }, tlsPort: null, passwordSet };
  }
  const port = toPort(attr(graphics, 'port'));
  if (listenType === 'none' || port === null) return { target: null, tlsPort, passwordSet };
  // libvirt's default spice_listen is 127.0.0.1; a wildcard is reachable on loopback.
  const address = attr(listen, 'address') ?? attr(graphics, 'listen') ?? '127.0.0.1';
  return { target: { transport: 'tcp', host: loopbackFor(address), port }, tlsPort, passwordSet };
}
