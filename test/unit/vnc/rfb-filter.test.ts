import { describe, expect, it } from 'vitest';
import { isVwcError } from '../../../src/errors/index.js';
import { RfbClientFilter } from '../../../src/bridge/vnc/rfb-filter.js';
import * as m from './rfb-build.js';
import { expectedOutput, readClientStream } from './rfb-oracle.js';

/** Feeds `stream` cut at `cuts` (sorted offsets); returns what the filter forwarded. */
function run(filter: RfbClientFilter, stream: Buffer, cuts: readonly number[]): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    if (cut > from) filter.push(stream.subarray(from, cut), out);
    from = cut;
  }
  return Buffer.concat(out);
}

/** Every message type noVNC (and QEMU's extensions) can send, after a 3.8 None handshake. */
function session(sharedFlag = 1): Buffer {
  return Buffer.concat([
    m.version(8),
    Buffer.of(1), // security: None
    Buffer.of(sharedFlag),
    m.setPixelFormat(),
    m.setEncodings([7, 1, 5, 0, -223, -224, -258, -261, -308, -309, -312, -313, -316, 0x574d5664]),
    m.updateRequest(false),
    m.keyEvent(0x61, true),
    m.keyEvent(0x61, false),
    m.qemuKeyEvent(0xff0d, true, 0x1c),
    m.pointerEvent(10, 20, 1),
    m.pointerEvent(10, 20, 0),
    m.cutText('hello clipboard'),
    m.extendedCutText(Buffer.from('\x01\x00\x00\x00x\x9c', 'latin1')),
    m.fence(0x80000002, Buffer.from('sync')),
    m.enableContinuousUpdates(true),
    m.setDesktopSize(800, 600, 1),
    m.xvp(2),
    m.gii(Buffer.alloc(5, 7), true),
    m.gii(Buffer.alloc(3, 9), false),
    m.qemuAudio(2),
    m.qemuAudio(0),
    m.qemuAudio(1),
    m.updateRequest(true),
  ]);
}

describe('RfbClientFilter on a synthetic noVNC-shaped session', () => {
  const stream = session();
  const parsed = readClientStream(stream);

  for (const viewOnly of [false, true]) {
    const role = viewOnly ? 'viewer' : 'operator';
    it(`${role}: same output for a cut at every byte boundary`, () => {
      const expected = expectedOutput(parsed, viewOnly);
      for (let cut = 0; cut <= stream.length; cut++) {
        expect(run(new RfbClientFilter({ viewOnly }), stream, [cut])).toEqual(expected);
      }
    });

    it(`${role}: same output fed one byte at a time`, () => {
      const everyByte = Array.from({ length: stream.length }, (_, k) => k);
      expect(run(new RfbClientFilter({ viewOnly }), stream, everyByte)).toEqual(
        expectedOutput(parsed, viewOnly),
      );
    });
  }

  it('viewer: drops exactly key, pointer, clipboard, resize, xvp, GII and QEMU key messages', () => {
    const filter = new RfbClientFilter({ viewOnly: true });
    const out = run(filter, stream, []);
    const dropped = parsed.messages.length - readClientStream(out).messages.length;
    // 2 keys + 1 QEMU key + 2 pointer + 2 cut text + resize + xvp + 2 GII
    expect(dropped).toBe(11);
    expect(filter.messagesDropped).toBe(11);
    expect(readClientStream(out).messages.map((x) => x.type)).toEqual([0, 2, 3, 248, 150, 255, 255, 255, 3]);
  });

  it('operator: forwards everything, with ExtendedMouseButtons (-316) removed from SetEncodings', () => {
    const out = run(new RfbClientFilter({ viewOnly: false }), stream, []);
    const forwarded = readClientStream(out);
    expect(forwarded.messages).toHaveLength(parsed.messages.length);
    const encodings = forwarded.messages[1]!.bytes;
    expect(encodings.readUInt16BE(2)).toBe(13);
    expect(encodings.includes(Buffer.from([0xff, 0xff, 0xfe, 0xc4]))).toBe(false);
  });

  it('forwards whole messages as views of the input chunk (no copy)', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    filter.push(Buffer.concat([m.version(8), Buffer.of(1, 1)]), []);
    const chunk = Buffer.concat([m.updateRequest(true), m.keyEvent(0x61, true), m.pointerEvent(1, 2, 0)]);
    const out: Buffer[] = [];
    filter.push(chunk, out);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(chunk);
  });
});

describe('RfbClientFilter handshake', () => {
  it('forces the ClientInit shared flag to 1 and remembers the request', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    const out = run(filter, session(0), []);
    expect(out[13]).toBe(1);
    expect(filter.exclusiveRequested).toBe(true);
  });

  it('3.7 with VNC authentication passes the 16-byte response through', () => {
    const response = Buffer.alloc(16, 0xab);
    const stream = Buffer.concat([
      m.version(7),
      Buffer.of(2),
      response,
      Buffer.of(0),
      m.keyEvent(0x62, true),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const out = run(new RfbClientFilter({ viewOnly: true }), stream, [cut]);
      expect(out).toEqual(Buffer.concat([m.version(7), Buffer.of(2), response, Buffer.of(1)]));
    }
  });

  it('3.3 learns the security type from the server (VNC auth)', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    expect(filter.needsServer).toBe(true);
    const server = Buffer.concat([Buffer.from('RFB 003.003\n'), Buffer.of(0, 0, 0, 2), Buffer.alloc(16, 1)]);
    filter.observeServer(server.subarray(0, 12)); // greeting, before the client answers
    const out: Buffer[] = [];
    filter.push(m.version(3), out);
    expect(filter.needsServer).toBe(true);
    filter.observeServer(server.subarray(12, 14));
    filter.observeServer(server.subarray(14));
    expect(filter.needsServer).toBe(false);
    filter.push(Buffer.concat([Buffer.alloc(16, 0xcd), Buffer.of(0), m.updateRequest(false)]), out);
    expect(Buffer.concat(out)).toEqual(
      Buffer.concat([m.version(3), Buffer.alloc(16, 0xcd), Buffer.of(1), m.updateRequest(false)]),
    );
  });

  it('3.3 with security None goes straight to ClientInit', () => {
    const filter = new RfbClientFilter({ viewOnly: true });
    filter.observeServer(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.of(0, 0, 0, 1)]));
    const out = run(filter, Buffer.concat([m.version(3), Buffer.of(0), m.pointerEvent(1, 1, 1)]), []);
    expect(out).toEqual(Buffer.concat([m.version(3), Buffer.of(1)]));
  });

  it('3.8 never needs server bytes once the client version is known', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    filter.push(m.version(8), []);
    expect(filter.needsServer).toBe(false);
  });

  it('refuses a 3.3 client that speaks before the server picked security', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    expect(() => {
      filter.push(Buffer.concat([m.version(3), Buffer.of(1)]), []);
    }).toThrow(/before the server chose security/);
  });

  it('refuses security types it cannot filter (VeNCrypt, TLS, SASL) clearly', () => {
    for (const type of [18, 19, 20]) {
      const filter = new RfbClientFilter({ viewOnly: false });
      let caught: unknown;
      try {
        filter.push(Buffer.concat([m.version(8), Buffer.of(type)]), []);
      } catch (error) {
        caught = error;
      }
      expect(isVwcError(caught, 'VWC_ERR_RFB_SECURITY_UNSUPPORTED')).toBe(true);
      expect(String(caught)).toMatch(new RegExp(`security type ${type}`));
    }
  });

  it('refuses a ProtocolVersion it does not know', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    expect(() => {
      filter.push(Buffer.from('GET / HTTP/1.1\r\n'), []);
    }).toThrow(/unsupported RFB ProtocolVersion/);
  });
});

describe('RfbClientFilter refuses what it cannot frame', () => {
  const start = Buffer.concat([m.version(8), Buffer.of(1, 1)]);

  it('closes on an unknown message type, and stays closed', () => {
    const filter = new RfbClientFilter({ viewOnly: false });
    filter.push(start, []);
    let caught: unknown;
    try {
      filter.push(Buffer.concat([m.updateRequest(true), Buffer.of(7, 0, 0, 0)]), []);
    } catch (error) {
      caught = error;
    }
    expect(isVwcError(caught, 'VWC_ERR_RFB_PROTOCOL')).toBe(true);
    expect(String(caught)).toMatch(/unknown RFB client message type 7/);
    expect(() => {
      filter.push(m.updateRequest(true), []);
    }).toThrow(/type 7/);
  });

  it('closes on an unknown QEMU subtype or audio operation', () => {
    for (const bad of [Buffer.of(255, 9, 0, 0), Buffer.of(255, 1, 0, 7)]) {
      const filter = new RfbClientFilter({ viewOnly: true });
      filter.push(start, []);
      expect(() => {
        filter.push(bad, []);
      }).toThrow(/unknown QEMU/);
    }
  });

  it('closes on clipboard text over the limit, before buffering it', () => {
    const filter = new RfbClientFilter({ viewOnly: false, maxCutTextBytes: 100 });
    filter.push(start, []);
    expect(() => {
      filter.push(m.cutText('x'.repeat(101)).subarray(0, 8), []);
    }).toThrow(/exceeds the 100-byte limit/);
  });
});
