// Presence chips for both consoles (serial and VNC): who is attached, in which window (user,
// browser, window tag, since when) and who holds the keyboard. Every name in them is untrusted
// text: it goes in as text nodes only.
import { h, replace } from './dom.js';
import type { ConsoleClient, LockHolder } from './types.js';

/**
 * This page's window tag, sent as `?window=` on its console sockets: it tells two windows of
 * one user in one browser apart in presence, and lets the VNC control channel take control for
 * this window's screen. New on every page load.
 */
export const WINDOW_TAG = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) =>
  b.toString(36).padStart(2, '0'),
).join('');

function clock(since: number): string {
  return new Date(since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "Chrome on Linux, window k3f9": what tells a window apart, after the user name. */
export function windowDetail(client: { readonly label?: string; readonly window?: string }): string {
  return [client.label, client.window ? `window ${client.window}` : undefined].filter(Boolean).join(', ');
}

/** "alice (Chrome on Linux, window k3f9)". */
export function holderName(holder: LockHolder): string {
  const detail = windowDetail(holder);
  return detail ? `${holder.user} (${detail})` : holder.user;
}

/** Fills `list` with one chip per client; `me` is this window's client id, `holder` the lock's. */
export function renderChips(
  list: HTMLElement,
  clients: readonly ConsoleClient[],
  options: { readonly me: string | null; readonly holder: string | null; readonly total?: number },
): void {
  const more = (options.total ?? clients.length) - clients.length;
  replace(
    list,
    ...clients.map((c) => {
      const mine = c.id === options.me;
      const holds = c.id === options.holder;
      const detail = [windowDetail(c), c.since === undefined ? '' : `since ${clock(c.since)}`]
        .filter(Boolean)
        .join(' · ');
      const classes = [mine ? 'me' : '', holds ? 'holder' : ''].filter(Boolean).join(' ');
      return h(
        'li',
        {
          class: classes || undefined,
          'data-client': c.id,
          'data-holder': holds ? 'true' : undefined,
          title: `${c.user} (${c.role})${detail ? ` — ${detail}` : ''}${holds ? ' — has the keyboard' : ''}`,
        },
        holds ? h('span', { class: 'holder-mark', 'aria-label': 'has the keyboard' }, '⌨ ') : null,
        mine ? `${c.user} (you)` : c.user,
        detail ? h('span', { class: 'chip-detail' }, ` · ${detail}`) : null,
        c.role === 'viewer' ? ' ' : null,
        c.role === 'viewer' ? h('span', { class: 'role-mark' }, 'viewer') : null,
      );
    }),
    more > 0 ? h('li', { class: 'more' }, `+${more} more`) : null,
  );
}
