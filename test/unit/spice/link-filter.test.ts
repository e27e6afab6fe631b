// The SPICE protocol core: the link message reader, the channel policy, the viewer's main-channel
// filter (any chunking), and the one-client-at-a-time decision.
import { describe, expect, it } from 'vitest';
import {
  CHANNEL,
  LinkReader,
  MSGC,
  PassFilter,
  ViewerMainFilter,
  channelAllowed,
  decideMain,
  parseLink,
} from '../../../src/bridge/spice/index.js';
import { isVwcError } from '../../../src/errors/index.js';

function link(channelType: number, connectionId = 0, caps = 0b1011): Buffer {
  const body = Buffer.alloc(22);
  body.writeUInt32LE(connectionId, 0);
  body[4] = channelType;
  body[5] = 0;
  body.writeUInt32LE(1, 6);
  body.writeUInt32LE(0, 10);
  body.writeUInt32LE(18, 14);
  body.writeUInt32LE(caps, 18);
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(body.length, 12);
  return Buffer.concat([header, body]);
}

function reply(caps: number): Buffer {
  const body = Buffer.alloc(178 + 4);
  body.writeUInt32LE(0, 0);
  body.writeUInt32LE(1, 166);
  body.writeUInt32LE(0, 170);
  body.writeUInt32LE(178, 174);
  body.writeUInt32LE(caps, 178);
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(body.length, 12);
  return Buffer.concat([header, body]);
}

function mini(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(type, 0);
  header.writeUInt32LE(payload.length, 2);
  return Buffer.concat([header, payload]);
}

function full(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(18);
  header.writeBigUInt64LE(7n, 0);
  header.writeUInt16LE(type, 8);
  header.writeUInt32LE(payload.length, 10);
  return Buffer.concat([header, payload]);
}

describe('SPICE link message', () => {
  it('is read whole from any chunking, with the bytes that follow kept', () => {
    const bytes = Buffer.concat([link(CHANNEL.inputs, 0x1234), Buffer.from([9, 9])]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new LinkReader();
      const first = reader.push(bytes.subarray(0, cut));
      const parsed = first ?? reader.push(bytes.subarray(cut));
      expect(parsed).toEqual({
        connectionId: 0x1234,
        channelType: CHANNEL.inputs,
        channelId: 0,
        commonCaps: 0b1011,
      });
      expect(Buffer.concat([...reader.buffered])).toEqual(first ? bytes.subarray(0, cut) : bytes);
    }
  });

  it('refuses what is not SPICE with VWC_ERR_SPICE_PROTOCOL', () => {
    const bad = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.concat([link(1).subarray(0, 4), Buffer.from([3, 0, 0, 0]), link(1).subarray(8)]),
      (() => {
        const b = link(1);
        b.writeUInt32LE(100_000, 12);
        return b;
      })(),
    ];
    for (const data of bad) {
      try {
        parseLink(data);
        expect.unreachable();
      } catch (error) {
        expect(isVwcError(error, 'VWC_ERR_SPICE_PROTOCOL')).toBe(true);
      }
    }
  });
});

describe('SPICE channel policy', () => {
  it('gives viewers main, display, cursor and playback only; operators everything', () => {
    const viewer = Object.entries(CHANNEL)
      .filter(([, type]) => channelAllowed('viewer', type))
      .map(([name]) => name);
    expect(viewer).toEqual(['main', 'display', 'cursor', 'playback']);
    for (const type of Object.values(CHANNEL)) expect(channelAllowed('operator', type)).toBe(true);
  });
});

describe("a viewer's main channel", () => {
  const ticket = Buffer.alloc(128, 7);
  const mechanism = Buffer.from([1, 0, 0, 0]);
  const kept = [
    mini(MSGC.clientInfo, Buffer.alloc(8, 1)),
    mini(MSGC.attachChannels, Buffer.alloc(0)),
    mini(MSGC.pong, Buffer.alloc(12, 2)),
  ];
  const dropped = [
    mini(MSGC.agentStart, Buffer.alloc(4, 3)),
    mini(MSGC.agentData, Buffer.alloc(2048, 4)), // clipboard, file transfer, monitor layout …
    mini(MSGC.agentToken, Buffer.alloc(4, 5)),
    mini(MSGC.mouseModeRequest, Buffer.alloc(4, 6)),
  ];
  const stream = Buffer.concat([
    mechanism,
    ticket,
    kept[0]!,
    dropped[0]!,
    dropped[1]!,
    kept[1]!,
    dropped[2]!,
    dropped[3]!,
    kept[2]!,
  ]);
  const expected = Buffer.concat([mechanism, ticket, ...kept]);

  it('drops the agent and mouse-mode messages whole, at every chunk boundary', () => {
    for (const size of [1, 2, 5, 7, 64, 1000, stream.length]) {
      const filter = new ViewerMainFilter(0b1011);
      expect(filter.needsServer).toBe(true);
      const serverReply = reply(0b1011);
      filter.observeServer(serverReply.subarray(0, 20));
      filter.observeServer(serverReply.subarray(20));
      expect(filter.needsServer).toBe(false);
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) {
        const chunk: Buffer[] = [];
        filter.push(stream.subarray(at, at + size), chunk);
        out.push(...chunk.map((c) => Buffer.from(c)));
      }
      expect(Buffer.concat(out)).toEqual(expected);
      expect(filter.dropped).toBe(4);
    }
  });

  it('frames full headers when the server has no mini header, and without auth selection', () => {
    const filter = new ViewerMainFilter(0b1011);
    filter.observeServer(reply(0b0010));
    const out: Buffer[] = [];
    const data = Buffer.concat([
      ticket,
      full(MSGC.agentData, Buffer.alloc(30)),
      full(MSGC.attachChannels, Buffer.alloc(0)),
    ]);
    filter.push(data, out);
    expect(Buffer.concat(out)).toEqual(Buffer.concat([ticket, full(MSGC.attachChannels, Buffer.alloc(0))]));
  });

  it('refuses SASL, which would make the stream unframable', () => {
    const filter = new ViewerMainFilter(0b1011);
    filter.observeServer(reply(0b1011));
    expect(() => {
      filter.push(Buffer.from([2, 0, 0, 0]), []);
    }).toThrow(/auth mechanism 2/);
  });

  it('operators and other channels pass untouched', () => {
    const out: Buffer[] = [];
    new PassFilter().push(stream, out);
    expect(out).toEqual([stream]);
  });
});

describe('one SPICE client at a time', () => {
  const alice = { user: 'alice', role: 'operator', clientAddress: 'a' } as const;
  const bob = { user: 'bob', role: 'operator', clientAddress: 'b' } as const;
  const victor = { user: 'victor', role: 'viewer', clientAddress: 'v' } as const;
  const held = (session: typeof alice | typeof victor) => ({ session, relays: new Set<never>() });

  it('lets the first in, asks the next, never lets a viewer displace an operator', () => {
    expect(decideMain(null, victor, false)).toEqual({ ok: true, displaced: null });
    const busy = decideMain(held(alice), bob, false);
    expect(busy.ok || busy.error.message).toBe('alice (operator) is using the SPICE console');
    const viewer = decideMain(held(alice), victor, true);
    expect(viewer.ok || viewer.error.code).toBe('VWC_ERR_SPICE_BUSY');
    const taken = decideMain(held(alice), bob, true);
    expect(taken.ok && taken.displaced?.session.user).toBe('alice');
    const overViewer = decideMain(held(victor), bob, true);
    expect(overViewer.ok).toBe(true);
  });
});
