// What a VM without a screen shows in the list: the last lines of its first serial console, as
// plain text (escape sequences removed; the page puts it in a <pre> as text, never as HTML).
import { stripVTControlCharacters } from 'node:util';

/** Bytes read from the end of the history: enough for a dozen long lines. */
export const SERIAL_TAIL_BYTES = 4096;

/** The last `maxLines` non-empty lines of `bytes`, each cut to `maxColumns` characters. */
export function serialTailLines(bytes: Buffer, maxLines = 12, maxColumns = 120): string[] {
  const text = stripVTControlCharacters(bytes.toString('utf8'))
    // A carriage return redraws the line: keep what was written last.
    .split('\n')
    .map(
      (line) =>
        line
          .split('\r')
          .filter((part) => part !== '')
          .at(-1) ?? '',
    )
    // Other control characters (bell, backspace, NUL) would show as boxes.
    // eslint-disable-next-line no-control-regex
    .map((line) => line.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd());
  return text
    .filter((line) => line !== '')
    .slice(-maxLines)
    .map((line) => (line.length > maxColumns ? line.slice(0, maxColumns) : line));
}
