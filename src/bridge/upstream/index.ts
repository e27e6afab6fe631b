// Upstream connectors: how the daemon reaches a console's source (pty, UNIX or TCP socket, QEMU
// websocket chardev). The serial mux owns one upstream per port; the VNC bridge may reuse
// `connectStream`.
import type { SerialSource } from '../../discovery/types.js';
import { connectPty } from './pty.js';
import { connectQemuWebsocket } from './qemu-websocket.js';
import { connectStream, describeTarget, socketUpstream } from './socket.js';
import { TELNET_BREAK, TelnetDecoder, telnetEncode } from './telnet.js';
import type { SerialUpstream, UpstreamHandlers } from './types.js';

export type { SerialUpstream, StreamTarget, UpstreamHandlers } from './types.js';
export { connectStream, describeTarget, loopbackFor } from './socket.js';
export { chunkInput, QEMU_WS_INPUT_FRAME_BYTES } from './qemu-websocket.js';

/** Opens the source of a serial console; rejects when it cannot (yet) be reached. */
export type SerialConnector = (source: SerialSource, handlers: UpstreamHandlers) => Promise<SerialUpstream>;

/** Why a source can never be attached, or null when it can (a pty may still lack its path). */
export function unsupportedReason(source: SerialSource): string | null {
  switch (source.kind) {
    case 'pty':
    case 'websocket':
      return null;
    case 'unix':
      return source.mode === 'bind' ? null : 'the UNIX socket is in connect mode (QEMU would dial us)';
    case 'tcp':
      if (source.mode !== 'bind') return 'the TCP socket is in connect mode (QEMU would dial us)';
      return source.protocol === 'raw' || source.protocol === 'telnet'
        ? null
        : `TCP protocol ${source.protocol} is not supported (only raw and telnet)`;
    case 'unsupported':
      return `serial type ${source.type} cannot be attached`;
  }
}

/** The default connector: the real pty, socket and websocket connections. */
export const connectSerial: SerialConnector = async (source, handlers) => {
  const reason = unsupportedReason(source);
  if (reason !== null) throw new Error(reason);
  switch (source.kind) {
    case 'pty':
      if (source.path === null) throw new Error('the pty path is not known yet');
      return connectPty(source.path, handlers);
    case 'websocket':
      return connectQemuWebsocket(source.path, handlers);
    case 'unix':
    case 'tcp': {
      const target =
        source.kind === 'unix'
          ? ({ transport: 'unix', path: source.path } as const)
          : ({ transport: 'tcp', host: source.host, port: source.port } as const);
      // Telnet (QEMU's `telnet=on`): commands stripped from output, 0xFF doubled in input.
      const telnet = source.kind === 'tcp' && source.protocol === 'telnet' ? new TelnetDecoder() : null;
      const socket = await connectStream(target, 5000, (chunk) => {
        const data = telnet ? telnet.decode(chunk) : chunk;
        if (data.length > 0) handlers.data(data);
      });
      const description = `${telnet ? 'telnet ' : ''}${describeTarget(target)}`;
      return telnet
        ? socketUpstream(socket, description, handlers, telnetEncode, TELNET_BREAK)
        : socketUpstream(socket, description, handlers);
    }
    case 'unsupported':
      throw new Error(`serial type ${source.type} cannot be attached`);
  }
};
