// The socket-folder naming convention (docs/discovery.md): in a watched folder,
//   NAME.vnc          VNC server (QEMU `-vnc unix:…`), raw RFB
//   NAME.serialN      serial port N (QEMU `-chardev socket,server=on`), raw bytes
//   NAME.serialN.ws   serial port N as a QEMU websocket chardev (`websocket=on`)
//   NAME.qmp          QMP monitor (`-qmp unix:…,server=on,wait=off`), for power actions
// Pure: file names in, VM skeletons out.
import type { SerialEndpoint, Vm } from './types.js';

export type SocketRole =
  | { readonly kind: 'vnc' }
  | { readonly kind: 'qmp' }
  | { readonly kind: 'serial'; readonly port: number; readonly websocket: boolean };

export interface NamedSocket {
  readonly vmName: string;
  readonly role: SocketRole;
  readonly path: string;
}

const PATTERN = /^(.+)\.(?:(vnc)|(qmp)|serial(\d{1,3})(\.ws)?)$/;

/** What a socket file named `file` is, or null when the name follows no convention. */
export function classifySocket(file: string): { vmName: string; role: SocketRole } | null {
  const match = PATTERN.exec(file);
  if (!match) return null;
  const [, vmName, vnc, qmp, port, ws] = match;
  if (vnc) return { vmName: vmName!, role: { kind: 'vnc' } };
  if (qmp) return { vmName: vmName!, role: { kind: 'qmp' } };
  return { vmName: vmName!, role: { kind: 'serial', port: Number(port), websocket: ws !== undefined } };
}

/** A VM described by its sockets; the state is decided by probing (see socket-folder-source). */
export function vmFromSockets(name: string, sockets: readonly NamedSocket[], state: Vm['state']): Vm {
  const vnc = sockets.find((s) => s.role.kind === 'vnc');
  const qmp = sockets.find((s) => s.role.kind === 'qmp');
  const serialsByPort = new Map<number, NamedSocket>();
  for (const socket of sockets) {
    const role = socket.role;
    if (role.kind !== 'serial') continue;
    const existing = serialsByPort.get(role.port);
    // A raw socket is preferred to a websocket one for the same port (no 16-byte input limit).
    if (!existing || (existing.role.kind === 'serial' && existing.role.websocket && !role.websocket)) {
      serialsByPort.set(role.port, socket);
    }
  }
  const serials: SerialEndpoint[] = [...serialsByPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, socket], index) => ({
      index,
      element: 'serial',
      port,
      targetType: null,
      alias: null,
      source:
        socket.role.kind === 'serial' && socket.role.websocket
          ? { kind: 'websocket', path: socket.path }
          : { kind: 'unix', path: socket.path, mode: 'bind' },
      logFile: null,
    }));
  return {
    name,
    uuid: null,
    id: null,
    title: null,
    description: null,
    state,
    reason: null,
    source: 'socket-folder',
    persistent: false,
    vnc: vnc
      ? { target: { transport: 'unix', path: vnc.path }, websocketPort: null, passwordSet: false }
      : null,
    graphics: vnc ? [{ type: 'vnc', supported: true }] : [],
    serials,
    ...(qmp ? { qmp: qmp.path } : {}),
  };
}
