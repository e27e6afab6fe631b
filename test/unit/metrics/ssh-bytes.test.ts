// SSH console bytes are counted in plain numbers on the hot path and reported at scrape time;
// this checks the figures still reach the scrape, during a session and after it ends.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/index.js';
import type { ClientTransport, ConsoleHub, SerialClientHandle } from '../../../src/bridge/index.js';

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

/** A hub whose only working part is attachSerialClient; it keeps the transport it was given (the mux's side). */
function fakeHub(): { hub: ConsoleHub; transport: () => ClientTransport } {
  let given: ClientTransport | null = null;
  const unused = (): never => {
    throw new Error('not used by this test');
  };
  const hub: ConsoleHub = {
    start: unused,
    serialAvailable: unused,
    attachSerial: unused,
    attachSerialClient(_vm, _index, transport): SerialClientHandle {
      given = transport;
      return { id: 'c1', input() {}, control() {}, sendBreak: () => null, detach() {} };
    },
    readSerialHistory: unused,
    vncAvailable: unused,
    attachVnc: unused,
    spiceAvailable: unused,
    attachSpice: unused,
    vncControlAvailable: unused,
    attachVncControl: unused,
    stop: unused,
  };
  return {
    hub,
    transport: () => {
      if (!given) throw new Error('no client attached');
      return given;
    },
  };
}

describe('ssh console byte metrics', () => {
  it('reports bytes in and out at scrape, per kind and per domain, and keeps them after detach', async () => {
    const metrics = createMetrics({ maxDomainLabels: 5, version: 't', processMetrics: false });
    const { hub, transport } = fakeHub();
    const instrumented = metrics.instrumentHub(hub);
    const session = { user: 'alice', role: 'operator' } as unknown as Parameters<
      ConsoleHub['attachSerialClient']
    >[3];
    const wire: ClientTransport = {
      sendBinary: (_chunk, done) => {
        done();
      },
      sendText: (_text, done) => {
        done();
      },
      close() {},
      pauseInput() {},
      resumeInput() {},
    };
    const handle = instrumented.attachSerialClient('vm1', 0, wire, session, {});
    transport().sendBinary({ data: Buffer.alloc(300) } as never, () => {});
    transport().sendBinary({ data: Buffer.alloc(200) } as never, () => {});
    handle.input(Buffer.from('ls\r'));

    let text = (await metrics.render()).body;
    expect(value(text, 'vwc_console_bytes_total{kind="ssh",direction="out"}')).toBe(500);
    expect(value(text, 'vwc_console_bytes_total{kind="ssh",direction="in"}')).toBe(3);
    expect(value(text, 'vwc_domain_console_bytes_total{domain="vm1",direction="out"}')).toBe(500);
    expect(value(text, 'vwc_console_connections{kind="ssh"}')).toBe(1);

    transport().sendBinary({ data: Buffer.alloc(24) } as never, () => {});
    handle.detach();
    handle.detach();
    text = (await metrics.render()).body;
    expect(value(text, 'vwc_console_bytes_total{kind="ssh",direction="out"}')).toBe(524);
    expect(value(text, 'vwc_console_connections{kind="ssh"}')).toBe(0);
  });
});
