// OpenSSH-style escapes in the console input of an SSH session: `~` right after a line break
// (or first in the session) starts one. The parser is a pure state machine over the bytes the
// client sends, so a sequence split over packets (`~` in one, `.` in the next) still works.
//
//   ~.  detach            ~?  help               ~w  take the write lock
//   ~b  send a break      ~~  one literal ~      ~ and anything else: both bytes go through
//
// Only what the guest should see comes out as `data`; the `~` of an escape never reaches it.
// A user whose own OpenSSH client also listens for `~` escapes (it does when it has a terminal)
// types `~~.` to reach ours, or starts ssh with `-e none`.

export type EscapeCommand = 'detach' | 'help' | 'take-lock' | 'break';

export type EscapeAction =
  | { readonly kind: 'data'; readonly data: Buffer }
  | { readonly kind: 'command'; readonly command: EscapeCommand };

const TILDE = 0x7e;
const CR = 0x0d;
const LF = 0x0a;

const COMMANDS: ReadonlyMap<number, EscapeCommand> = new Map([
  [0x2e, 'detach'], // .
  [0x3f, 'help'], // ?
  [0x77, 'take-lock'], // w
  [0x62, 'break'], // b
]);

/** What `~?` prints (lines end in CRLF: the client's terminal is raw). */
export const ESCAPE_HELP = [
  'Supported escape sequences (at the start of a line):',
  ' ~.  - detach from the console',
  ' ~w  - take the write lock (your keys reach the guest, others are read-only)',
  ' ~b  - send a break to the serial port',
  ' ~?  - this message',
  ' ~~  - send the escape character itself',
  '(Your OpenSSH client reads ~ escapes too: type ~~. or connect with ssh -e none.)',
  '',
].join('\r\n');

export class EscapeParser {
  /** At the start of a line: a `~` here starts an escape. */
  private lineStart = true;
  /** A `~` at a line start was seen and held back; the next byte says what it was. */
  private pending = false;

  /** Splits client input into bytes for the guest and escape commands, in order. */
  feed(input: Buffer): EscapeAction[] {
    const actions: EscapeAction[] = [];
    // Runs of plain bytes go out as views of `input`, not byte by byte.
    let runStart = 0;
    const flush = (end: number): void => {
      if (end > runStart) actions.push({ kind: 'data', data: input.subarray(runStart, end) });
    };
    for (let i = 0; i < input.length; i += 1) {
      const byte = input[i]!;
      if (this.pending) {
        this.pending = false;
        const command = COMMANDS.get(byte);
        if (command !== undefined) {
          actions.push({ kind: 'command', command });
          // After an escape the line is still at its start: `~.` can follow `~?`.
          this.lineStart = true;
          runStart = i + 1;
          continue;
        }
        if (byte === TILDE) {
          // `~~`: one tilde goes through; the line no longer starts here.
          actions.push({ kind: 'data', data: Buffer.of(TILDE) });
          this.lineStart = false;
          runStart = i + 1;
          continue;
        }
        // Not an escape: the held `~` goes through, then this byte as usual.
        actions.push({ kind: 'data', data: Buffer.of(TILDE) });
        runStart = i;
      }
      if (byte === TILDE && this.lineStart) {
        flush(i);
        this.pending = true;
        runStart = i + 1;
        continue;
      }
      this.lineStart = byte === CR || byte === LF;
    }
    flush(input.length);
    return actions;
  }
}
