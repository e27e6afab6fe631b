// Telnet framing for TCP serial chardevs with `<protocol type='telnet'/>` (virt-install's
// `--serial tcp,…,protocol=telnet`). QEMU opens with its own option negotiation (IAC WILL ECHO,
// WILL SUPPRESS-GO-AHEAD, WILL BINARY, DO BINARY: character mode, binary) and reads our input
// through its IAC parser, so all a client needs is:
// - output: drop every IAC command (2 bytes; 3 with an option; IAC SB … IAC SE subnegotiation)
//   and turn IAC IAC into one 0xFF byte;
// - input: double every 0xFF byte (else QEMU would take it for a command).
// No answers are sent: QEMU does not wait for any, and a mode it proposes is already what a
// serial console wants.
const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
/** WILL, WONT, DO, DONT: followed by one option byte. */
const FIRST_OPTION_VERB = 0xfb;

type State = 'data' | 'iac' | 'option' | 'sub' | 'sub-iac';

/** Strips telnet commands from a byte stream; chunks may split a command anywhere. */
export class TelnetDecoder {
  private state: State = 'data';

  decode(chunk: Buffer): Buffer {
    // Fast path: no IAC in plain console output.
    if (this.state === 'data' && !chunk.includes(IAC)) return chunk;
    const out = Buffer.allocUnsafe(chunk.length);
    let length = 0;
    for (const byte of chunk) {
      switch (this.state) {
        case 'data':
          if (byte === IAC) this.state = 'iac';
          else out[length++] = byte;
          break;
        case 'iac':
          if (byte === IAC) {
            out[length++] = IAC;
            this.state = 'data';
          } else if (byte === SB) this.state = 'sub';
          else if (byte >= FIRST_OPTION_VERB) this.state = 'option';
          else this.state = 'data'; // NOP, GA, BREAK …: two bytes
          break;
        case 'option':
          this.state = 'data';
          break;
        case 'sub':
          if (byte === IAC) this.state = 'sub-iac';
          break;
        case 'sub-iac':
          this.state = byte === SE ? 'data' : 'sub';
          break;
      }
    }
    return out.subarray(0, length);
  }
}

/** Input for a telnet server: every 0xFF doubled. */
export function telnetEncode(data: Buffer): Buffer {
  if (!data.includes(IAC)) return data;
  const out: number[] = [];
  for (const byte of data) {
    out.push(byte);
    if (byte === IAC) out.push(IAC);
  }
  return Buffer.from(out);
}
