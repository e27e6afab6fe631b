// URL building and parsing of the pages: untrusted names survive one encode/decode round trip.
import { describe, expect, it } from 'vitest';
import {
  consolePath,
  parseConsolePath,
  serialSocketPath,
  spiceSocketPath,
  vncSocketPath,
  wsUrl,
} from '../../../web/lib/paths.js';

describe('console paths', () => {
  const names = ['web-1', '<img src=x onerror=alert(1)>', 'a/b c%20d', 'ünï 🖥', '..', '?x=1#y'];

  it.each(names)('round-trips %j through every console URL', (name) => {
    expect(parseConsolePath(consolePath(name))).toEqual({ domain: name, ref: null });
    expect(parseConsolePath(consolePath(name, { kind: 'vnc' }))).toEqual({
      domain: name,
      ref: { kind: 'vnc' },
    });
    expect(parseConsolePath(consolePath(name, { kind: 'spice' }))).toEqual({
      domain: name,
      ref: { kind: 'spice' },
    });
    expect(parseConsolePath(consolePath(name, { kind: 'serial', index: 3 }))).toEqual({
      domain: name,
      ref: { kind: 'serial', index: 3 },
    });
  });

  it('keeps a hostile name in one path segment', () => {
    expect(consolePath('a/b')).toBe('/console/a%2Fb');
    expect(vncSocketPath('<x>')).toBe('/ws/vnc/%3Cx%3E');
    expect(spiceSocketPath('<x>')).toBe('/ws/spice/%3Cx%3E');
    expect(serialSocketPath('a b', 1)).toBe('/ws/serial/a%20b/1');
  });

  it('rejects what is not a console address', () => {
    expect(parseConsolePath('/')).toBeNull();
    expect(parseConsolePath('/console/')).toBeNull();
    expect(parseConsolePath('/console/x/serial/')).toBeNull();
    expect(parseConsolePath('/console/x/rdp')).toBeNull();
    expect(parseConsolePath('/console/%E0%A4%A')).toBeNull();
  });

  it('builds same-origin WebSocket URLs for http and https', () => {
    expect(wsUrl({ protocol: 'http:', host: 'h:8080' }, '/ws/vnc/x', { ticket: 'abc' })).toBe(
      'ws://h:8080/ws/vnc/x?ticket=abc',
    );
    expect(wsUrl({ protocol: 'https:', host: 'h' }, '/ws/serial/x/0', { from: 12, ticket: 't' })).toBe(
      'wss://h/ws/serial/x/0?from=12&ticket=t',
    );
  });
});
