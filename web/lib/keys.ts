// Keys for the VNC console: the send-keys menu and "paste as keystrokes". QEMU understands
// scancodes (QEMU extended key events), so characters are sent with the US-layout physical key
// (KeyboardEvent.code) plus Shift where that layout needs it, and with their X11 keysym for
// servers without the extension.

export const XK = {
  BackSpace: 0xff08,
  Tab: 0xff09,
  Return: 0xff0d,
  Escape: 0xff1b,
  Delete: 0xffff,
  Print: 0xff61,
  F1: 0xffbe,
  Shift_L: 0xffe1,
  Control_L: 0xffe3,
  Alt_L: 0xffe9,
  Super_L: 0xffeb,
} as const;

export interface KeyStroke {
  readonly keysym: number;
  readonly code: string | null;
}

const CTRL: KeyStroke = { keysym: XK.Control_L, code: 'ControlLeft' };
const ALT: KeyStroke = { keysym: XK.Alt_L, code: 'AltLeft' };
export const SHIFT: KeyStroke = { keysym: XK.Shift_L, code: 'ShiftLeft' };

/** A named chord: every key pressed in order, released in reverse. */
export interface Combo {
  readonly id: string;
  readonly label: string;
  readonly keys: readonly KeyStroke[];
}

function fkey(n: number): KeyStroke {
  return { keysym: XK.F1 + n - 1, code: `F${n}` };
}

export const COMBOS: readonly Combo[] = [
  ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({
    id: `ctrl-alt-f${n}`,
    label: `Ctrl-Alt-F${n}`,
    keys: [CTRL, ALT, fkey(n)],
  })),
  {
    id: 'ctrl-alt-backspace',
    label: 'Ctrl-Alt-Backspace',
    keys: [CTRL, ALT, { keysym: XK.BackSpace, code: 'Backspace' }],
  },
  { id: 'alt-tab', label: 'Alt-Tab', keys: [ALT, { keysym: XK.Tab, code: 'Tab' }] },
  { id: 'escape', label: 'Esc', keys: [{ keysym: XK.Escape, code: 'Escape' }] },
  { id: 'tab', label: 'Tab', keys: [{ keysym: XK.Tab, code: 'Tab' }] },
  { id: 'print', label: 'Print Screen', keys: [{ keysym: XK.Print, code: 'PrintScreen' }] },
  { id: 'super', label: 'Super (Windows key)', keys: [{ keysym: XK.Super_L, code: 'MetaLeft' }] },
];

/** US layout: unshifted and shifted character of each printable physical key. */
const US_KEYS: readonly (readonly [code: string, plain: string, shifted: string])[] = [
  ['Backquote', '`', '~'],
  ['Digit1', '1', '!'],
  ['Digit2', '2', '@'],
  ['Digit3', '3', '#'],
  ['Digit4', '4', '$'],
  ['Digit5', '5', '%'],
  ['Digit6', '6', '^'],
  ['Digit7', '7', '&'],
  ['Digit8', '8', '*'],
  ['Digit9', '9', '('],
  ['Digit0', '0', ')'],
  ['Minus', '-', '_'],
  ['Equal', '=', '+'],
  ['BracketLeft', '[', '{'],
  ['BracketRight', ']', '}'],
  ['Backslash', '\\', '|'],
  ['Semicolon', ';', ':'],
  ['Quote', "'", '"'],
  ['Comma', ',', '<'],
  ['Period', '.', '>'],
  ['Slash', '/', '?'],
  ['Space', ' ', ' '],
  ...'abcdefghijklmnopqrstuvwxyz'
    .split('')
    .map((c) => [`Key${c.toUpperCase()}`, c, c.toUpperCase()] as const),
];

const CHAR_KEYS = new Map<string, { code: string; shift: boolean }>();
for (const [code, plain, shifted] of US_KEYS) {
  CHAR_KEYS.set(plain, { code, shift: false });
  if (!CHAR_KEYS.has(shifted)) CHAR_KEYS.set(shifted, { code, shift: true });
}

/** X11 keysym of a character: Latin-1 maps to itself, the rest to 0x01000000 + code point. */
export function keysymOf(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

/** The strokes that type `char`: Shift (when needed) around the key; null when untypeable. */
export function strokesFor(char: string): { readonly key: KeyStroke; readonly shift: boolean } | null {
  if (char === '\n' || char === '\r') return { key: { keysym: XK.Return, code: 'Enter' }, shift: false };
  if (char === '\t') return { key: { keysym: XK.Tab, code: 'Tab' }, shift: false };
  const cp = char.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return null;
  const us = CHAR_KEYS.get(char);
  return { key: { keysym: keysymOf(char), code: us?.code ?? null }, shift: us?.shift ?? false };
}

/** Text to type, with CRLF folded to one Return; at most `max` characters. */
export function typeableChars(text: string, max: number): string[] {
  // Code points on purpose: each becomes one keysym.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread
  return [...text.replace(/\r\n/g, '\n')].slice(0, max);
}
