// Thumbnails, pure parts: PPM reading, scaling, PNG encoding, the serial tail, and the cache's
// rules (one capture per VM per interval, shared captures, bounded concurrency, nothing cached
// from a bad capture).
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import {
  createScreenCapturer,
  createThumbnailService,
  decodeCapture,
  downscale,
  encodePng,
  parsePpm,
  PASS_THROUGH_BYTES,
  passesThrough,
  serialTailLines,
  toThumbnail,
} from '../../../src/control/thumbnails/index.js';
import { QmpCommandError } from '../../../src/control/qmp.js';
import type { VirshRunner } from '../../../src/discovery/virsh.js';
import type { Vm } from '../../../src/discovery/types.js';
import { isVwcError } from '../../../src/errors/index.js';

function ppm(width: number, height: number, fill: (x: number, y: number) => number, header?: string): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) px.fill(fill(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return Buffer.concat([Buffer.from(header ?? `P6\n${width} ${height}\n255\n`), px]);
}

const failsWith = (f: () => unknown, pattern: RegExp): void => {
  let caught: unknown = null;
  try {
    f();
  } catch (error) {
    caught = error;
  }
  expect(isVwcError(caught, 'VWC_ERR_THUMBNAIL_FAILED')).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
};

describe('parsePpm', () => {
  it('reads QEMU-style P6 and a header with comments', () => {
    const image = parsePpm(ppm(4, 2, (x) => x * 10));
    expect([image.width, image.height, image.rgb.length]).toEqual([4, 2, 24]);
    expect([...image.rgb.subarray(0, 6)]).toEqual([0, 0, 0, 10, 10, 10]);
    const commented = parsePpm(ppm(2, 1, () => 7, 'P6 # made by hand\n2 1\n# max\n255 '));
    expect([...commented.rgb]).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('scales 16-bit samples to 8 bits', () => {
    const data = Buffer.concat([Buffer.from('P6 1 1 65535\n'), Buffer.from([0xff, 0xff, 0, 0, 0x80, 0x00])]);
    expect([...parsePpm(data).rgb]).toEqual([255, 0, 128]);
  });

  it('refuses other formats, bad headers and short files with a typed error', () => {
    failsWith(() => parsePpm(Buffer.from('P3 1 1 255\n0 0 0')), /no P6 magic/);
    failsWith(() => parsePpm(Buffer.from([0x89, 0x50]).subarray(0, 1)), /no P6 magic/);
    failsWith(() => parsePpm(Buffer.from('P6 12 ')), /header cut short/);
    failsWith(() => parsePpm(Buffer.from('P6 x 1 255\n')), /not a number/);
    failsWith(() => parsePpm(Buffer.from('P6 0 1 255\n')), /out of range/);
    failsWith(() => parsePpm(Buffer.from('P6 99999 1 255\n')), /out of range/);
    failsWith(() => parsePpm(ppm(4, 4, () => 1).subarray(0, 30)), /truncated/);
  });
});

describe('conversion', () => {
  it('averages boxes when shrinking and keeps the proportions', () => {
    // Left half white, right half black: the middle column of the result is grey.
    const image = parsePpm(ppm(8, 4, (x) => (x < 4 ? 255 : 0)));
    const small = downscale(image, 2);
    expect([small.width, small.height]).toEqual([2, 1]);
    expect([...small.rgb]).toEqual([255, 255, 255, 0, 0, 0]);
    expect(downscale(image, 3).rgb[3]).toBeGreaterThan(0);
    expect(downscale(image, 100)).toBe(image);
  });

  it('makes a PNG of the thumbnail width from a PPM or a PNG capture', () => {
    const png = toThumbnail(
      ppm(640, 480, (x, y) => (x + y) % 256),
      320,
    );
    const read = pngjs.PNG.sync.read(png);
    expect([read.width, read.height]).toEqual([320, 240]);
    const again = decodeCapture(png);
    expect([again.width, again.height]).toEqual([320, 240]);
    failsWith(() => toThumbnail(Buffer.concat([png.subarray(0, 8), Buffer.from('junk')]), 320), /PNG/);
  });
});

describe('PNG captures (QMP screendump format=png)', () => {
  it('sends a small PNG as it is, and scales down a large or unreadable one', () => {
    const small = encodePng(parsePpm(ppm(720, 400, (x, y) => (((x >> 3) + (y >> 4)) % 2 ? 200 : 0))));
    expect(small.length).toBeLessThanOrEqual(PASS_THROUGH_BYTES);
    expect(passesThrough(small)).toBe(true);
    expect(toThumbnail(small, 320)).toBe(small);
    // Noise does not compress: over the limit, so decoded and scaled to the width.
    const noisy = encodePng(parsePpm(ppm(400, 300, (x, y) => (x * 7919 + y * 104729) % 251)));
    expect(noisy.length).toBeGreaterThan(PASS_THROUGH_BYTES);
    expect(pngjs.PNG.sync.read(toThumbnail(noisy, 320)).width).toBe(320);
    // The PNG signature without a proper IHDR is not passed on.
    const junk = Buffer.concat([small.subarray(0, 8), Buffer.alloc(40)]);
    expect(passesThrough(junk)).toBe(false);
    failsWith(() => toThumbnail(junk, 320), /PNG/);
  });

  const vm = { name: 'web1', source: 'socket-folder', qmp: '/run/x/web1.qmp' } as unknown as Vm;
  const virsh = {} as VirshRunner;

  it('asks QEMU for a PNG and returns the file it wrote', async () => {
    const asked: Record<string, unknown>[] = [];
    const capturer = createScreenCapturer({
      virsh,
      qmp: (_socket, _command, args) => {
        asked.push(args!);
        writeFileSync(String(args!.filename), 'png bytes');
        return Promise.resolve({});
      },
    });
    try {
      expect((await capturer.capture(vm)).toString()).toBe('png bytes');
      expect(asked).toEqual([{ filename: expect.any(String) as string, format: 'png' }]);
    } finally {
      capturer.stop();
    }
  });

  it("falls back to PPM for a QEMU that refuses 'format' (before 7.1), and remembers it", async () => {
    const asked: Record<string, unknown>[] = [];
    const capturer = createScreenCapturer({
      virsh,
      qmp: (_socket, _command, args) => {
        asked.push(args!);
        if ('format' in args!)
          return Promise.reject(new QmpCommandError('GenericError', "Parameter 'format' is unexpected"));
        writeFileSync(String(args!.filename), 'ppm bytes');
        return Promise.resolve({});
      },
    });
    try {
      expect((await capturer.capture(vm)).toString()).toBe('ppm bytes');
      expect((await capturer.capture(vm)).toString()).toBe('ppm bytes');
      expect(asked.map((a) => a.format ?? 'ppm')).toEqual(['png', 'ppm', 'ppm']);
    } finally {
      capturer.stop();
    }
  });

  it('does not take another screendump error for an old QEMU', async () => {
    let calls = 0;
    const capturer = createScreenCapturer({
      virsh,
      qmp: () => {
        calls += 1;
        return Promise.reject(new QmpCommandError('GenericError', 'no surface'));
      },
    });
    try {
      await expect(capturer.capture(vm)).rejects.toMatchObject({
        code: 'VWC_ERR_THUMBNAIL_FAILED',
        message: 'no surface',
      });
      expect(calls).toBe(1);
    } finally {
      capturer.stop();
    }
  });
});

describe('serialTailLines', () => {
  it('keeps the last lines as plain text', () => {
    const bytes = Buffer.from('boot\r\n\x1b[1;32mgreen\x1b[0m\r\nprogress 10%\rprogress 100%\r\n\x07\n/ # ');
    expect(serialTailLines(bytes)).toEqual(['boot', 'green', 'progress 100%', '/ #']);
    const many = Buffer.from(Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n'));
    expect(serialTailLines(many, 3)).toEqual(['line 27', 'line 28', 'line 29']);
    expect(serialTailLines(Buffer.from('x'.repeat(300)), 12, 80)[0]).toHaveLength(80);
  });
});

describe('createThumbnailService', () => {
  const vm = (name: string): Vm => ({ name }) as Vm;
  const screen = (value: number): Buffer => ppm(4, 4, () => value);

  function setup(maxConcurrent = 2) {
    let clock = 0;
    const calls: string[] = [];
    const gates: (() => void)[] = [];
    let value = 1;
    let gated = false;
    let raw: (() => Buffer) | null = null;
    const results: string[] = [];
    const service = createThumbnailService({
      capture: async (v) => {
        calls.push(v.name);
        if (gated) await new Promise<void>((resolve) => gates.push(resolve));
        return raw ? raw() : screen(value);
      },
      convert: (data) => toThumbnail(data, 2),
      intervalMs: 10_000,
      maxConcurrent,
      now: () => clock,
      onCapture: (r) => results.push(r),
    });
    return {
      service,
      calls,
      results,
      gates,
      tick: (ms: number) => (clock += ms),
      setValue: (v: number) => (value = v),
      gate: (on: boolean) => (gated = on),
      setRaw: (f: (() => Buffer) | null) => (raw = f),
    };
  }

  it('captures at most once per interval and keeps the ETag of an unchanged screen', async () => {
    const t = setup();
    const first = await t.service.get(vm('a'));
    expect(first.png.subarray(1, 4).toString()).toBe('PNG');
    expect(await t.service.get(vm('a'))).toBe(first);
    t.tick(9_999);
    await t.service.get(vm('a'));
    expect(t.calls).toEqual(['a']);
    t.tick(1);
    const same = await t.service.get(vm('a'));
    expect(same.etag).toBe(first.etag);
    t.tick(10_000);
    t.setValue(200);
    const changed = await t.service.get(vm('a'));
    expect(changed.etag).not.toBe(first.etag);
    expect(t.calls).toEqual(['a', 'a', 'a']);
    expect(t.results).toEqual(['ok', 'ok', 'ok']);
  });

  it('shares one capture among concurrent requests and runs at most maxConcurrent', async () => {
    const t = setup(1);
    t.gate(true);
    const a = [t.service.get(vm('a')), t.service.get(vm('a')), t.service.get(vm('a'))];
    const b = t.service.get(vm('b'));
    await new Promise((r) => setImmediate(r));
    expect(t.calls).toEqual(['a']); // b waits for the one slot
    t.gates.shift()!();
    const [a1, a2, a3] = await Promise.all(a);
    expect(a1).toBe(a2);
    expect(a2).toBe(a3);
    await new Promise((r) => setImmediate(r));
    expect(t.calls).toEqual(['a', 'b']);
    t.gates.shift()!();
    await b;
  });

  it('caches nothing from a bad capture and does not retry it within the interval', async () => {
    const t = setup();
    await t.service.get(vm('a'));
    t.tick(10_000);
    t.setRaw(() => Buffer.from('P6 4 4 255\nshort'));
    await expect(t.service.get(vm('a'))).rejects.toMatchObject({ code: 'VWC_ERR_THUMBNAIL_FAILED' });
    await expect(t.service.get(vm('a'))).rejects.toMatchObject({ code: 'VWC_ERR_THUMBNAIL_FAILED' });
    expect(t.calls).toHaveLength(2);
    t.tick(10_000);
    t.setRaw(null);
    expect((await t.service.get(vm('a'))).etag).toMatch(/^"/);
    expect(t.results).toEqual(['ok', 'error', 'ok']);
  });

  it('forgets a VM: the next request captures again', async () => {
    const t = setup();
    await t.service.get(vm('a'));
    t.service.forget('a');
    expect(t.service.size).toBe(0);
    await t.service.get(vm('a'));
    expect(t.calls).toEqual(['a', 'a']);
  });
});
