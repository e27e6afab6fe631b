// Stream markers (protocol `event` messages): which log events become markers (events.ts), and
// the mux sending each one in stream order, between the bytes before and after its offset, to
// live clients, new clients and resumed clients (from=) alike, across a restart on the same log.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleEvents } from '../../../src/bridge/serial/events.js';
import { SerialMux, serialOptions, type ServerMessage } from '../../../src/bridge/serial/index.js';
import { SerialLogStore } from '../../../src/bridge/serial/log/index.js';
import { VwcError } from '../../../src/errors/index.js';
import { MarkerFilter, markerLine } from '../../../web/lib/serial-markers.js';
import { FakeClient, FakeConnector, alice, bob, makeVm, runningMux, settle, silentLogger } from './fakes.js';

/** What a client saw, as text: bytes as they are, each marker as `<text>`. */
function stream(client: FakeClient): string {
  return client.log
    .map((entry: Buffer | ServerMessage) =>
      Buffer.isBuffer(entry) ? entry.toString('latin1') : entry.type === 'event' ? `<${entry.text}>` : '',
    )
    .join('');
}

describe('ConsoleEvents', () => {
  it('makes markers of starts, stops, pauses and resets; not of a running state after a boot', () => {
    const events = new ConsoleEvents();
    const texts = [
      events.add(0, 1, { kind: 'daemon-start', unclean: false }),
      events.add(0, 2, { kind: 'boot', key: '4' }),
      events.add(0, 3, { kind: 'state', state: 'running' }),
      events.add(10, 4, { kind: 'reset' }),
      events.add(20, 5, { kind: 'state', state: 'paused' }),
      events.add(20, 6, { kind: 'state', state: 'running' }),
      events.add(30, 7, { kind: 'state', state: 'shutoff' }),
      events.add(30, 8, { kind: 'state', state: 'shutoff' }),
      events.add(30, 9, { kind: 'log-resumed', lostFrom: 1, lostTo: 2 }),
    ].map((marker) => marker?.text ?? null);
    expect(texts).toEqual([
      null,
      'VM started',
      null,
      'VM rebooted',
      'VM paused',
      'VM resumed',
      'VM stopped',
      null,
      null,
    ]);
    expect(events.seqAt(0)).toBe(0);
    expect(events.seqAt(11)).toBe(2);
    expect(events.seqAt(31)).toBe(events.endSeq);
  });

  it('marks a daemon restart, and a crash when the last run never logged its stop', () => {
    const clean = new ConsoleEvents();
    clean.continueFrom([
      { offset: 0, time: 1, event: { kind: 'daemon-start', unclean: false } },
      { offset: 5, time: 2, event: { kind: 'daemon-stop' } },
    ]);
    expect(clean.add(5, 3, { kind: 'daemon-start', unclean: false })).toMatchObject({
      kind: 'daemon-restart',
      text: 'console daemon restarted; output while it was away is lost',
    });
    const crashed = new ConsoleEvents();
    crashed.continueFrom([{ offset: 0, time: 1, event: { kind: 'daemon-start', unclean: false } }]);
    expect(crashed.add(5, 3, { kind: 'daemon-start', unclean: true })?.text).toContain('after a crash');
  });
});

describe('SerialMux stream markers', () => {
  it('sends a reset to live clients at its place in the stream, and to a new client in its replay', async () => {
    const { mux, connector } = await runningMux();
    const live = new FakeClient();
    mux.attach(live, alice, {});
    connector.latest.emit('before reboot\r\n');
    mux.reset();
    connector.latest.emit('booting again\r\n');
    expect(stream(live)).toBe('<VM started>before reboot\r\n<VM rebooted>booting again\r\n');
    const event = live.of('event')[1]!;
    expect(event).toMatchObject({ kind: 'reboot', offset: 15 });
    expect(typeof event.time).toBe('number');
    // Markers are not console bytes: the counted offset is the byte count.
    expect(live.countedOffset()).toBe(30);

    const late = new FakeClient();
    mux.attach(late, bob, {});
    expect(stream(late)).toBe('<VM started>before reboot\r\n<VM rebooted>booting again\r\n');
    const resumed = new FakeClient();
    mux.attach(resumed, bob, { from: 7 });
    expect(stream(resumed)).toBe('reboot\r\n<VM rebooted>booting again\r\n');
    const atMarker = new FakeClient();
    mux.attach(atMarker, bob, { from: 15 });
    expect(stream(atMarker)).toBe('<VM rebooted>booting again\r\n');
  });

  it('marks a stop and the next start; a reset of a stopped VM is none', async () => {
    const { mux, connector } = await runningMux();
    const client = new FakeClient();
    mux.attach(client, alice, {});
    connector.latest.emit('up\r\n');
    mux.update(makeVm('vm1', 'shutoff', null));
    mux.reset();
    mux.update(makeVm('vm1', 'running', 2));
    await settle();
    connector.latest.emit('up again\r\n');
    expect(stream(client)).toBe('<VM started>up\r\n<VM stopped><VM started>up again\r\n');
  });

  it('gives a resumed client the daemon-restart marker after a restart on the same log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-events-'));
    try {
      const store = new SerialLogStore(dir, { flushMs: 10 }, { logger: silentLogger });
      const mux = (connector: FakeConnector): SerialMux =>
        new SerialMux({
          vmName: 'vm1',
          index: 0,
          options: serialOptions({ coalesceMs: 0 }),
          connector: connector.connect,
          logger: silentLogger,
          log: store.port('vm1', 0),
        });
      const first = new FakeConnector();
      const before = mux(first);
      before.update(makeVm('vm1', 'running', 4));
      await settle();
      first.latest.emit('first run\r\n');
      before.close(new VwcError('VWC_ERR_SHUTTING_DOWN', 'restart'));
      await before.logClosed;

      const second = new FakeConnector();
      const after = mux(second);
      after.update(makeVm('vm1', 'running', 4));
      await settle();
      second.latest.emit('second run\r\n');
      const resumed = new FakeClient();
      after.attach(resumed, alice, { from: 11 });
      expect(stream(resumed)).toBe(
        '<console daemon restarted; output while it was away is lost>second run\r\n',
      );
      const fresh = new FakeClient();
      after.attach(fresh, alice, {});
      expect(stream(fresh)).toBe(
        '<VM started>first run\r\n<console daemon restarted; output while it was away is lost>second run\r\n',
      );
      after.close(new VwcError('VWC_ERR_SHUTTING_DOWN', 'end'));
      await after.logClosed;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('page markers', () => {
  const event = (offset: number, time: number, text = 'VM rebooted') =>
    ({ type: 'event', offset, time, kind: 'reboot', text }) as const;

  it('draws a dim line with the local time, control characters removed', () => {
    const line = markerLine(event(0, Date.UTC(2026, 11, 6, 12, 3, 4), 'VM\x1b[31m rebooted'), 'UTC');
    expect(line).toBe('\r\n\x1b[90m── VM[31m rebooted 12:03:04 ──\x1b[39m\r\n');
  });

  it('draws each marker once across a resume that sends it again', () => {
    const filter = new MarkerFilter();
    expect(filter.fresh(event(10, 100))).toBe(true);
    expect(filter.fresh(event(10, 100))).toBe(false);
    expect(filter.fresh(event(10, 101))).toBe(true);
    expect(filter.fresh(event(5, 200))).toBe(false);
    filter.reset();
    expect(filter.fresh(event(5, 200))).toBe(true);
  });
});
