import { describe, expect, it, vi } from 'vitest';
import {
  FakeClient,
  FakeConnector,
  alice,
  bob,
  eve,
  makeVm,
  newMux,
  runningMux,
  settle,
  useFakeTimeouts,
} from './fakes.js';

describe('SerialMux', () => {
  useFakeTimeouts();

  it('reads from boot with no client and gives the history to the first client', async () => {
    const { mux, connector } = await runningMux();
    connector.latest.emit('BOOT BANNER\r\n');
    connector.latest.emit('login: ');
    const client = new FakeClient();
    mux.attach(client, alice, {});
    const hello = client.of('hello')[0]!;
    expect(hello).toMatchObject({
      offset: 0,
      history: { start: 0, end: 20 },
      vm: { state: 'running', boot: 1 },
    });
    expect(client.text()).toBe('BOOT BANNER\r\nlogin: ');
    connector.latest.emit('x');
    expect(client.text()).toBe('BOOT BANNER\r\nlogin: x');
  });

  it('attaches with the last K bytes', async () => {
    const { mux, connector } = await runningMux();
    connector.latest.emit('0123456789');
    const client = new FakeClient();
    mux.attach(client, eve, { last: 4 });
    expect(client.of('hello')[0]!.offset).toBe(6);
    expect(client.text()).toBe('6789');
  });

  it('resumes a reconnecting client with no gap and no duplicate', async () => {
    const { mux, connector } = await runningMux();
    const first = new FakeClient();
    const handle = mux.attach(first, alice, {});
    connector.latest.emit('hello ');
    connector.latest.emit('world');
    const had = first.consoleBytes().length;
    handle.detach();
    connector.latest.emit(', while away');
    connector.latest.emit('!');
    const again = new FakeClient();
    mux.attach(again, alice, { from: had });
    expect(again.of('hello')[0]!.offset).toBe(had);
    expect(again.of('gap')).toHaveLength(0);
    expect(first.text() + again.text()).toBe('hello world, while away!');
  });

  it('reports a gap when the asked offset left history, with a marker outside the offsets', async () => {
    const { mux, connector } = await runningMux({ headBytes: 4, tailBytes: 8 });
    connector.latest.emit('ABCDEFGHIJKLMNOPQRST'); // 20 bytes: head ABCD, ring MNOPQRST
    const client = new FakeClient();
    mux.attach(client, eve, { from: 6 });
    const gap = client.of('gap')[0]!;
    expect(gap).toMatchObject({ from: 6, to: 12, reason: 'out-of-history' });
    expect(client.consoleBytes().toString()).toBe('MNOPQRST');
    expect(client.text()).toContain('[~]');
    expect(client.frames[0]!.length).toBe(gap.marker);
    expect(gap.marker).toBeLessThanOrEqual(6);
    expect(client.countedOffset()).toBe(20);
  });

  it('gives the lock to the first operator who types; others are dropped and told', async () => {
    const { mux, connector } = await runningMux();
    const a = new FakeClient();
    const b = new FakeClient();
    const v = new FakeClient();
    const ha = mux.attach(a, alice, {});
    const hb = mux.attach(b, bob, {});
    const hv = mux.attach(v, eve, {});
    hv.input(Buffer.from('viewer'));
    expect(connector.latest.input).toBe('');
    hb.input(Buffer.from('\x1b[1;1R'));
    ha.input(Buffer.from('\x1b[1;1R'));
    ha.input(Buffer.from('more'));
    expect(connector.latest.input).toBe('\x1b[1;1R');
    // Everyone hears of the lock; alice is told once (not once per keystroke).
    expect(v.of('lock').at(-1)!.holder).toMatchObject({ user: 'bob' });
    expect(a.of('lock').filter((m) => m.holder?.user === 'bob')).toHaveLength(2);
    // Explicit take-over.
    ha.control({ type: 'take-lock' });
    ha.input(Buffer.from('ls\r'));
    hb.input(Buffer.from('nope'));
    expect(connector.latest.input).toBe('\x1b[1;1Rls\r');
    expect(b.of('lock').at(-1)!.holder).toMatchObject({ user: 'alice' });
    // A viewer cannot take it.
    hv.control({ type: 'take-lock' });
    expect(v.of('lock').at(-1)!.holder).toMatchObject({ user: 'alice' });
    // The holder leaving frees it; the next operator to type takes it.
    ha.detach();
    expect(b.of('lock').at(-1)!.holder).toBeNull();
    hb.input(Buffer.from('yes'));
    expect(connector.latest.input).toBe('\x1b[1;1Rls\ryes');
    hb.control({ type: 'release-lock' });
    expect(v.of('lock').at(-1)!.holder).toBeNull();
  });

  it('tells every client who is attached', async () => {
    const { mux } = await runningMux();
    const a = new FakeClient();
    const b = new FakeClient();
    mux.attach(a, alice, {});
    const hb = mux.attach(b, eve, {});
    vi.advanceTimersByTime(100);
    expect(a.of('presence').at(-1)).toMatchObject({
      count: 2,
      clients: [
        { user: 'alice', role: 'operator' },
        { user: 'eve', role: 'viewer' },
      ],
    });
    hb.detach();
    vi.advanceTimersByTime(100);
    expect(a.of('presence').at(-1)).toMatchObject({ count: 1 });
  });

  it('resyncs a stalled client to the live end without slowing the others', async () => {
    const { mux, connector } = await runningMux({ clientQueueBytes: 100 });
    const fast = new FakeClient();
    const slow = new FakeClient('stalled');
    mux.attach(fast, alice, {});
    mux.attach(slow, eve, {});
    const chunk = Buffer.alloc(30, 0x61);
    for (let i = 0; i < 20; i += 1) connector.latest.emit(chunk);
    expect(fast.consoleBytes().length).toBe(600);
    // The stalled client holds at most its limit in flight and gets nothing more.
    expect(slow.consoleBytes().length).toBeLessThanOrEqual(130);
    const sentBefore = slow.consoleBytes().length;
    slow.release();
    const gap = slow.of('gap')[0]!;
    expect(gap).toMatchObject({ reason: 'slow-client', from: sentBefore, to: 600 });
    connector.latest.emit('live');
    expect(slow.consoleBytes().toString().endsWith('live')).toBe(true);
    // Offsets: bytes received + bytes skipped = bytes produced.
    expect(slow.consoleBytes().length + (gap.to - gap.from)).toBe(604);
    expect(slow.countedOffset()).toBe(604);
    expect(slow.text()).toContain(
      `[virt-webconsole: ${gap.to - gap.from} bytes skipped, client fell behind]`,
    );
    expect(fast.consoleBytes().length).toBe(604);
  });

  it('defers control messages to a client that is behind', async () => {
    const { mux, connector } = await runningMux({ clientQueueBytes: 10 });
    const slow = new FakeClient('stalled');
    mux.attach(slow, eve, {});
    connector.latest.emit('0123456789');
    connector.latest.emit('0123456789');
    const before = slow.messages.length;
    const other = mux.attach(new FakeClient(), alice, {});
    other.input(Buffer.from('x'));
    vi.advanceTimersByTime(100);
    expect(slow.messages.length).toBe(before);
    slow.release();
    expect(slow.of('lock').at(-1)!.holder).toMatchObject({ user: 'alice' });
    expect(slow.of('presence').at(-1)).toMatchObject({ count: 2 });
  });

  it('closes a slow client with a reason under the disconnect policy', async () => {
    const { mux, connector } = await runningMux({ clientQueueBytes: 100, slowClientPolicy: 'disconnect' });
    const fast = new FakeClient();
    const slow = new FakeClient('stalled');
    mux.attach(fast, alice, {});
    mux.attach(slow, eve, {});
    for (let i = 0; i < 10; i += 1) connector.latest.emit(Buffer.alloc(30, 0x62));
    expect(slow.closedWith?.code).toBe(4104);
    expect(slow.of('error')[0]).toMatchObject({ code: 'VWC_ERR_CLIENT_TOO_SLOW' });
    expect(fast.consoleBytes().length).toBe(300);
    expect(mux.clientCount).toBe(1);
  });

  it('replaying history is not falling behind', async () => {
    const { mux, connector } = await runningMux({ clientQueueBytes: 100, tailBytes: 10_000 });
    for (let i = 0; i < 50; i += 1) connector.latest.emit(Buffer.alloc(100, 0x63));
    const late = new FakeClient('stalled');
    mux.attach(late, eve, {});
    for (let i = 0; i < 100 && late.pendingDone > 0; i += 1) late.release();
    expect(late.of('gap')).toHaveLength(0);
    expect(late.consoleBytes().length).toBe(5000);
  });

  it('sends a read on an idle line at once and gathers what follows within the window', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 5 });
    const client = new FakeClient();
    mux.attach(client, alice, {});
    // A keystroke's echo waits for nothing.
    connector.latest.emit('a');
    expect(client.text()).toBe('a');
    expect(connector.latest.paused).toBe(false);
    // A chatty guest right after: one message after the window.
    for (const c of 'chatty guest') connector.latest.emit(c);
    expect(client.frames).toHaveLength(1);
    // A slow source: reading waits for the window's end, so the kernel gathers its writes.
    expect(connector.latest.paused).toBe(true);
    vi.advanceTimersByTime(5);
    expect(connector.latest.paused).toBe(false);
    // What was gathered goes once the kernel's bytes are read (in the same loop turn; the fake
    // clock runs that turn's immediates a tick later).
    vi.advanceTimersByTime(1);
    expect(client.frames.map(String)).toEqual(['a', 'chatty guest']);
    // A window with nothing in it: the line is idle again.
    vi.advanceTimersByTime(5);
    connector.latest.emit('b');
    expect(client.frames.map(String)).toEqual(['a', 'chatty guest', 'b']);
  });

  it('never pauses reading a source that may have filled the kernel', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 5 });
    const client = new FakeClient();
    mux.attach(client, alice, {});
    connector.latest.emit('a');
    connector.latest.emit('b');
    expect(connector.latest.paused).toBe(true);
    vi.advanceTimersByTime(5);
    // The first read after the pause brings holdBytes: the source may have been blocked.
    connector.latest.emit(Buffer.alloc(256, 0x63));
    connector.latest.emit(Buffer.alloc(300, 0x64));
    expect(connector.latest.paused).toBe(false);
    // A busy window keeps reading on; a quiet one lets the next window pause again.
    vi.advanceTimersByTime(6);
    connector.latest.emit('g');
    connector.latest.emit('h');
    expect(connector.latest.paused).toBe(false);
    vi.advanceTimersByTime(6);
    connector.latest.emit('i');
    connector.latest.emit('j');
    expect(connector.latest.paused).toBe(true);
    vi.advanceTimersByTime(6);
    expect(client.consoleBytes().length).toBe(2 + 256 + 300 + 2 + 2);
  });

  it('sends the echo of input at once, even within the window', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 5 });
    const client = new FakeClient();
    const handle = mux.attach(client, alice, {});
    connector.latest.emit('$ ');
    for (const key of 'ls') {
      handle.input(Buffer.from(key));
      connector.latest.emit(key);
    }
    // Output nobody asked for, right after: gathered.
    connector.latest.emit('x');
    expect(client.frames.map(String)).toEqual(['$ ', 'l', 's']);
    vi.advanceTimersByTime(6);
    expect(client.frames.map(String)).toEqual(['$ ', 'l', 's', 'x']);
  });

  it('sends an echo at once when it comes while output is being gathered', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 5 });
    const client = new FakeClient();
    const handle = mux.attach(client, alice, {});
    connector.latest.emit('a');
    // A chatty line: this is gathered for the window's end, and reading pauses.
    connector.latest.emit('b');
    expect(client.frames.map(String)).toEqual(['a']);
    handle.input(Buffer.from('l'));
    // Input resumes reading; the echo goes out at once, with what was gathered before it.
    expect(connector.latest.paused).toBe(false);
    connector.latest.emit('l');
    expect(client.frames.map(String)).toEqual(['a', 'bl']);
  });

  it('sends gathered bytes at once when they reach 64 KiB, window or not', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 5 });
    const client = new FakeClient();
    mux.attach(client, alice, {});
    connector.latest.emit('x');
    for (let i = 0; i < 16; i += 1) connector.latest.emit(Buffer.alloc(4096, 0x41));
    expect(client.frames.map((f) => f.length)).toEqual([1, 65536]);
  });

  it('keeps its own copy of each read: the upstream may reuse its read buffer', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 5 });
    const client = new FakeClient();
    mux.attach(client, alice, {});
    const readBuffer = Buffer.from('first');
    connector.latest.emit(readBuffer);
    readBuffer.write('xxxxx');
    connector.latest.emit(readBuffer.subarray(0, 3));
    readBuffer.write('yyyyy');
    vi.advanceTimersByTime(6);
    expect(client.text()).toBe('firstxxx');
    expect(mux.read(0, 100).data.toString()).toBe('firstxxx');
  });

  it('sends each read at once when coalescing is off', async () => {
    const { mux, connector } = await runningMux({ coalesceMs: 0 });
    const client = new FakeClient();
    mux.attach(client, alice, {});
    for (const c of 'abc') connector.latest.emit(c);
    expect(client.frames.map((f) => f.toString())).toEqual(['a', 'b', 'c']);
  });

  it('pauses the holder while the upstream does not drain', async () => {
    const { mux, connector } = await runningMux();
    const a = new FakeClient();
    const ha = mux.attach(a, alice, {});
    connector.latest.accept = false;
    ha.input(Buffer.from('first'));
    expect(a.paused).toBe(true);
    ha.input(Buffer.from('queued'));
    expect(connector.latest.input).toBe('first');
    connector.latest.accept = true;
    connector.latest.handlers.drain();
    expect(a.paused).toBe(false);
    expect(connector.latest.input).toBe('firstqueued');
  });

  it('follows the VM across a restart: new boot, new upstream, continuous offsets', async () => {
    const { mux, connector } = await runningMux();
    const client = new FakeClient();
    mux.attach(client, alice, {});
    connector.latest.emit('boot one\r\n');
    const firstUpstream = connector.latest;
    mux.update(makeVm('vm1', 'shutoff', null));
    expect(firstUpstream.closed).toBe(true);
    expect(client.of('vm').at(-1)).toMatchObject({ state: 'shutoff', boot: 1 });
    mux.update(makeVm('vm1', 'running', 2));
    await settle();
    expect(connector.upstreams).toHaveLength(2);
    expect(client.of('vm').at(-1)).toMatchObject({ state: 'running', boot: 2, offset: 10 });
    connector.latest.emit('boot two\r\n');
    expect(client.text()).toBe('boot one\r\nboot two\r\n');
    expect(mux.read(0, 100).data.toString()).toBe('boot one\r\nboot two\r\n');
    // An id change alone (missed the stop) is a new boot too.
    mux.update(makeVm('vm1', 'running', 3));
    await settle();
    expect(connector.upstreams).toHaveLength(3);
    expect(client.of('vm').at(-1)).toMatchObject({ boot: 3 });
  });

  it('retries connecting while the VM runs', async () => {
    const connector = new FakeConnector();
    connector.fail = true;
    const mux = newMux(connector);
    mux.update(makeVm('vm1', 'running', 1));
    await settle();
    expect(connector.sources).toHaveLength(1);
    connector.fail = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(mux.upstreamConnected).toBe(true);
  });

  it('waits for a pty path and refuses unsupported sources', async () => {
    const connector = new FakeConnector();
    const mux = newMux(connector);
    mux.update(makeVm('vm1', 'running', 1, [{ kind: 'pty', path: null }]));
    await settle();
    expect(connector.sources).toHaveLength(0);
    expect(mux.unavailableReason()).toBeNull();
    mux.update(makeVm('vm1', 'running', 1, [{ kind: 'pty', path: '/dev/pts/9' }]));
    await settle();
    expect(connector.sources).toEqual([{ kind: 'pty', path: '/dev/pts/9' }]);
    mux.update(makeVm('vm1', 'running', 1, [{ kind: 'unsupported', type: 'file' }]));
    expect(mux.unavailableReason()).toMatch(/file/);
  });
});
