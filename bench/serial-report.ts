// The tables of bench/results/serial.md.
import type { Relay } from './serial-run.js';

export interface Row {
  relay: Relay;
  clients: number;
  stalled: boolean;
  mibPerSec: number;
  minClientMibPerSec: number;
  cpuCores: number;
  pssPerClientKiB: number;
  gaps: number;
  skippedMiB: number;
  messagesPerSec: number;
  cpuMicrosPerKiB: number;
  processes: number;
  note: string;
  /** Drain rows: the source's writes per second. */
  writesPerSec?: number;
}

export interface EchoRow {
  relay: Relay;
  typists: number;
  viewers: number;
  roundTrips: number;
  /** Round trip at the typist, ms. */
  p50: number;
  p99: number;
  /** Key sent to echo seen by a viewer, ms (NaN without viewers). */
  viewerP50: number;
  viewerP99: number;
  cpuMicrosPerRoundTrip: number;
}

export interface FanoutRow {
  relay: Relay;
  clients: number;
  size: number;
  minClientKiBPerSec: number;
  gaps: number;
  /** Guest write to viewer message, ms. */
  p50: number;
  p99: number;
  max: number;
  corePercent: number;
  /** The bench's own process (every viewer's client) over the same time. */
  clientCorePercent: number;
  messagesPerSec: number;
}

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const us = (ms: number): string => (Number.isFinite(ms) ? String(Math.round(ms * 1000)) : '–');

function table(head: string[], align: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
}

export function floodTable(rows: readonly Row[]): string {
  return table(
    [
      'relay',
      'clients',
      '+ stalled',
      'delivered MiB/s (all)',
      'slowest client MiB/s',
      'relay CPU (cores)',
      'relay PSS per client KiB',
      'gaps (bytes skipped MiB)',
      'processes',
      'note',
    ],
    ['---', '---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---'],
    rows.map((r) => [
      r.relay,
      String(r.clients),
      r.stalled ? 'yes' : 'no',
      f1(r.mibPerSec),
      f2(r.minClientMibPerSec),
      f2(r.cpuCores),
      f1(r.pssPerClientKiB),
      `${r.gaps} (${f1(r.skippedMiB)})`,
      String(r.processes),
      r.note,
    ]),
  );
}

/** Chatty and drain rows: rates and CPU per KiB (drain rows add the source's writes per second). */
export function rateTable(rows: readonly Row[]): string {
  const drain = rows.some((r) => r.writesPerSec !== undefined);
  return table(
    [
      'relay',
      ...(drain ? ['source writes/s', 'source KiB/s'] : []),
      'delivered KiB/s',
      'WebSocket messages/s',
      'relay CPU (cores)',
      'relay CPU µs per KiB',
    ],
    ['---', ...(drain ? ['---:', '---:'] : []), '---:', '---:', '---:', '---:'],
    rows.map((r) => [
      r.relay,
      ...(drain ? [String(Math.round(r.writesPerSec ?? NaN)), f1(r.mibPerSec * 1024)] : []),
      f1((drain ? r.minClientMibPerSec : r.mibPerSec) * 1024),
      String(Math.round(r.messagesPerSec)),
      f2(r.cpuCores),
      f1(r.cpuMicrosPerKiB),
    ]),
  );
}

export function echoTable(rows: readonly EchoRow[]): string {
  return table(
    [
      'relay',
      'typing',
      'watching',
      'round trips',
      'p50 µs',
      'p99 µs',
      'viewer p50 µs',
      'viewer p99 µs',
      'relay CPU µs per round trip',
    ],
    ['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:'],
    rows.map((r) => [
      r.relay,
      String(r.typists),
      String(r.viewers),
      String(r.roundTrips),
      us(r.p50),
      us(r.p99),
      us(r.viewerP50),
      us(r.viewerP99),
      f1(r.cpuMicrosPerRoundTrip),
    ]),
  );
}

export function fanoutTable(rows: readonly FanoutRow[]): string {
  return table(
    [
      'relay',
      'viewers',
      'write size B',
      'slowest viewer KiB/s',
      'gaps',
      'latency p50 ms',
      'p99 ms',
      'max ms',
      'relay CPU % of a core',
      'clients CPU % of a core',
      'messages/s (all)',
    ],
    ['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:'],
    rows.map((r) => [
      r.relay,
      String(r.clients),
      String(r.size),
      f1(r.minClientKiBPerSec),
      String(r.gaps),
      f2(r.p50),
      f2(r.p99),
      f1(r.max),
      f1(r.corePercent),
      f1(r.clientCorePercent),
      String(Math.round(r.messagesPerSec)),
    ]),
  );
}
