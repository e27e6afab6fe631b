// Keys the SPICE view sends itself (Ctrl-Alt-Del, the send-keys menu): SPICE's inputs channel
// takes PC/AT set-1 scancodes, extended ones (E0 xx) with 0xE0 in the low byte, a release with
// 0x80 on the scancode. The messages go straight on spice-html5's inputs channel (its own
// sendCtrlAltDel reads a global `sc` the bundle does not have).
import type { SpiceChannel } from '@spice-project/spice-html5/src/main.js';
import type { KeyStroke } from './keys.js';

/** DOM `code` → set-1 scancode, for the keys of COMBOS and Ctrl-Alt-Del. */
const SCANCODES: Readonly<Record<string, number>> = {
  Escape: 0x01,
  Backspace: 0x0e,
  Tab: 0x0f,
  ControlLeft: 0x1d,
  ShiftLeft: 0x2a,
  AltLeft: 0x38,
  F1: 0x3b,
  F2: 0x3c,
  F3: 0x3d,
  F4: 0x3e,
  F5: 0x3f,
  F6: 0x40,
  F7: 0x41,
  F8: 0x42,
  F9: 0x43,
  F10: 0x44,
  PrintScreen: 0xe037,
  Delete: 0xe053,
  MetaLeft: 0xe05b,
};

const KEY_DOWN = 101;
const KEY_UP = 102;

function wireCode(scancode: number, down: boolean): number {
  const release = down ? 0 : 0x80;
  // Extended: bytes go out low first, so 0xE0 is the low byte.
  return scancode > 0xff ? 0xe0 | (((scancode & 0xff) | release) << 8) : scancode | release;
}

function keyMessage(type: number, code: number): { buffer_size(): number; to_buffer(b: ArrayBuffer): void } {
  return {
    buffer_size: () => 10,
    to_buffer: (buffer) => {
      const view = new DataView(buffer);
      view.setUint16(0, type, true);
      view.setUint32(2, 4, true);
      view.setUint32(6, code, true);
    },
  };
}

/** Presses `keys` in order and releases them in reverse; false when a key has no scancode. */
export function sendChord(inputs: SpiceChannel | undefined, keys: readonly KeyStroke[]): boolean {
  if (inputs?.state !== 'ready') return false;
  const codes = keys.map((key) => (key.code === null ? undefined : SCANCODES[key.code]));
  if (codes.some((code) => code === undefined)) return false;
  for (const code of codes) inputs.send_msg(keyMessage(KEY_DOWN, wireCode(code!, true)));
  for (const code of [...codes].reverse()) inputs.send_msg(keyMessage(KEY_UP, wireCode(code!, false)));
  return true;
}

export const CTRL_ALT_DEL: readonly KeyStroke[] = [
  { keysym: 0xffe3, code: 'ControlLeft' },
  { keysym: 0xffe9, code: 'AltLeft' },
  { keysym: 0xffff, code: 'Delete' },
];
