// The thumbnails section: defaults, and messages that name the key and the allowed range.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-config-thumbs-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function withFile(content: unknown): ReturnType<typeof loadConfig> {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(content));
  return loadConfig({ argv: ['--config', file], env: {} });
}

describe('thumbnails config', () => {
  it('defaults to every 10 s, 2 captures at once, 320 pixels wide', () => {
    expect(withFile({}).thumbnails).toEqual({ intervalSeconds: 10, maxConcurrent: 2, width: 320 });
    expect(withFile({ thumbnails: { intervalSeconds: 30, maxConcurrent: 4 } }).thumbnails).toEqual({
      intervalSeconds: 30,
      maxConcurrent: 4,
      width: 320,
    });
  });

  it('refuses values out of range and unknown keys, naming the key', () => {
    expect(() => withFile({ thumbnails: { intervalSeconds: 1 } })).toThrow(
      /thumbnails\.intervalSeconds.*expected a whole number from 2 to 3600, got 1/,
    );
    expect(() => withFile({ thumbnails: { maxConcurrent: 0 } })).toThrow(
      /thumbnails\.maxConcurrent.*from 1 to 64/,
    );
    expect(() => withFile({ thumbnails: { width: 'wide' } })).toThrow(/thumbnails\.width/);
    expect(() => withFile({ thumbnails: { interval: 5 } })).toThrow(/thumbnails.*interval/);
  });
});
