import { describe, expect, it } from 'vitest';
import { gapMarker, parseClientMessage } from '../../../src/bridge/serial/index.js';
import { chunkInput } from '../../../src/bridge/upstream/index.js';

describe('serial protocol', () => {
  it('parses the two control messages and nothing else', () => {
    expect(parseClientMessage('{"type":"take-lock"}')).toEqual({ type: 'take-lock' });
    expect(parseClientMessage('{"type":"release-lock","x":1}')).toEqual({ type: 'release-lock' });
    expect(parseClientMessage('{"type":"resize"}')).toBeUndefined();
    expect(parseClientMessage('not json')).toBeUndefined();
    expect(parseClientMessage('null')).toBeUndefined();
  });

  it('never makes a marker longer than the gap it stands in for', () => {
    for (const skipped of [0, 1, 2, 3, 10, 30, 60, 100, 1_000_000]) {
      const marker = gapMarker(skipped, 'slow-client');
      expect(marker.length).toBeLessThanOrEqual(skipped);
    }
    expect(gapMarker(1_000_000, 'slow-client').toString()).toBe(
      '\r\n[virt-webconsole: 1000000 bytes skipped, client fell behind]\r\n',
    );
    expect(gapMarker(2, 'out-of-history').length).toBe(0);
  });

  it('chunks QEMU websocket input into 16-byte frames', () => {
    const frames = chunkInput(Buffer.from('a'.repeat(40)));
    expect(frames.map((f) => f.length)).toEqual([16, 16, 8]);
    expect(chunkInput(Buffer.alloc(0))).toEqual([]);
  });
});
