// The vncRecording section (and serialLog, which shares its size and age rules): defaults, the
// domains globs compiled for the recorder, and messages that name the key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vncRecordingOptions } from '../../../src/app/vnc-recording.js';
import { loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-config-rec-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function withFile(content: unknown): ReturnType<typeof loadConfig> {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(content));
  return loadConfig({ argv: ['--config', file], env: {} });
}

const MiB = 1024 * 1024;

describe('vncRecording config', () => {
  it('defaults: on, no domain recorded by itself, 256 MiB a recording, 4 GiB in all, 30 days, operators read', () => {
    expect(withFile({}).vncRecording).toEqual({
      enabled: true,
      domains: [],
      maxBytesPerRecording: 256 * MiB,
      maxTotalBytes: 4096 * MiB,
      maxAgeDays: 30,
      readableBy: 'operator',
    });
    expect(withFile({}).serialLog).toMatchObject({ maxBytesPerPort: 64 * MiB, maxTotalBytes: 1024 * MiB });
  });

  it('compiles the domain globs for the recorder', () => {
    const config = withFile({
      vncRecording: { domains: ['web-*', 'db?'], maxAgeDays: 2, readableBy: 'viewer' },
    });
    expect(config.vncRecording.readableBy).toBe('viewer');
    const options = vncRecordingOptions(config.vncRecording);
    expect(options.maxAgeMs).toBe(2 * 24 * 3600 * 1000);
    expect(['web-1', 'db1', 'db12', 'mail'].map((name) => options.autoRecord?.(name))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('refuses bad values and unknown keys, naming the key', () => {
    expect(() => withFile({ vncRecording: { enabled: 'yes' } })).toThrow(/vncRecording\.enabled/);
    expect(() => withFile({ vncRecording: { maxBytesPerRecording: 1000 } })).toThrow(
      /vncRecording\.maxBytesPerRecording/,
    );
    expect(() =>
      withFile({ vncRecording: { maxBytesPerRecording: 512 * MiB, maxTotalBytes: 256 * MiB } }),
    ).toThrow(/vncRecording\.maxTotalBytes.*at least vncRecording\.maxBytesPerRecording/);
    expect(() => withFile({ vncRecording: { readableBy: 'everyone' } })).toThrow(/vncRecording\.readableBy/);
    expect(() => withFile({ vncRecording: { domains: [1] } })).toThrow(/vncRecording\.domains/);
    expect(() => withFile({ vncRecording: { fps: 5 } })).toThrow(/vncRecording.*fps/);
    expect(() => withFile({ serialLog: { maxBytesPerPort: 512 * MiB, maxTotalBytes: 256 * MiB } })).toThrow(
      /serialLog\.maxTotalBytes.*at least serialLog\.maxBytesPerPort/,
    );
  });
});
