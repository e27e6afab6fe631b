// Stream markers (the serial protocol's `event` messages: VM started, stopped, rebooted, the
// daemon restarted) as dim lines in the terminal, e.g. `── VM rebooted 12:03:04 ──`. Written by
// the page only: they are not console bytes, so offsets and the history stay byte-exact.
import type { SerialControl } from './types.js';

export type StreamEventMessage = Extract<SerialControl, { type: 'event' }>;

/**
 * The line for one marker, in bright black (SGR 90; 39 restores the default foreground): the
 * theme's grey, 4.5:1 or more on both terminal backgrounds (lib/theme.ts), where SGR 2's
 * half-opacity dim measured 3.1:1 on the light one (axe color-contrast).
 */
export function markerLine(event: StreamEventMessage, timeZone?: string): string {
  const time = new Date(event.time).toLocaleTimeString('en-GB', {
    hour12: false,
    ...(timeZone ? { timeZone } : {}),
  });
  // The text is the daemon's own wording, but is data all the same: no control characters.
  // eslint-disable-next-line no-control-regex -- removing them is the point
  const text = event.text.replace(/[\x00-\x1f\x7f-\x9f]/g, '');
  return `\r\n\x1b[90m── ${text} ${time} ──\x1b[39m\r\n`;
}

/**
 * Says which markers to draw: a resumed connection (`from=`) is sent the markers at or after
 * its offset again, and one it showed already is not drawn twice. Markers come in stream
 * order (offset, then time), so anything not after the last one drawn was drawn.
 */
export class MarkerFilter {
  private last: { offset: number; time: number } | null = null;

  fresh(event: StreamEventMessage): boolean {
    const last = this.last;
    if (last && (event.offset < last.offset || (event.offset === last.offset && event.time <= last.time)))
      return false;
    this.last = { offset: event.offset, time: event.time };
    return true;
  }

  /** The server's offsets started over (history reset): nothing earlier is comparable. */
  reset(): void {
    this.last = null;
  }
}
