// Presence names the window (label, window tag, since) and the lock message says when a client's
// input was dropped, so a page never drops keystrokes silently.
import { describe, expect, it, vi } from 'vitest';
import { browserLabel, sshLabel, windowTag } from '../../../src/bridge/index.js';
import { FakeClient, alice, runningMux, useFakeTimeouts } from './fakes.js';

describe('SerialMux presence and dropped input', () => {
  useFakeTimeouts();

  it('lists two windows of one user apart: label, window tag and since; the holder carries them too', async () => {
    const { mux } = await runningMux();
    const start = Date.now();
    const a = new FakeClient();
    const b = new FakeClient();
    const ha = mux.attach(a, { ...alice, label: 'Chrome on Linux', window: 'w1' }, {});
    mux.attach(b, { ...alice, label: 'Firefox on Linux', window: 'w2' }, {});
    vi.advanceTimersByTime(100);
    const presence = b.of('presence').at(-1)!;
    expect(presence.clients).toEqual([
      {
        id: ha.id,
        user: 'alice',
        role: 'operator',
        label: 'Chrome on Linux',
        window: 'w1',
        since: presence.clients[0]!.since,
      },
      expect.objectContaining({ user: 'alice', label: 'Firefox on Linux', window: 'w2' }),
    ]);
    expect(presence.clients[0]!.since).toBeGreaterThanOrEqual(start);
    ha.input(Buffer.from('x'));
    expect(b.of('lock').at(-1)!.holder).toEqual({
      id: ha.id,
      user: 'alice',
      label: 'Chrome on Linux',
      window: 'w1',
    });
  });

  it('marks the lock message sent because input was dropped, once per lock change', async () => {
    const { mux } = await runningMux();
    const a = new FakeClient();
    const b = new FakeClient();
    const ha = mux.attach(a, alice, {});
    const hb = mux.attach(b, alice, {});
    ha.input(Buffer.from('mine'));
    expect(b.of('lock').at(-1)).not.toHaveProperty('inputDropped');
    hb.input(Buffer.from('dropped'));
    hb.input(Buffer.from('dropped again'));
    const dropped = b.of('lock').filter((m) => m.inputDropped === true);
    expect(dropped).toHaveLength(1);
    expect(a.of('lock').filter((m) => m.inputDropped === true)).toHaveLength(0);
    hb.control({ type: 'take-lock' });
    expect(b.of('lock').at(-1)).not.toHaveProperty('inputDropped');
    ha.input(Buffer.from('now mine is dropped'));
    expect(a.of('lock').at(-1)).toMatchObject({ inputDropped: true, holder: { id: hb.id } });
  });
});

describe('window labels', () => {
  it('names the browser and system from a User-Agent', () => {
    const chrome =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
    const edge =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0';
    const firefox = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0';
    const safari =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
    expect(browserLabel(chrome)).toBe('Chrome on Linux');
    expect(browserLabel(edge)).toBe('Edge on Windows');
    expect(browserLabel(firefox)).toBe('Firefox on macOS');
    expect(browserLabel(safari)).toBe('Safari on iOS');
    expect(browserLabel(chrome.replace('Chrome/', 'HeadlessChrome/'))).toBe('Chrome on Linux');
    expect(browserLabel('curl/8.0')).toBe('browser');
    expect(browserLabel(undefined)).toBe('browser');
    expect(sshLabel('10.0.0.5')).toBe('ssh from 10.0.0.5');
  });

  it('keeps a short plain window tag and drops anything else', () => {
    expect(windowTag('k3f9')).toBe('k3f9');
    expect(windowTag('<b>x</b>')).toBeUndefined();
    expect(windowTag('x'.repeat(33))).toBeUndefined();
    expect(windowTag(null)).toBeUndefined();
  });
});
