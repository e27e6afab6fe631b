// The browser→server side of one SPICE channel after its link message (ClientFilter of the
// relay core). Operators and every channel but a viewer's main channel pass through untouched.
// A viewer's main channel is framed (pure state machine, any chunking, forwards subarrays of the
// input) and only messages that do not act on the guest pass: the agent's traffic (clipboard,
// file transfer, monitor layout: AGENT_START, AGENT_DATA, AGENT_TOKEN) and mouse-mode requests
// are dropped whole. Framing needs the negotiated header size and auth step, so the filter reads
// the server's SpiceLinkReply first (`needsServer`).
import { VwcError } from '../../errors/index.js';
import type { ClientFilter } from '../relay/index.js';
import { CAP_AUTH_SELECTION, CAP_MINI_HEADER, hasCap, parseLinkReplyCaps } from './link.js';
import { FULL_HEADER_BYTES, MINI_HEADER_BYTES, MSGC, TICKET_BYTES } from './protocol.js';

/** Passes everything (operators; viewers' channels other than main). */
export class PassFilter implements ClientFilter {
  readonly needsServer = false;
  observeServer(): void {}
  push(data: Buffer, out: Buffer[]): void {
    out.push(data);
  }
}

/** Main-channel messages a viewer may send: acks, pings, client info, channel attach, migration. */
const VIEWER_MAIN: ReadonlySet<number> = new Set([
  MSGC.ackSync,
  MSGC.ack,
  MSGC.pong,
  MSGC.migrateFlushMark,
  MSGC.migrateData,
  MSGC.disconnecting,
  MSGC.clientInfo,
  MSGC.migrateConnected,
  MSGC.migrateConnectError,
  MSGC.attachChannels,
  MSGC.migrateEnd,
]);

/** SPICE's own (RSA) password auth; SASL would make the stream unframable. */
const AUTH_SPICE = 1;

type Phase = 'reply' | 'mechanism' | 'ticket' | 'header' | 'body';

export class ViewerMainFilter implements ClientFilter {
  private phase: Phase = 'reply';
  private serverBytes: Buffer = Buffer.alloc(0);
  private clientCaps: number;
  private miniHeader = false;
  private authSelection = false;
  /** Bytes still expected in the current fixed-size part (mechanism, ticket, header). */
  private need = 0;
  private readonly header = Buffer.alloc(FULL_HEADER_BYTES);
  private headerHave = 0;
  private bodyLeft = 0;
  private forwardBody = false;
  /** Messages dropped (for the detach log line). */
  dropped = 0;

  constructor(clientCommonCaps: number) {
    this.clientCaps = clientCommonCaps;
  }

  get needsServer(): boolean {
    return this.phase === 'reply';
  }

  observeServer(chunk: Buffer): void {
    if (this.phase !== 'reply') return;
    this.serverBytes = Buffer.concat([this.serverBytes, chunk]);
    const reply = parseLinkReplyCaps(this.serverBytes);
    if (reply === null) return;
    this.serverBytes = Buffer.alloc(0);
    this.miniHeader = hasCap(this.clientCaps, CAP_MINI_HEADER) && hasCap(reply.commonCaps, CAP_MINI_HEADER);
    this.authSelection =
      hasCap(this.clientCaps, CAP_AUTH_SELECTION) && hasCap(reply.commonCaps, CAP_AUTH_SELECTION);
    this.phase = this.authSelection ? 'mechanism' : 'ticket';
    this.need = this.authSelection ? 4 : TICKET_BYTES;
  }

  push(data: Buffer, out: Buffer[]): void {
    let at = 0;
    while (at < data.length) {
      switch (this.phase) {
        case 'reply':
          throw new VwcError(
            'VWC_ERR_SPICE_PROTOCOL',
            'the client wrote before the server answered its link',
          );
        case 'mechanism': {
          const take = Math.min(this.need, data.length - at);
          this.header.set(data.subarray(at, at + take), 4 - this.need);
          out.push(data.subarray(at, at + take));
          at += take;
          this.need -= take;
          if (this.need === 0) {
            const mechanism = this.header.readUInt32LE(0);
            if (mechanism !== AUTH_SPICE) {
              throw new VwcError(
                'VWC_ERR_SPICE_PROTOCOL',
                `auth mechanism ${mechanism} is not SPICE password auth`,
              );
            }
            this.phase = 'ticket';
            this.need = TICKET_BYTES;
          }
          break;
        }
        case 'ticket': {
          const take = Math.min(this.need, data.length - at);
          out.push(data.subarray(at, at + take));
          at += take;
          this.need -= take;
          if (this.need === 0) this.startHeader();
          break;
        }
        case 'header': {
          const size = this.miniHeader ? MINI_HEADER_BYTES : FULL_HEADER_BYTES;
          const take = Math.min(size - this.headerHave, data.length - at);
          data.copy(this.header, this.headerHave, at, at + take);
          at += take;
          this.headerHave += take;
          if (this.headerHave < size) break;
          const type = this.miniHeader ? this.header.readUInt16LE(0) : this.header.readUInt16LE(8);
          this.bodyLeft = this.miniHeader ? this.header.readUInt32LE(2) : this.header.readUInt32LE(10);
          this.forwardBody = VIEWER_MAIN.has(type);
          if (this.forwardBody) out.push(Buffer.from(this.header.subarray(0, size)));
          else this.dropped += 1;
          if (this.bodyLeft === 0) this.startHeader();
          else this.phase = 'body';
          break;
        }
        case 'body': {
          const take = Math.min(this.bodyLeft, data.length - at);
          if (this.forwardBody) out.push(data.subarray(at, at + take));
          at += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.startHeader();
          break;
        }
      }
    }
  }

  private startHeader(): void {
    this.phase = 'header';
    this.headerHave = 0;
  }
}
