// `virsh domstats --state` output → name, state, reason. Its values are libvirt's enum numbers
// (not translated text), so the output reads the same whatever the locale.
import type { DomainState } from './types.js';

export interface DomainStateInfo {
  readonly state: DomainState;
  readonly reason: string | null;
}

/** virDomainState, in enum order (the names are also those of <domstatus state=…>). */
export const LIBVIRT_STATES: readonly DomainState[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];

// The reasons' names as libvirt writes them in status XML (virDomain*ReasonTypeToString).
const REASONS: Partial<Record<DomainState, readonly string[]>> = {
  running: [
    'unknown',
    'booted',
    'migrated',
    'restored',
    'from snapshot',
    'unpaused',
    'migration canceled',
    'save canceled',
    'wakeup',
    'crashed',
    'post-copy',
    'post-copy failed',
  ],
  paused: [
    'unknown',
    'user',
    'migration',
    'save',
    'dump',
    'ioerror',
    'watchdog',
    'from snapshot',
    'shutdown',
    'snapshot',
    'panicked',
    'starting up',
    'post-copy',
    'post-copy failed',
  ],
  shutoff: [
    'unknown',
    'shutdown',
    'destroyed',
    'crashed',
    'migrated',
    'saved',
    'failed',
    'from snapshot',
    'daemon',
  ],
};

/** Parses `Domain: 'NAME'` blocks with `state.state=N` / `state.reason=N` lines. */
export function parseDomstats(output: string): Map<string, DomainStateInfo> {
  const result = new Map<string, DomainStateInfo>();
  let name: string | null = null;
  let stateNumber: number | null = null;
  let reasonNumber: number | null = null;
  const flush = (): void => {
    if (name === null) return;
    const state = stateNumber === null ? 'unknown' : (LIBVIRT_STATES[stateNumber] ?? 'unknown');
    const reason = reasonNumber === null ? null : (REASONS[state]?.[reasonNumber] ?? null);
    result.set(name, { state, reason });
  };
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const domain = /^Domain: '(.*)'$/.exec(line);
    if (domain) {
      flush();
      name = domain[1]!;
      stateNumber = reasonNumber = null;
      continue;
    }
    const value = /^state\.(state|reason)=(\d+)$/.exec(line);
    if (value) {
      if (value[1] === 'state') stateNumber = Number(value[2]);
      else reasonNumber = Number(value[2]);
    }
  }
  flush();
  return result;
}
