// The `sessions` section: defaults, values from the file, and messages that name the setting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-config-sessions-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(sessions: unknown): ReturnType<typeof loadConfig> {
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ usersFile: '/tmp/u', sessions }));
  return loadConfig({ argv: ['--config', configFile], env: {} });
}

describe('sessions config', () => {
  it('defaults to 30 idle minutes, 12 hours in all, 16 per user', () => {
    expect(loadConfig({ env: { VWC_USERS_FILE: '/tmp/u' }, argv: [] }).sessions).toEqual({
      idleMinutes: 30,
      absoluteHours: 12,
      maxPerUser: 16,
    });
  });

  it('takes values from the file', () => {
    expect(load({ idleMinutes: 5, absoluteHours: 1, maxPerUser: 2 }).sessions).toEqual({
      idleMinutes: 5,
      absoluteHours: 1,
      maxPerUser: 2,
    });
  });

  it('refuses out-of-range values and unknown keys, naming the setting', () => {
    expect(() => load({ idleMinutes: 0 })).toThrow(/sessions\.idleMinutes/);
    expect(() => load({ absoluteHours: 'ten' })).toThrow(/sessions\.absoluteHours/);
    expect(() => load({ maxPerUser: 1.5 })).toThrow(/sessions\.maxPerUser/);
    expect(() => load({ idleSeconds: 5 })).toThrow(/idleSeconds/);
  });
});
