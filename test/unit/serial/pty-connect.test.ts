// The pty connector on a path that opens but is not a terminal: it fails (the link retries
// every second for as long as the VM runs), and must not leave its two descriptors open.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectSerial } from '../../../src/bridge/upstream/index.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('pty connector', () => {
  it('closes its descriptors when the path is not a tty', async () => {
    const handlers = { data: () => undefined, drain: () => undefined, closed: () => undefined };
    // Warm up (lazy descriptors of the runtime), then count.
    await connectSerial({ kind: 'pty', path: '/dev/null' }, handlers).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      await expect(connectSerial({ kind: 'pty', path: '/dev/null' }, handlers)).rejects.toThrow();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBeLessThan(before + 5);
  });
});
