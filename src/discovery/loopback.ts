// A listen address we must connect to: a wildcard (all interfaces) is reached on loopback.

const WILDCARDS_V4 = new Set(['0.0.0.0', '']);
const WILDCARDS_V6 = new Set(['::', '[::]', '::0']);

export function loopbackFor(address: string): string {
  if (WILDCARDS_V4.has(address)) return '127.0.0.1';
  if (WILDCARDS_V6.has(address)) return '::1';
  return address;
}
