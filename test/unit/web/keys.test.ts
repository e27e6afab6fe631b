// "Paste as keystrokes" and the send-keys menu: characters to keysyms and US-layout keys.
import { describe, expect, it } from 'vitest';
import { COMBOS, XK, keysymOf, strokesFor, typeableChars } from '../../../web/lib/keys.js';

describe('keys', () => {
  it('maps characters to keysyms (Latin-1 as is, the rest as Unicode keysyms)', () => {
    expect(keysymOf('a')).toBe(0x61);
    expect(keysymOf('é')).toBe(0xe9);
    expect(keysymOf('€')).toBe(0x010020ac);
  });

  it('adds Shift where the US layout needs it', () => {
    expect(strokesFor('a')).toEqual({ key: { keysym: 0x61, code: 'KeyA' }, shift: false });
    expect(strokesFor('A')).toEqual({ key: { keysym: 0x41, code: 'KeyA' }, shift: true });
    expect(strokesFor('$')).toEqual({ key: { keysym: 0x24, code: 'Digit4' }, shift: true });
    expect(strokesFor(' ')).toEqual({ key: { keysym: 0x20, code: 'Space' }, shift: false });
    expect(strokesFor('_')).toEqual({ key: { keysym: 0x5f, code: 'Minus' }, shift: true });
  });

  it('types newlines and tabs as keys, skips other control characters', () => {
    expect(strokesFor('\n')?.key).toEqual({ keysym: XK.Return, code: 'Enter' });
    expect(strokesFor('\t')?.key).toEqual({ keysym: XK.Tab, code: 'Tab' });
    expect(strokesFor('\u0007')).toBeNull();
    expect(strokesFor('ß')).toEqual({ key: { keysym: 0xdf, code: null }, shift: false });
  });

  it('folds CRLF and caps the length', () => {
    expect(typeableChars('a\r\nb', 10)).toEqual(['a', '\n', 'b']);
    expect(typeableChars('abcdef', 3)).toEqual(['a', 'b', 'c']);
    expect(typeableChars('🖥x', 10)).toEqual(['🖥', 'x']);
  });

  it('offers Ctrl-Alt-F1 … F7 with the right function keys', () => {
    const f2 = COMBOS.find((c) => c.id === 'ctrl-alt-f2');
    expect(f2?.keys.map((k) => k.code)).toEqual(['ControlLeft', 'AltLeft', 'F2']);
    expect(f2?.keys[2]?.keysym).toBe(XK.F1 + 1);
    expect(new Set(COMBOS.map((c) => c.id)).size).toBe(COMBOS.length);
  });
});
