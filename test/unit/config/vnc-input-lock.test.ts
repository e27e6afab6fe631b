// vnc.inputLock and vnc.inputLockDomains: parsed, refused with a clear message, resolved per domain.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vncInputLock } from '../../../src/app/vnc-input-lock.js';
import { loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-config-vnc-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function withVnc(vnc: unknown): ReturnType<typeof loadConfig> {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ usersFile: '/tmp/u', vnc }));
  return loadConfig({ env: {}, argv: ['--config', file] });
}

describe('vnc.inputLock', () => {
  it('defaults to exclusive for every domain', () => {
    const config = withVnc({});
    expect(config.vnc.inputLock).toBe('exclusive');
    expect(vncInputLock(config.vnc)('web-1')).toBe('exclusive');
  });

  it('takes per-domain globs, the first match winning, over the global mode', () => {
    const config = withVnc({
      inputLock: 'shared',
      inputLockDomains: { 'prod-*': 'exclusive', 'prod-lab?': 'shared' },
    });
    const mode = vncInputLock(config.vnc);
    expect(mode('prod-db')).toBe('exclusive');
    expect(mode('prod-lab1')).toBe('exclusive');
    expect(mode('lab-1')).toBe('shared');
  });

  it('refuses an unknown mode, naming the setting', () => {
    expect(() => withVnc({ inputLock: 'locked' })).toThrow(
      /vnc\.inputLock: expected one of exclusive, shared/,
    );
    expect(() => withVnc({ inputLockDomains: { 'a*': 'both' } })).toThrow(/vnc\.inputLockDomains\["a\*"\]/);
    expect(() => withVnc({ inputLockDomains: ['a*'] })).toThrow(/vnc\.inputLockDomains: expected an object/);
  });
});
