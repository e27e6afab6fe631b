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

/** One measure with the serial log off (`vwc`) and on (`vwc-log`), same scenario. */
export interface LogCost {
  scenario: string;
  /** What is compared, e.g. "relay CPU µs per KiB". */
  measure: string;
  off: number;
  on: number;
}

/** The cost of the serial log: each pair of rows as on/off ratios (1.00 = no cost). */
export function logCostTable(rows: readonly LogCost[]): string {
  return table(
    ['scenario', 'measure', 'log off', 'log on', 'on / off'],
    ['---', '---', '---:', '---:', '---:'],
    rows.map((r) => [r.scenario, r.measure, f2(r.off), f2(r.on), `${f2(r.on / r.off)}×`]),
  );
}

/** The log-on/off pairs of the chatty and fan-out rows (relays `vwc` and `vwc-log`). */
export function logCosts(chatty: readonly Row[], fanout: readonly FanoutRow[]): LogCost[] {
  const costs: LogCost[] = [];
  const chattyOff = chatty.find((r) => r.relay === 'vwc');
  const chattyOn = chatty.find((r) => r.relay === 'vwc-log');
  if (chattyOff && chattyOn) {
    costs.push({
      scenario: 'chatty, 1 client',
      measure: 'relay CPU µs per KiB',
      off: chattyOff.cpuMicrosPerKiB,
      on: chattyOn.cpuMicrosPerKiB,
    });
  }
  for (const off of fanout.filter((r) => r.relay === 'vwc')) {
    const on = fanout.find((r) => r.relay === 'vwc-log' && r.clients === off.clients && r.size === off.size);
    if (!on) continue;
    const scenario = `fan-out, ${off.clients} viewers, ${off.size} B writes`;
    costs.push({ scenario, measure: 'relay CPU % of a core', off: off.corePercent, on: on.corePercent });
    costs.push({ scenario, measure: 'latency p99 ms', off: off.p99, on: on.p99 });
  }
  return costs;
}
