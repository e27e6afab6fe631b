import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEventLine, VirshEventStream, type DomainEvent } from '../../../src/discovery/virsh-events.js';
import { FakeVirsh } from './fake-virsh.js';

const logger = pino({ level: 'silent' });

describe('parseEventLine', () => {
  it.each([
    [
      "event 'lifecycle' for domain 'web-1': Started Booted",
      { type: 'lifecycle', domain: 'web-1', detail: 'Started Booted' },
    ],
    [
      "2026-11-21 06:45:57.870+0000: event 'lifecycle' for domain 'a b': Stopped Destroyed",
      { type: 'lifecycle', domain: 'a b', detail: 'Stopped Destroyed' },
    ],
    ["event 'reboot' for domain 'x'", { type: 'reboot', domain: 'x', detail: null }],
    [
      "event 'lifecycle' for domain 'it's <odd> & \"q\"': Undefined Removed",
      { type: 'lifecycle', domain: `it's <odd> & "q"`, detail: 'Undefined Removed' },
    ],
    [
      "event 'device-removed' for domain 'vm': virtio-disk0",
      { type: 'device-removed', domain: 'vm', detail: 'virtio-disk0' },
    ],
  ])('%s', (line, expected) => {
    expect(parseEventLine(line)).toEqual(expected);
  });

  it('ignores other lines', () => {
    expect(parseEventLine('')).toBeNull();
    expect(parseEventLine('events received: 3')).toBeNull();
  });
});

describe('VirshEventStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits parsed events and restarts the process with a growing, capped backoff', () => {
    const virsh = new FakeVirsh();
    let now = 0;
    const stream = new VirshEventStream({
      runner: virsh,
      logger,
      initialBackoffMs: 100,
      maxBackoffMs: 350,
      healthyAfterMs: 10_000,
      now: () => now,
    });
    const events: DomainEvent[] = [];
    const deaths: number[] = [];
    let spawned = 0;
    stream.on('event', (e) => events.push(e));
    stream.on('died', (_detail, retryMs) => deaths.push(retryMs));
    stream.on('spawned', () => (spawned += 1));
    stream.start();
    expect(virsh.last.args).toEqual(['event', '--all', '--loop']);
    virsh.last.line("event 'lifecycle' for domain 'vm': Started Booted");
    expect(events).toEqual([{ type: 'lifecycle', domain: 'vm', detail: 'Started Booted' }]);

    for (let i = 0; i < 4; i += 1) {
      virsh.last.exit('error: failed to connect to the hypervisor');
      vi.runOnlyPendingTimers();
    }
    expect(deaths).toEqual([100, 200, 350, 350]);
    expect(spawned).toBe(5);

    // A process that stayed up long enough resets the backoff.
    now += 20_000;
    virsh.last.exit('error: Disconnected');
    expect(deaths.at(-1)).toBe(100);
    stream.stop();
    vi.runOnlyPendingTimers();
    expect(spawned).toBe(5);
  });

  it('ends a process that reports an error (dead connection) so that it is restarted', () => {
    const virsh = new FakeVirsh();
    const stream = new VirshEventStream({ runner: virsh, logger, initialBackoffMs: 10 });
    stream.start();
    const first = virsh.last;
    first.stderrLine('warning: something harmless');
    expect(first.killed).toBe(false);
    first.stderrLine('error: Disconnected from qemu:///system due to end of file');
    expect(first.killed).toBe(true);
    first.exit('error: Disconnected from qemu:///system due to end of file');
    vi.runOnlyPendingTimers();
    expect(virsh.processes).toHaveLength(2);
    stream.stop();
  });

  it('kills its process on stop and ignores its late exit', () => {
    const virsh = new FakeVirsh();
    const stream = new VirshEventStream({ runner: virsh, logger });
    const died = vi.fn();
    stream.on('died', died);
    stream.start();
    const proc = virsh.last;
    stream.stop();
    expect(proc.killed).toBe(true);
    proc.exit('killed');
    vi.runOnlyPendingTimers();
    expect(died).not.toHaveBeenCalled();
    expect(virsh.processes).toHaveLength(1);
  });
});
