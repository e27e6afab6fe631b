// The inline "read-only here — take control" prompt, shared by the serial and VNC views: shown
// when this window types while another window holds the keyboard, so a keystroke is never
// dropped without a word. Its button takes control the way the view's toolbar button does.
import { h, replace } from './dom.js';
import { holderName } from './presence.js';
import type { LockHolder } from './types.js';
import { button } from './view.js';

export class LockPrompt {
  readonly el = h('div', { class: 'lock-prompt', role: 'alert' });

  constructor(private readonly take: () => void) {
    this.el.hidden = true;
  }

  /** Says who holds the keyboard (or that someone does) and offers to take it. */
  show(holder: LockHolder | null): void {
    const takeButton = button('Take control', { class: 'primary lock-prompt-take' });
    takeButton.addEventListener('click', () => {
      this.hide();
      this.take();
    });
    const close = button('×', { class: 'lock-prompt-close', 'aria-label': 'Dismiss' });
    close.addEventListener('click', () => {
      this.hide();
    });
    const who = holder ? holderName(holder) : 'another window';
    replace(
      this.el,
      h('span', {}, `Read-only here — ${who} has the keyboard; your keys were not sent. `),
      takeButton,
      close,
    );
    this.el.hidden = false;
  }

  hide(): void {
    this.el.hidden = true;
  }

  get shown(): boolean {
    return !this.el.hidden;
  }
}
