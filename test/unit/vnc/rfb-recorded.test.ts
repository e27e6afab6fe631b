// The filter on a recorded real noVNC session (fixtures/rfb/record-novnc.ts: noVNC 1.7 in
// Chromium against the test guest's QEMU VNC server).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RfbClientFilter } from '../../../src/bridge/vnc/rfb-filter.js';
import { expectedOutput, isInput, readClientStream } from './rfb-oracle.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../fixtures/rfb/${name}`, import.meta.url));
const stream = readFileSync(fixture('novnc-qemu-session.bin'));
const meta = JSON.parse(readFileSync(fixture('novnc-qemu-session.json'), 'utf8')) as {
  messageLengths: number[];
};
const parsed = readClientStream(stream);

function filtered(viewOnly: boolean, pieces: readonly Buffer[]): { out: Buffer; filter: RfbClientFilter } {
  const filter = new RfbClientFilter({ viewOnly });
  const out: Buffer[] = [];
  for (const piece of pieces) filter.push(piece, out);
  return { out: Buffer.concat(out), filter };
}

describe('RfbClientFilter on a recorded noVNC session', () => {
  it('is a real session: keys, pointer, clipboard, update requests', () => {
    const types = new Set(parsed.messages.map((m) => m.type));
    for (const type of [2, 3, 5, 6, 255]) expect(types).toContain(type);
    expect(meta.messageLengths.reduce((a, b) => a + b, 0)).toBe(stream.length);
  });

  for (const viewOnly of [false, true]) {
    const role = viewOnly ? 'viewer' : 'operator';
    const expected = expectedOutput(parsed, viewOnly);

    it(`${role}: same output with noVNC's own message boundaries`, () => {
      const pieces: Buffer[] = [];
      let at = 0;
      for (const length of meta.messageLengths) {
        pieces.push(stream.subarray(at, at + length));
        at += length;
      }
      expect(filtered(viewOnly, pieces).out).toEqual(expected);
    });

    it(`${role}: same output cut at every byte boundary`, () => {
      for (let cut = 0; cut <= stream.length; cut++) {
        const { out } = filtered(viewOnly, [stream.subarray(0, cut), stream.subarray(cut)]);
        expect(out.equals(expected), `cut at ${cut}`).toBe(true);
      }
    });
  }

  it('viewer: drops exactly the input messages', () => {
    const { out, filter } = filtered(true, [stream]);
    const inputs = parsed.messages.filter(isInput);
    expect(inputs.length).toBeGreaterThan(10);
    expect(filter.messagesDropped).toBe(inputs.length);
    expect(readClientStream(out).messages.some(isInput)).toBe(false);
    expect(readClientStream(out).messages).toHaveLength(parsed.messages.length - inputs.length);
  });
});
