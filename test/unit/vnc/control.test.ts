// The VNC input lock (src/bridge/vnc/control.ts) and the RFB filter's gating by it: who may
// type, who is told, what the control channels see.
import { describe, expect, it } from 'vitest';
import { RfbClientFilter } from '../../../src/bridge/vnc/rfb-filter.js';
import {
  VncControl,
  type InputLockMode,
  type VncControlMessage,
  type VncSeat,
} from '../../../src/bridge/vnc/control.js';
import type { ConsoleSession } from '../../../src/bridge/types.js';
import * as m from './rfb-build.js';

function session(user: string, window?: string, role: ConsoleSession['role'] = 'operator'): ConsoleSession {
  return {
    user,
    role,
    clientAddress: '127.0.0.1',
    label: 'Chrome on Linux',
    ...(window ? { window } : {}),
  };
}

function watcher(control: VncControl, who: ConsoleSession) {
  const got: VncControlMessage[] = [];
  const watch = control.watch(who, (message) => got.push(message));
  const last = (type: VncControlMessage['type']) => got.filter((x) => x.type === type).at(-1);
  return { got, watch, last };
}

/** A 3.8 None handshake, so the filter is at the message phase. */
function handshaken(filter: RfbClientFilter): void {
  filter.push(Buffer.concat([m.version(8), Buffer.of(1), Buffer.of(1)]), []);
}

function forwarded(filter: RfbClientFilter, ...messages: Buffer[]): Buffer {
  const out: Buffer[] = [];
  filter.push(Buffer.concat(messages), out);
  return Buffer.concat(out);
}

function gatedFilter(seat: VncSeat): RfbClientFilter {
  const filter = new RfbClientFilter({ viewOnly: false, inputGate: seat.allow });
  handshaken(filter);
  return filter;
}

describe('VncControl (exclusive)', () => {
  it('gives the first operator control, drops the others input and tells their window once', () => {
    const control = new VncControl('exclusive');
    const a = control.join(session('alice', 'wa'));
    const b = control.join(session('alice', 'wb'));
    const bWatch = watcher(control, session('alice', 'wb'));
    expect(control.holderId).toBe(a.id);
    expect(a.allow('key')).toBe(true);
    expect(b.allow('move')).toBe(false);
    // A move says nothing; a key or a click says "dropped", once per lock change.
    expect(bWatch.got.filter((x) => x.type === 'lock')).toHaveLength(0);
    expect(b.allow('key')).toBe(false);
    expect(b.allow('click')).toBe(false);
    const dropped = bWatch.got.filter((x) => x.type === 'lock');
    expect(dropped).toEqual([
      {
        type: 'lock',
        mode: 'exclusive',
        holder: { id: a.id, user: 'alice', label: 'Chrome on Linux', window: 'wa' },
        previous: null,
        inputDropped: true,
      },
    ]);
  });

  it('moves control on take-lock, tells the old holder who took it, frees it when the holder leaves', () => {
    const control = new VncControl('exclusive');
    const a = control.join(session('alice', 'wa'));
    const b = control.join(session('bob', 'wb'));
    const aWatch = watcher(control, session('alice', 'wa'));
    const bWatch = watcher(control, session('bob', 'wb'));
    expect(bWatch.got[0]).toMatchObject({
      type: 'hello',
      window: 'wb',
      mode: 'exclusive',
      holder: { id: a.id },
      count: 2,
    });
    bWatch.watch.request({ type: 'take-lock' });
    expect(control.holderId).toBe(b.id);
    expect(aWatch.last('lock')).toMatchObject({ holder: { id: b.id, user: 'bob' }, previous: { id: a.id } });
    expect(a.allow('key')).toBe(false);
    expect(b.allow('key')).toBe(true);
    b.leave();
    expect(control.holderId).toBeNull();
    expect(aWatch.last('lock')).toMatchObject({ holder: null, previous: { id: b.id } });
    expect(aWatch.last('presence')).toMatchObject({ count: 1, clients: [{ id: a.id, user: 'alice' }] });
    // A free lock: a move passes without taking it, a key takes it.
    expect(a.allow('move')).toBe(true);
    expect(control.holderId).toBeNull();
    expect(a.allow('key')).toBe(true);
    expect(control.holderId).toBe(a.id);
  });

  it('lets a watcher take only for a seat of its own window and user, never for a viewer', () => {
    const control = new VncControl('exclusive');
    const a = control.join(session('alice', 'wa'));
    control.join(session('victor', 'wv', 'viewer'));
    const stranger = watcher(control, session('mallory', 'wa'));
    stranger.watch.request({ type: 'take-lock' });
    expect(control.holderId).toBe(a.id);
    expect(stranger.last('lock')).toMatchObject({ holder: { id: a.id } });
    const viewer = watcher(control, session('victor', 'wv', 'viewer'));
    viewer.watch.request({ type: 'take-lock' });
    expect(control.holderId).toBe(a.id);
    const untagged = watcher(control, session('alice'));
    untagged.watch.request({ type: 'take-lock' });
    expect(control.holderId).toBe(a.id);
    const own = watcher(control, session('alice', 'wa'));
    own.watch.request({ type: 'release-lock' });
    expect(control.holderId).toBeNull();
  });

  it('lists seats with user, role, label, window and since', () => {
    const control = new VncControl('exclusive');
    const before = Date.now();
    control.join(session('alice', 'wa'));
    control.join(session('victor', undefined, 'viewer'));
    const w = watcher(control, session('alice', 'wa'));
    const hello = w.got[0];
    if (hello?.type !== 'hello') throw new Error('no hello');
    expect(hello.clients).toHaveLength(2);
    expect(hello.clients[0]).toMatchObject({ user: 'alice', role: 'operator', window: 'wa' });
    expect(hello.clients[1]).not.toHaveProperty('window');
    expect(hello.clients[0]!.since).toBeGreaterThanOrEqual(before);
    w.watch.leave();
    control.join(session('bob'));
    expect(w.got).toHaveLength(1);
  });
});

describe('VncControl (shared)', () => {
  it('lets every operator through and holds nothing', () => {
    const control = new VncControl('shared' satisfies InputLockMode);
    const a = control.join(session('alice', 'wa'));
    const b = control.join(session('bob', 'wb'));
    expect(a.allow('key') && b.allow('key') && b.allow('click')).toBe(true);
    expect(control.holderId).toBeNull();
    const w = watcher(control, session('bob', 'wb'));
    w.watch.request({ type: 'take-lock' });
    expect(control.holderId).toBeNull();
    expect(w.last('lock')).toMatchObject({ mode: 'shared', holder: null });
  });
});

describe('RfbClientFilter gated by the input lock', () => {
  it('drops key, pointer and clipboard of a seat without control; framebuffer requests always pass', () => {
    const control = new VncControl('exclusive');
    const holder = gatedFilter(control.join(session('alice', 'wa')));
    const other = gatedFilter(control.join(session('bob', 'wb')));
    const request = m.updateRequest(true);
    const input = [m.keyEvent(0x61, true), m.pointerEvent(5, 5, 1), m.pointerEvent(6, 6, 0), m.cutText('x')];
    expect(forwarded(other, request, ...input, request)).toEqual(Buffer.concat([request, request]));
    expect(forwarded(holder, request, ...input)).toEqual(Buffer.concat([request, ...input]));
    expect(other.messagesDropped).toBe(4);
  });

  it('lets the keys through once the seat takes control', () => {
    const control = new VncControl('exclusive');
    control.join(session('alice', 'wa'));
    const bob = watcher(control, session('bob', 'wb'));
    const other = gatedFilter(control.join(session('bob', 'wb')));
    const key = m.qemuKeyEvent(0xff0d, true, 0x1c);
    expect(forwarded(other, key)).toHaveLength(0);
    bob.watch.request({ type: 'take-lock' });
    expect(forwarded(other, key)).toEqual(key);
  });

  it('takes a free lock with a click but not with a move, also when a message is split', () => {
    const control = new VncControl('exclusive');
    const seat = control.join(session('alice', 'wa'));
    seat.allow('key');
    control.join(session('bob', 'wb')).leave();
    const bob = control.join(session('bob', 'wb'));
    seat.leave();
    expect(control.holderId).toBeNull();
    const filter = gatedFilter(bob);
    const move = m.pointerEvent(1, 1, 0);
    // A move split after its type byte passes, takes nothing.
    const out: Buffer[] = [];
    filter.push(move.subarray(0, 1), out);
    filter.push(move.subarray(1), out);
    expect(Buffer.concat(out)).toEqual(move);
    expect(control.holderId).toBeNull();
    expect(forwarded(filter, m.pointerEvent(1, 1, 1))).toHaveLength(6);
    expect(control.holderId).toBe(bob.id);
  });

  it('still drops everything a viewer sends, gate or not', () => {
    const control = new VncControl('shared');
    const seat = control.join(session('victor', 'wv', 'viewer'));
    const filter = new RfbClientFilter({ viewOnly: true, inputGate: seat.allow });
    handshaken(filter);
    expect(forwarded(filter, m.keyEvent(0x61, true))).toHaveLength(0);
  });
});
