// One SSH channel attached to a serial console: the same mux client a browser WebSocket is
// (src/bridge/serial/ws-adapter.ts does the same for ws), so history, roles, the write lock,
// takeover and presence are shared with browser windows. Console bytes go to the channel's
// stdout exactly as the mux sends them; control messages become short lines on stderr
// (notices.ts). Input passes the escape parser (escapes.ts) on its way to the mux.
import type { Logger } from 'pino';
import type { ServerChannel } from 'ssh2';
import type { ClientTransport, ConsoleHub, ConsoleSession, SerialClientHandle } from '../bridge/index.js';
import type { ServerMessage } from '../bridge/serial/index.js';
import { VwcError, isVwcError } from '../errors/index.js';
import { ESCAPE_HELP, EscapeParser, type EscapeCommand } from './escapes.js';
import { NoticeWriter } from './notices.js';

export interface ConsoleChannelOptions {
  readonly hub: ConsoleHub;
  readonly vmName: string;
  readonly index: number;
  readonly session: ConsoleSession;
  /** History replayed on attach (the last bytes), 0 = start at the live end. */
  readonly historyBytes: number;
  /** Closed after this long without input; 0 = never. */
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
  /** Called once when the channel is done (for the per-user session count). */
  readonly onEnd: () => void;
}

/** Writes a notice line on the channel's stderr, when it is still open. */
function notice(channel: ServerChannel, text: string): void {
  if (channel.stderr.writable) channel.stderr.write(text);
}

/** Ends a channel with an exit status (OpenSSH's `ssh` exits with it). */
export function endChannel(channel: ServerChannel, status: number, message?: string): void {
  if (message !== undefined) notice(channel, `\r[virt-webconsole] ${message}\r\n`);
  if (channel.writable) {
    channel.exit(status);
    channel.end();
  }
}

/** The mux's view of this channel: output on stdout, control lines on stderr. */
function channelTransport(channel: ServerChannel, notices: NoticeWriter): ClientTransport {
  return {
    sendBinary: (chunk, done) => {
      if (!channel.writable) {
        done();
        return;
      }
      // The callback runs once ssh2 has sent the bytes into the channel's window: that is the
      // in-flight measure the mux bounds (a slow ssh client is resynced like a slow browser).
      channel.write(chunk.data, () => {
        done();
      });
    },
    sendText: (text, done) => {
      const line = notices.format(JSON.parse(text) as ServerMessage);
      if (line === null || !channel.stderr.writable) {
        done();
        return;
      }
      channel.stderr.write(line, () => {
        done();
      });
    },
    close: (code) => {
      // The mux sent the reason as an `error` message (already on stderr).
      endChannel(channel, code === 1000 ? 0 : 1);
    },
    pauseInput: () => {
      channel.pause();
    },
    resumeInput: () => {
      channel.resume();
    },
  };
}

export class ConsoleChannel {
  private handle: SerialClientHandle | null = null;
  private readonly parser = new EscapeParser();
  private idleTimer: NodeJS.Timeout | null = null;
  private toldReadOnly = false;
  private ended = false;

  constructor(
    private readonly channel: ServerChannel,
    private readonly options: ConsoleChannelOptions,
  ) {}

  /** Attaches to the mux; on refusal says why on stderr and ends the channel (exit 1). */
  start(): void {
    const { hub, vmName, index, session, historyBytes, logger } = this.options;
    const name = index === 0 ? vmName : `${vmName}/serial${index}`;
    this.channel.on('close', () => {
      this.finish();
    });
    this.channel.on('error', (error: Error) => {
      logger.debug({ err: error.message }, 'ssh channel error');
    });
    try {
      this.handle = hub.attachSerialClient(
        vmName,
        index,
        channelTransport(this.channel, new NoticeWriter(name)),
        session,
        { last: historyBytes },
      );
    } catch (error) {
      const vwc = isVwcError(error)
        ? error
        : new VwcError('VWC_ERR_INTERNAL', 'serial attach failed', { cause: error });
      if (!isVwcError(error)) logger.error({ err: error }, 'ssh serial attach failed');
      endChannel(this.channel, 1, `${vwc.message} (${vwc.code})`);
      this.finish();
      return;
    }
    logger.info({ client: this.handle.id, history: historyBytes }, 'ssh console attached');
    this.channel.on('data', (data: Buffer) => {
      this.input(data);
    });
    this.armIdle();
  }

  /** Daemon shutdown: says so and ends the channel. */
  shutdown(reason: string): void {
    endChannel(this.channel, 1, `${reason} (VWC_ERR_SHUTTING_DOWN)`);
    this.finish();
  }

  private input(data: Buffer): void {
    const handle = this.handle;
    if (!handle || this.ended) return;
    this.armIdle();
    for (const action of this.parser.feed(data)) {
      // An escape earlier in this packet (~.) may have ended the session.
      if (this.isEnded()) return;
      if (action.kind === 'command') this.command(action.command, handle);
      else {
        if (this.options.session.role === 'viewer' && !this.toldReadOnly) {
          this.toldReadOnly = true;
          notice(this.channel, '\r[virt-webconsole] read-only: viewers cannot type here\r\n');
        }
        handle.input(action.data);
      }
    }
  }

  private command(command: EscapeCommand, handle: SerialClientHandle): void {
    switch (command) {
      case 'detach':
        endChannel(this.channel, 0, 'detached');
        this.finish();
        return;
      case 'help':
        notice(this.channel, `\r\n${ESCAPE_HELP}`);
        return;
      case 'take-lock':
        if (this.options.session.role === 'viewer') {
          notice(this.channel, '\r[virt-webconsole] read-only: viewers cannot take the write lock\r\n');
        }
        handle.control({ type: 'take-lock' });
        return;
      case 'break': {
        const why = handle.sendBreak();
        notice(this.channel, `\r[virt-webconsole] ${why === null ? 'break sent' : `no break: ${why}`}\r\n`);
        return;
      }
    }
  }

  private armIdle(): void {
    const ms = this.options.idleTimeoutMs;
    if (ms <= 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        const error = new VwcError('VWC_ERR_SSH_IDLE', `no input for ${Math.round(ms / 1000)} s: closed`);
        this.options.logger.info({ idleSeconds: ms / 1000 }, 'ssh console idle: closed');
        endChannel(this.channel, 1, `${error.message} (${error.code})`);
        this.finish();
      }, ms);
      this.idleTimer.unref();
    }
  }

  private isEnded(): boolean {
    return this.ended;
  }

  /** Detaches from the mux and reports the end, once. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.handle?.detach();
    this.options.logger.info('ssh console detached');
    this.options.onEnd();
  }
}
