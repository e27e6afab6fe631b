// The one helper event streams subscribe with: every handler of the map is added, and the
// function it returns removes exactly those (the emitter is left as it was found).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { subscribe } from '../../../src/http/subscribe.js';

interface Events {
  a: [n: number];
  b: [text: string, n: number];
  c: [];
}

describe('subscribe', () => {
  it('adds each handler of the map and removes them all, leaving other listeners alone', () => {
    const emitter = new EventEmitter<Events>();
    const other = (): void => undefined;
    emitter.on('a', other);
    const seen: string[] = [];
    const unsubscribe = subscribe<Events>(emitter, {
      a: (n) => seen.push(`a${n}`),
      b: (text, n) => seen.push(`b${text}${n}`),
    });
    emitter.emit('a', 1);
    emitter.emit('b', 'x', 2);
    emitter.emit('c');
    expect(seen).toEqual(['a1', 'bx2']);
    expect([emitter.listenerCount('a'), emitter.listenerCount('b'), emitter.listenerCount('c')]).toEqual([
      2, 1, 0,
    ]);
    unsubscribe();
    unsubscribe();
    emitter.emit('a', 3);
    expect(seen).toEqual(['a1', 'bx2']);
    expect([emitter.listenerCount('a'), emitter.listenerCount('b')]).toEqual([1, 0]);
    expect(emitter.listeners('a')).toEqual([other]);
  });
});
