// The VNC control channel on a WebSocket: JSON text frames beside the raw RFB socket, because
// RFB has no room for presence or a lock (docs/vnc.md "Control lock"). Messages out are the
// VncControl's; in, `take-lock` and `release-lock` (the serial protocol's names and parser).
import { WebSocket } from 'ws';
import { VwcError } from '../../errors/index.js';
import { parseClientMessage } from '../serial/protocol.js';
import { closeWithError } from '../serial/ws-adapter.js';
import type { ConsoleSession } from '../types.js';
import type { VncControl } from './control.js';

/** A control request is a few bytes; anything longer is not one. */
const MAX_REQUEST_BYTES = 256;

/** Attaches `ws` to `control`; `onClosed` runs once when the socket is gone. */
export function attachControlSocket(
  ws: WebSocket,
  control: VncControl,
  session: ConsoleSession,
  onClosed: () => void,
): void {
  const watch = control.watch(session, (message) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  });
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    watch.leave();
    onClosed();
  };
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const request =
      !isBinary && raw.length <= MAX_REQUEST_BYTES ? parseClientMessage(raw.toString('utf8')) : undefined;
    if (!request) {
      close();
      closeWithError(ws, new VwcError('VWC_ERR_VNC_CONTROL_PROTOCOL', 'unknown VNC control message'));
      return;
    }
    watch.request(request);
  });
  ws.on('close', close);
  ws.on('error', close);
}
