// The on-screen key bar for phones and tablets (shown on touch or narrow screens, toggleable
// anywhere): Esc, Tab, sticky Ctrl and Alt, arrows, Ctrl-C and (VNC) Ctrl-Alt-Del. A serial view
// gets the bytes a terminal would send (arrows follow xterm's cursor-key mode); a VNC view gets
// X11 keysyms for noVNC's sendKey. Ctrl and Alt stay armed until the next key, whether it comes
// from the bar or from the (on-screen) keyboard. A phone shows its keyboard only for a text
// field, never for noVNC's canvas: the VNC bar has a "Type…" field whose input goes to the VM as
// key presses, one per character.
import { h } from './dom.js';
import { SHIFT, strokesFor, XK, type KeyStroke } from './keys.js';
import { button } from './view.js';

/** Where a serial view's bar sends: its input path (the write lock applies as for typing). */
export interface SerialKeyTarget {
  readonly kind: 'serial';
  send(text: string): void;
  /** xterm's DECCKM: arrows as ESC O A instead of ESC [ A. */
  applicationCursor(): boolean;
}

export interface VncKeyTarget {
  readonly kind: 'vnc';
  sendKey(keysym: number, code: string | null, down: boolean): void;
}

export type KeyTarget = SerialKeyTarget | VncKeyTarget;

interface Mods {
  ctrl: boolean;
  alt: boolean;
}

const CTRL: KeyStroke = { keysym: XK.Control_L, code: 'ControlLeft' };
const ALT: KeyStroke = { keysym: XK.Alt_L, code: 'AltLeft' };

interface BarKey {
  readonly id: string;
  readonly label: string;
  readonly title: string;
  /** Serial: the bytes for the given modifiers; absent when the key means nothing there. */
  readonly serial?: (mods: Mods, appCursor: boolean) => string;
  readonly vnc: readonly KeyStroke[];
}

/** ESC [ 1 ; <1 + 2·alt + 4·ctrl> <final>: how xterm sends modified cursor keys. */
function arrow(final: string, keysym: number, code: string, label: string, title: string): BarKey {
  return {
    id: code.toLowerCase(),
    label,
    title,
    serial: (mods, app) => {
      const mod = 1 + (mods.alt ? 2 : 0) + (mods.ctrl ? 4 : 0);
      if (mod > 1) return `\x1b[1;${mod}${final}`;
      return app ? `\x1bO${final}` : `\x1b[${final}`;
    },
    vnc: [{ keysym, code }],
  };
}

/** A character with the armed modifiers: Ctrl makes a control byte, Alt prefixes ESC. */
export function withMods(text: string, mods: Mods): string {
  if (!text) return text;
  // Code points: an emoji from the on-screen keyboard is one key.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread
  const [first = '', ...rest] = [...text];
  let out = first;
  if (mods.ctrl) {
    const upper = first.toUpperCase();
    const cp = upper.codePointAt(0) ?? 0;
    if (cp >= 0x40 && cp <= 0x5f) out = String.fromCharCode(cp & 0x1f);
    else if (first === ' ') out = '\x00';
    else if (first === '?') out = '\x7f';
  }
  if (mods.alt) out = `\x1b${out}`;
  return out + rest.join('');
}

export const BAR_KEYS: readonly BarKey[] = [
  {
    id: 'esc',
    label: 'Esc',
    title: 'Escape',
    serial: (m) => withMods('\x1b', { ...m, ctrl: false }),
    vnc: [{ keysym: XK.Escape, code: 'Escape' }],
  },
  {
    id: 'tab',
    label: 'Tab',
    title: 'Tab',
    serial: (m) => withMods('\t', { ...m, ctrl: false }),
    vnc: [{ keysym: XK.Tab, code: 'Tab' }],
  },
  arrow('D', 0xff51, 'ArrowLeft', '←', 'Left arrow'),
  arrow('A', 0xff52, 'ArrowUp', '↑', 'Up arrow'),
  arrow('B', 0xff54, 'ArrowDown', '↓', 'Down arrow'),
  arrow('C', 0xff53, 'ArrowRight', '→', 'Right arrow'),
  {
    id: 'ctrl-c',
    label: 'Ctrl-C',
    title: 'Interrupt (Ctrl-C)',
    serial: () => '\x03',
    vnc: [CTRL, { keysym: 0x63, code: 'KeyC' }],
  },
  {
    id: 'ctrl-alt-del',
    label: 'Ctrl-Alt-Del',
    title: 'Ctrl-Alt-Delete',
    vnc: [CTRL, ALT, { keysym: XK.Delete, code: 'Delete' }],
  },
];

/** Touch screens and narrow windows get the bar without asking. */
const SHOW_BY_DEFAULT = '(pointer: coarse), (max-width: 640px)';

export class KeyBar {
  readonly el: HTMLElement;
  /** The toolbar button that shows or hides the bar. */
  readonly toggle: HTMLButtonElement;
  private readonly mods: Mods = { ctrl: false, alt: false };
  private readonly modButtons: Record<keyof Mods, HTMLButtonElement>;

  constructor(private readonly target: KeyTarget) {
    this.modButtons = {
      ctrl: this.key('ctrl', 'Ctrl', 'Ctrl for the next key', () => {
        this.arm('ctrl');
      }),
      alt: this.key('alt', 'Alt', 'Alt for the next key', () => {
        this.arm('alt');
      }),
    };
    this.modButtons.ctrl.setAttribute('aria-pressed', 'false');
    this.modButtons.alt.setAttribute('aria-pressed', 'false');
    const keys = BAR_KEYS.filter((k) => target.kind === 'vnc' || k.serial).map((k) =>
      this.key(k.id, k.label, k.title, () => {
        this.press(k);
      }),
    );
    const [esc, tab, ...others] = keys;
    this.el = h(
      'div',
      { class: 'key-bar', role: 'toolbar', 'aria-label': 'On-screen keys' },
      esc,
      tab,
      this.modButtons.ctrl,
      this.modButtons.alt,
      ...others,
      target.kind === 'vnc' ? this.typeField() : null,
    );
    this.toggle = button('Keys', {
      class: 'key-bar-toggle',
      title: 'Show or hide the on-screen key bar',
    });
    this.toggle.addEventListener('click', () => {
      this.setShown(this.el.hidden);
    });
    this.setShown(matchMedia(SHOW_BY_DEFAULT).matches);
  }

  setShown(shown: boolean): void {
    this.el.hidden = !shown;
    this.toggle.setAttribute('aria-pressed', String(shown));
  }

  /** Serial: text typed on the (on-screen) keyboard, with the armed modifiers applied once. */
  typed(data: string): string {
    if (!this.mods.ctrl && !this.mods.alt) return data;
    const out = withMods(data, this.mods);
    this.disarm();
    return out;
  }

  /**
   * VNC: keys typed on a keyboard into `root` (noVNC listens below it) get the armed modifiers:
   * pressed before the key goes down, released after it comes up.
   */
  watchKeyboard(root: HTMLElement): void {
    let held: KeyStroke[] = [];
    root.addEventListener(
      'keydown',
      (event) => {
        if (this.target.kind !== 'vnc' || held.length > 0 || (!this.mods.ctrl && !this.mods.alt)) return;
        if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
        held = this.armedStrokes();
        for (const key of held) this.target.sendKey(key.keysym, key.code, true);
        this.disarm();
      },
      true,
    );
    root.addEventListener(
      'keyup',
      () => {
        if (held.length === 0) return;
        const release = held.reverse();
        held = [];
        // After noVNC has sent the key's own release.
        setTimeout(() => {
          if (this.target.kind === 'vnc')
            for (const key of release) this.target.sendKey(key.keysym, key.code, false);
        }, 0);
      },
      true,
    );
  }

  /** VNC: a field for the phone's keyboard; what is typed into it is sent as keys at once. */
  private typeField(): HTMLInputElement {
    const input = h('input', {
      type: 'text',
      class: 'key-bar-type',
      placeholder: 'Type…',
      'aria-label': 'Type into the VM',
      autocapitalize: 'off',
      autocomplete: 'off',
      autocorrect: 'off',
      spellcheck: 'false',
    });
    input.addEventListener('input', () => {
      const text = input.value;
      input.value = '';
      this.typeVnc(text);
    });
    // Keys that put no text into the field (an empty field gets no input event for Backspace).
    const special: Record<string, KeyStroke> = {
      Enter: { keysym: XK.Return, code: 'Enter' },
      Backspace: { keysym: XK.BackSpace, code: 'Backspace' },
    };
    input.addEventListener('keydown', (event) => {
      const key = special[event.key];
      if (!key || this.target.kind !== 'vnc') return;
      event.preventDefault();
      this.chord([...this.armedStrokes(), key]);
      this.disarm();
    });
    return input;
  }

  private typeVnc(text: string): void {
    // Code points on purpose: each becomes one keysym.
    // eslint-disable-next-line @typescript-eslint/no-misused-spread
    for (const char of [...text]) {
      const strokes = strokesFor(char);
      if (!strokes) continue;
      this.chord([...this.armedStrokes(), ...(strokes.shift ? [SHIFT] : []), strokes.key]);
      this.disarm();
    }
  }

  /** VNC: every key pressed in order, released in reverse. */
  private chord(strokes: readonly KeyStroke[]): void {
    const target = this.target;
    if (target.kind !== 'vnc') return;
    for (const s of strokes) target.sendKey(s.keysym, s.code, true);
    for (const s of [...strokes].reverse()) target.sendKey(s.keysym, s.code, false);
  }

  private key(id: string, label: string, title: string, action: () => void): HTMLButtonElement {
    // A key that shows a word is named by it (voice control users say what they see: axe's
    // label-content-name-mismatch); an arrow's name is its title. The title stays the tooltip.
    const el = button(label, {
      class: `key key-${id}`,
      'data-key': id,
      title,
      'aria-label': /[a-z]/i.test(label) ? undefined : title,
    });
    // Keep the focus (and the phone's keyboard) on the console.
    el.addEventListener('mousedown', (event) => {
      event.preventDefault();
    });
    el.addEventListener('click', action);
    return el;
  }

  private arm(mod: keyof Mods): void {
    this.mods[mod] = !this.mods[mod];
    this.modButtons[mod].setAttribute('aria-pressed', String(this.mods[mod]));
  }

  private disarm(): void {
    this.mods.ctrl = false;
    this.mods.alt = false;
    this.modButtons.ctrl.setAttribute('aria-pressed', 'false');
    this.modButtons.alt.setAttribute('aria-pressed', 'false');
  }

  private armedStrokes(): KeyStroke[] {
    return [...(this.mods.ctrl ? [CTRL] : []), ...(this.mods.alt ? [ALT] : [])];
  }

  private press(key: BarKey): void {
    const target = this.target;
    if (target.kind === 'serial') {
      if (key.serial) target.send(key.serial({ ...this.mods }, target.applicationCursor()));
    } else {
      this.chord([...this.armedStrokes().filter((m) => !key.vnc.includes(m)), ...key.vnc]);
    }
    this.disarm();
  }
}
