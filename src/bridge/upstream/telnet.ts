// Telnet framing for TCP serial chardevs with `<protocol type='telnet'/>` (virt-install's
// `--serial tcp,…,protocol=telnet`), as QEMU 7.2 speaks it — which is less than telnet:
// - output: QEMU opens every connection with its option negotiation (IAC WILL ECHO, WILL
//   SUPPRESS-GO-AHEAD, WILL BINARY, DO BINARY: character mode, binary) and then sends the
//   guest's bytes as they are, without escaping 0xFF and without any later command (measured:
//   a guest printing `A\377\372B` arrives as those four bytes). So only option commands at the
//   very start are stripped; everything after passes untouched, 0xFF included.
// - input: QEMU's parser takes IAC IAC as one 0xFF and IAC x y as a command, so every 0xFF we
//   send is doubled.
// No answers are sent: QEMU does not wait for any, and the modes it proposes are what a serial
// console wants.
const IAC = 0xff;
/** IAC BREAK: QEMU's telnet server turns it into a break on the guest's UART (magic SysRq). */
export const TELNET_BREAK = Buffer.of(IAC, 0xf3);
/** WILL, WONT, DO, DONT (251–254): followed by one option byte. */
const FIRST_OPTION_VERB = 0xfb;

type State = 'opening' | 'verb' | 'option' | 'data';

/** Strips the opening option negotiation from a connection's output; chunks may split it. */
export class TelnetDecoder {
  private state: State = 'opening';

  decode(chunk: Buffer): Buffer {
    if (this.state === 'data') return chunk;
    let at = 0;
    while (at < chunk.length) {
      const byte = chunk[at]!;
      if (this.state === 'opening') {
        if (byte !== IAC) {
          this.state = 'data';
          break;
        }
        this.state = 'verb';
      } else if (this.state === 'verb') {
        // Anything but an option verb here is not negotiation after all: treat it as data.
        if (byte < FIRST_OPTION_VERB || byte === IAC) {
          this.state = 'data';
          return Buffer.concat([Buffer.of(IAC), chunk.subarray(at)]);
        }
        this.state = 'option';
      } else {
        this.state = 'opening';
      }
      at += 1;
    }
    return at === 0 ? chunk : chunk.subarray(at);
  }
}

/** Input for QEMU's telnet parser: every 0xFF doubled. */
export function telnetEncode(data: Buffer): Buffer {
  if (!data.includes(IAC)) return data;
  const out: number[] = [];
  for (const byte of data) {
    out.push(byte);
    if (byte === IAC) out.push(IAC);
  }
  return Buffer.from(out);
}
