// Telnet framing for TCP serial chardevs with protocol telnet: commands stripped from output
// wherever chunks split them, 0xFF doubled in input.
import { describe, expect, it } from 'vitest';
import { TelnetDecoder, telnetEncode } from '../../../src/bridge/upstream/telnet.js';

/** What QEMU sends first on a `telnet=on` chardev (char-socket.c): WILL ECHO, WILL SGA, WILL/DO BINARY. */
const QEMU_GREETING = [0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x00, 0xff, 0xfd, 0x00];

function decodeIn(chunks: Buffer[]): Buffer {
  const decoder = new TelnetDecoder();
  return Buffer.concat(chunks.map((chunk) => decoder.decode(chunk)));
}

describe('telnet decoder', () => {
  const stream = Buffer.from([
    ...QEMU_GREETING,
    ...Buffer.from('login: '),
    0xff,
    0xff, // an escaped 0xFF data byte
    0xff,
    0xf1, // NOP
    0xff,
    0xfa,
    0x18,
    0x01,
    0xff,
    0xf0, // subnegotiation (terminal type)
    ...Buffer.from('\r\n# '),
  ]);
  const expected = Buffer.concat([Buffer.from('login: '), Buffer.of(0xff), Buffer.from('\r\n# ')]);

  it('strips negotiation, commands and subnegotiation; keeps escaped 0xFF', () => {
    expect(decodeIn([stream])).toEqual(expected);
  });

  it('gives the same bytes however the stream is split', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decodeIn([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
    }
    expect(decodeIn([...stream].map((byte) => Buffer.of(byte)))).toEqual(expected);
  });

  it('passes plain output through untouched', () => {
    const plain = Buffer.from('Linux version 6.1\r\n');
    expect(new TelnetDecoder().decode(plain)).toBe(plain);
  });
});

describe('telnet encoder', () => {
  it('doubles 0xFF and leaves everything else', () => {
    expect(telnetEncode(Buffer.of(0x61, 0xff, 0x0d))).toEqual(Buffer.of(0x61, 0xff, 0xff, 0x0d));
    const plain = Buffer.from('ls\r');
    expect(telnetEncode(plain)).toBe(plain);
  });
});
