// Telnet framing for TCP serial chardevs with protocol telnet, as QEMU 7.2 speaks it: its
// opening negotiation is stripped wherever chunks split it, and everything after passes as is
// (QEMU does not escape 0xFF in output); 0xFF is doubled in input.
import { describe, expect, it } from 'vitest';
import { TelnetDecoder, telnetEncode } from '../../../src/bridge/upstream/telnet.js';

/** What QEMU sends first on a `telnet=on` chardev (char-socket.c): WILL ECHO, WILL SGA, WILL/DO BINARY. */
const QEMU_OPENING = [0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x00, 0xff, 0xfd, 0x00];

function decodeIn(chunks: Buffer[]): Buffer {
  const decoder = new TelnetDecoder();
  return Buffer.concat(chunks.map((chunk) => decoder.decode(chunk)));
}

describe('telnet decoder', () => {
  // Guest output after the opening holds raw 0xFF bytes, even 0xFF 0xFA (which real telnet
  // would read as the start of a subnegotiation): measured, QEMU sends them unescaped.
  const guest = Buffer.from([
    ...Buffer.from('login: A'),
    0xff,
    0xfa,
    ...Buffer.from('B\r\n'),
    0xff,
    0xff,
    0xff,
    0xfb,
    0x01,
    ...Buffer.from('AFTER-MARK\r\n# '),
  ]);
  const stream = Buffer.concat([Buffer.from(QEMU_OPENING), guest]);

  it('strips the opening negotiation and passes the guest bytes untouched, 0xFF included', () => {
    expect(decodeIn([stream])).toEqual(guest);
  });

  it('gives the same bytes however the stream is split', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decodeIn([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(guest);
    }
    expect(decodeIn([...stream].map((byte) => Buffer.of(byte)))).toEqual(guest);
  });

  it('keeps a stream that starts with 0xFF but no option verb', () => {
    const odd = Buffer.of(0xff, 0x41, 0x42);
    expect(decodeIn([odd])).toEqual(odd);
    expect(decodeIn([odd.subarray(0, 1), odd.subarray(1)])).toEqual(odd);
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
