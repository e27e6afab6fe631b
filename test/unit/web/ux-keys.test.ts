// The pure parts of the console UX: what the key bar sends to a serial console, and which reason
// the disconnected banner gives for a close code.
import { describe, expect, it } from 'vitest';
import { classifyClose } from '../../../web/lib/disconnected.js';
import { BAR_KEYS, withMods } from '../../../web/lib/key-bar.js';

const none = { ctrl: false, alt: false };

function serialBytes(id: string, mods = none, app = false): string | undefined {
  return BAR_KEYS.find((k) => k.id === id)?.serial?.(mods, app);
}

describe('key bar bytes for a serial console', () => {
  it('sends Esc, Tab, Ctrl-C and arrows as a terminal does', () => {
    expect(serialBytes('esc')).toBe('\x1b');
    expect(serialBytes('tab')).toBe('\t');
    expect(serialBytes('ctrl-c')).toBe('\x03');
    expect(serialBytes('arrowup')).toBe('\x1b[A');
    expect(serialBytes('arrowdown')).toBe('\x1b[B');
    expect(serialBytes('arrowright')).toBe('\x1b[C');
    expect(serialBytes('arrowleft')).toBe('\x1b[D');
  });

  it('follows the cursor-key mode and the armed modifiers for arrows', () => {
    expect(serialBytes('arrowup', none, true)).toBe('\x1bOA');
    expect(serialBytes('arrowleft', { ctrl: true, alt: false })).toBe('\x1b[1;5D');
    expect(serialBytes('arrowright', { ctrl: false, alt: true })).toBe('\x1b[1;3C');
    expect(serialBytes('arrowup', { ctrl: true, alt: true }, true)).toBe('\x1b[1;7A');
  });

  it('has no Ctrl-Alt-Del for a serial console (VNC only)', () => {
    const cad = BAR_KEYS.find((k) => k.id === 'ctrl-alt-del');
    expect(cad?.serial).toBeUndefined();
    expect(cad?.vnc.map((k) => k.code)).toEqual(['ControlLeft', 'AltLeft', 'Delete']);
  });

  it('applies sticky Ctrl and Alt to the next typed character only', () => {
    expect(withMods('c', { ctrl: true, alt: false })).toBe('\x03');
    expect(withMods('C', { ctrl: true, alt: false })).toBe('\x03');
    expect(withMods('[', { ctrl: true, alt: false })).toBe('\x1b');
    expect(withMods(' ', { ctrl: true, alt: false })).toBe('\x00');
    expect(withMods('x', { ctrl: false, alt: true })).toBe('\x1bx');
    expect(withMods('d', { ctrl: true, alt: true })).toBe('\x1b\x04');
    expect(withMods('cat', { ctrl: true, alt: false })).toBe('\x03at');
    expect(withMods('1', { ctrl: true, alt: false })).toBe('1');
    expect(withMods('', { ctrl: true, alt: false })).toBe('');
  });
});

describe('disconnected reasons from the close', () => {
  it('says the VM stopped, from the close code or the event stream', () => {
    expect(classifyClose({ code: 4201, reason: 'domain stopped', vmState: 'unknown' }).kind).toBe(
      'vm-stopped',
    );
    const fromState = classifyClose({ code: 1006, reason: '', vmState: 'shut off' });
    expect(fromState.kind).toBe('vm-stopped');
    expect(fromState.text).toContain('shut off');
  });

  it('tells a daemon restart, a refusal, an undefined VM and a lost network apart', () => {
    expect(classifyClose({ code: 1001, reason: 'shutting down', vmState: 'running' }).kind).toBe(
      'daemon-stopping',
    );
    expect(classifyClose({ code: 4102, reason: '', vmState: 'running' }).kind).toBe('vm-undefined');
    const refused = classifyClose({ code: 1008, reason: 'ticket expired', vmState: 'running' });
    expect(refused.kind).toBe('refused');
    expect(refused.text).toContain('ticket expired');
    expect(classifyClose({ code: 4202, reason: 'too many viewers', vmState: 'running' }).kind).toBe(
      'refused',
    );
    expect(classifyClose({ code: 1006, reason: '', vmState: 'running' }).kind).toBe('network');
    expect(classifyClose({ code: 1000, reason: 'VNC authentication failed', vmState: 'running' })).toEqual({
      kind: 'closed',
      text: 'The console was closed: VNC authentication failed.',
    });
    expect(classifyClose({ reason: 'Failed to fetch', vmState: 'running' }).kind).toBe('network');
  });
});
