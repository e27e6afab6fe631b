// What the console page needs from a console view (VNC or serial), and the status line both use.
import { h } from './dom.js';
import { COMBOS, type Combo } from './keys.js';

export interface ConsoleView {
  /** The view's panel (toolbar + console area), placed in the page once. */
  readonly root: HTMLElement;
  /** Called when its tab is selected (fit; take keyboard focus when `focus`) or left. */
  show(focus: boolean): void;
  hide(): void;
  /** The domain's state from the event stream; a view waiting for the VM reconnects on `running`. */
  domainState(state: string): void;
  dispose(): void;
}

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'waiting';

/** `connecting…`, `connected`, `disconnected: <reason>`: text plus a class for its colour. */
export class StatusLine {
  readonly el = h(
    'span',
    { class: 'status status-connecting', role: 'status', 'aria-live': 'polite' },
    'connecting…',
  );

  set(state: LinkState, text: string): void {
    this.el.className = `status status-${state}`;
    this.el.dataset.state = state;
    this.el.textContent = text;
  }
}

export function button(
  label: string,
  attrs: Readonly<Record<string, string | boolean | undefined>> = {},
): HTMLButtonElement {
  return h('button', { type: 'button', ...attrs }, label);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The "Send keys…" menu of a graphical console: a pick calls `send` with it, then the menu resets. */
export function sendKeysMenu(send: (combo: Combo) => void): HTMLSelectElement {
  const menu = h(
    'select',
    { 'aria-label': 'Send keys', class: 'send-keys' },
    h('option', { value: '' }, 'Send keys…'),
  );
  for (const combo of COMBOS) menu.appendChild(h('option', { value: combo.id }, combo.label));
  menu.addEventListener('change', () => {
    const combo = COMBOS.find((c) => c.id === menu.value);
    menu.value = '';
    if (combo) send(combo);
  });
  return menu;
}
