// Connects an open WebSocket to a serial mux: binary frames are console input, text frames are
// control messages. Console output goes out as frames built once per chunk and written straight
// on the socket under the WebSocket (relay/frames.ts: the same bytes for every client, no
// per-client copy or callback unless the kernel does not take the frame whole); control
// messages go through ws.send. Both write whole frames synchronously, so their order holds.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { VwcError } from '../../errors/index.js';
import { BrowserFrames } from '../relay/index.js';
import type { ConsoleSession, SerialAttachOptions } from '../types.js';
import type { ClientTransport } from './client.js';
import type { SerialClientHandle, SerialMux } from './mux.js';
import { encode, parseClientMessage } from './protocol.js';

/** After a close frame, a client that does not answer (it may not be reading) is cut off. */
const CLOSE_GRACE_MS = 2000;

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Sends an `error` control message and closes with the error's close code. */
export function closeWithError(ws: WebSocket, error: VwcError): void {
  if (ws.readyState === WebSocket.OPEN)
    ws.send(encode({ type: 'error', code: error.code, message: error.message }));
  closeSoon(ws, error.wsCloseCode, Buffer.from(error.message).subarray(0, 120).toString());
}

function closeSoon(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  ws.close(code, reason);
  setTimeout(() => {
    ws.terminate();
  }, CLOSE_GRACE_MS).unref();
}

/** `socket` is the one under `ws`, as handed to handleUpgrade. */
export function webSocketTransport(ws: WebSocket, socket: Duplex): ClientTransport {
  /** `done` callbacks of frames the kernel did not take whole, run once the socket has written them. */
  let waiting: (() => void)[] = [];
  const frames = new BrowserFrames(socket, () => {
    const flushed = waiting;
    waiting = [];
    for (const done of flushed) done();
  });
  return {
    sendBinary: (chunk, done) => {
      if (ws.readyState !== WebSocket.OPEN) {
        done();
        return;
      }
      if (frames.writeFrame(chunk.wsFrame())) done();
      else waiting.push(done);
    },
    sendText: (text, done) => {
      if (ws.readyState !== WebSocket.OPEN) {
        done();
        return;
      }
      ws.send(text, () => {
        done();
      });
    },
    close: (code, reason) => {
      closeSoon(ws, code, reason);
    },
    pauseInput: () => {
      ws.pause();
    },
    resumeInput: () => {
      ws.resume();
    },
  };
}

export interface WebSocketAttachLimits {
  readonly maxInputFrameBytes: number;
}

/** Hands `ws` to `mux`; refuses (error message + close) when the mux will not take it. */
export function attachWebSocket(
  mux: SerialMux,
  ws: WebSocket,
  socket: Duplex,
  session: ConsoleSession,
  options: SerialAttachOptions,
  limits: WebSocketAttachLimits,
  logger: Logger,
): void {
  let handle: SerialClientHandle;
  try {
    handle = mux.attach(webSocketTransport(ws, socket), session, options);
  } catch (error) {
    closeWithError(
      ws,
      error instanceof VwcError
        ? error
        : new VwcError('VWC_ERR_INTERNAL', 'serial attach failed', { cause: error }),
    );
    if (!(error instanceof VwcError)) logger.error({ err: error }, 'serial attach failed');
    return;
  }
  ws.on('message', (raw, isBinary) => {
    const data = toBuffer(raw);
    // ws's maxPayload (set where the server is built) refuses bigger frames first; this check
    // holds whatever that setting is.
    if (data.length > limits.maxInputFrameBytes) {
      handle.detach();
      closeWithError(
        ws,
        new VwcError(
          'VWC_ERR_FRAME_TOO_LARGE',
          `frame of ${data.length} bytes; the limit is ${limits.maxInputFrameBytes}`,
        ),
      );
      return;
    }
    if (isBinary) {
      handle.input(data);
      return;
    }
    const message = parseClientMessage(data.toString('utf8'));
    if (!message) {
      handle.detach();
      closeWithError(ws, new VwcError('VWC_ERR_SERIAL_PROTOCOL', 'unknown control message'));
      return;
    }
    handle.control(message);
  });
  ws.on('close', () => {
    handle.detach();
  });
  ws.on('error', (error) => {
    logger.debug({ err: error.message, client: handle.id }, 'serial websocket error');
  });
}
