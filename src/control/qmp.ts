// A small QMP client for socket-folder VMs: connect to QEMU's `-qmp unix:NAME.qmp,server=on`
// socket, read the greeting, negotiate capabilities, run one command, hang up. QMP serves one
// client at a time (a second connection waits), so each command is a short connection of its own.
import net from 'node:net';
import { VwcError } from '../errors/index.js';

export interface QmpOptions {
  /** For the whole exchange; default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Largest line accepted from QEMU; default 1 MiB. */
  readonly maxLineBytes?: number;
}

/** A QMP `error` answer: QEMU refused the command; `desc` is QEMU's message. */
export class QmpCommandError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(desc);
    this.name = 'QmpCommandError';
  }
}

type Message = Record<string, unknown>;

/** Runs `command` on the QMP socket at `socketPath`; resolves with its `return` value. */
export function qmpCommand(
  socketPath: string,
  command: string,
  args?: Record<string, unknown>,
  options: QmpOptions = {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxLine = options.maxLineBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: socketPath });
    let buffered = '';
    let step: 'greeting' | 'capabilities' | 'command' = 'greeting';
    let settled = false;
    const finish = (error: Error | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => {
      finish(new VwcError('VWC_ERR_ACTION_FAILED', `QMP ${command}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const send = (execute: string, argumentsValue?: Record<string, unknown>): void => {
      socket.write(
        `${JSON.stringify(argumentsValue ? { execute, arguments: argumentsValue } : { execute })}\n`,
      );
    };
    const onMessage = (message: Message): void => {
      // Asynchronous events (SHUTDOWN, STOP, RESET …) come in between; they answer nothing.
      if ('event' in message) return;
      if (step === 'greeting') {
        if (!('QMP' in message)) throw new VwcError('VWC_ERR_ACTION_FAILED', 'not a QMP greeting');
        step = 'capabilities';
        send('qmp_capabilities');
        return;
      }
      if ('error' in message) {
        const error = (message.error ?? {}) as { class?: unknown; desc?: unknown };
        finish(
          new QmpCommandError(
            typeof error.class === 'string' ? error.class : 'GenericError',
            typeof error.desc === 'string' ? error.desc : 'QMP error',
          ),
        );
        return;
      }
      if (!('return' in message)) return;
      if (step === 'capabilities') {
        step = 'command';
        send(command, args);
        return;
      }
      finish(null, message.return);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        try {
          onMessage(JSON.parse(line) as Message);
        } catch (error) {
          finish(
            error instanceof VwcError
              ? error
              : new VwcError('VWC_ERR_ACTION_FAILED', `QMP ${command}: unreadable answer`, { cause: error }),
          );
          return;
        }
        if (settled) return;
      }
      if (buffered.length > maxLine) finish(new VwcError('VWC_ERR_ACTION_FAILED', 'QMP line too long'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish(
        new VwcError(
          error.code === 'ECONNREFUSED' || error.code === 'ENOENT'
            ? 'VWC_ERR_ACTION_CONFLICT'
            : 'VWC_ERR_ACTION_FAILED',
          error.code === 'ECONNREFUSED' || error.code === 'ENOENT'
            ? 'domain is not running (its QMP socket refuses connections)'
            : `QMP ${command}: ${error.message}`,
          { cause: error },
        ),
      );
    });
    socket.on('close', () => {
      // `quit` closes the connection, sometimes before its `return` arrives: that is success.
      if (step === 'command' && command === 'quit') finish(null, {});
      else finish(new VwcError('VWC_ERR_ACTION_FAILED', `QMP ${command}: QEMU closed the connection`));
    });
  });
}
