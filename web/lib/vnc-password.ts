// The VNC password form, for VMs whose graphics have a password (`<graphics passwd=…>`): shown
// when the VNC server asks for one. The password is kept in this page's memory only, so that a
// reconnect after a reboot does not ask again, and forgotten as soon as the server refuses it.
// The daemon relays the VNC authentication as is (a challenge answered in the browser); it
// never sees the password in clear.
import { h } from './dom.js';

export class VncPasswordPrompt {
  readonly el: HTMLFormElement;
  private readonly input = h('input', {
    type: 'password',
    name: 'vnc-password',
    autocomplete: 'off',
    'aria-label': 'VNC password',
  });
  private readonly message = h('span', { class: 'password-message', 'aria-live': 'polite' });
  private remembered: string | null = null;
  private pending: ((password: string) => void) | null = null;

  /** `protocol`: what the form names (VNC, SPICE). */
  constructor(protocol = 'VNC') {
    this.el = h(
      'form',
      { class: 'password-panel', 'aria-label': `${protocol} password` },
      h('span', {}, `This VM’s screen has a ${protocol} password.`),
      this.input,
      h('button', { type: 'submit', class: 'primary' }, 'Unlock'),
      this.message,
    );
    this.el.hidden = true;
    this.el.addEventListener('submit', (event) => {
      event.preventDefault();
      const pending = this.pending;
      if (!pending) return;
      this.remembered = this.input.value;
      this.input.value = '';
      this.el.hidden = true;
      this.pending = null;
      pending(this.remembered);
    });
  }

  /** The password this page was given, or the one the user types next. */
  password(): Promise<string> {
    if (this.remembered !== null) return Promise.resolve(this.remembered);
    this.el.hidden = false;
    this.input.focus();
    return new Promise((resolve) => (this.pending = resolve));
  }

  /** The server refused the password: forget it, and say why the next time the form shows. */
  refused(reason: string): void {
    this.remembered = null;
    this.message.textContent = reason;
  }

  /** The server let the connection in. */
  accepted(): void {
    this.message.textContent = '';
  }

  /** The connection the form was for is gone. */
  cancel(): void {
    this.pending = null;
    this.el.hidden = true;
  }
}
