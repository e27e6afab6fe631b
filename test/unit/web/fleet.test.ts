// The fleet entry's pure page parts: row keys across hosts, console paths with the host, the
// WebSocket URL from a ticket answer, and the list's host filter and host sort.
import { afterEach, describe, expect, it } from 'vitest';
import { fleetConsolePath, hostSocketUrl, rowKey, ticketConsole } from '../../../web/lib/fleet.js';
import { DEFAULT_VIEW, visibleDomains } from '../../../web/lib/list-filter.js';
import { consolePath, domainApiPath, parseConsolePath, useConsoleHost } from '../../../web/lib/paths.js';

describe('fleet page helpers', () => {
  afterEach(() => {
    useConsoleHost(null);
  });

  it('keys rows by host and name, and a standalone row by its name', () => {
    expect(rowKey({ name: 'web-1' })).toBe('web-1');
    expect(rowKey({ name: 'web-1', host: 'h1' })).not.toBe(rowKey({ name: 'web-1', host: 'h2' }));
  });

  it('builds /console/<host>/<domain> with each part one encoded segment', () => {
    expect(fleetConsolePath('h1', 'a/b c')).toBe('/console/h1/a%2Fb%20c');
    expect(fleetConsolePath('h1', 'web', { kind: 'serial', index: 2 })).toBe('/console/h1/web/serial/2');
    expect(fleetConsolePath('h1', 'web', { kind: 'vnc' })).toBe('/console/h1/web/vnc');
  });

  it('points console paths and the domain API at the host once one is set', () => {
    useConsoleHost('h 1');
    expect(consolePath('web', { kind: 'vnc' })).toBe('/console/h%201/web/vnc');
    expect(domainApiPath('web')).toBe('/api/fleet/hosts/h%201/domains/web');
    expect(parseConsolePath('/console/h%201/vnc')).toEqual({ domain: 'vnc', ref: null });
    expect(parseConsolePath('/console/h%201/web/serial/3')).toEqual({
      domain: 'web',
      ref: { kind: 'serial', index: 3 },
    });
    expect(parseConsolePath('/console/other/web')).toBeNull();
    useConsoleHost(null);
    expect(parseConsolePath('/console/h%201/vnc')).toEqual({ domain: 'h 1', ref: { kind: 'vnc' } });
  });

  it('names the ticket console kinds as the entry API does', () => {
    expect(ticketConsole({ kind: 'vnc' })).toBe('vnc');
    expect(ticketConsole({ kind: 'vnc-control' })).toBe('vnc-control');
    expect(ticketConsole({ kind: 'serial', index: 1 })).toBe('serial/1');
  });

  it('opens a relative ticket URL on the page origin, ws or wss after the page', () => {
    const page = { protocol: 'https:', host: 'entry.example' };
    expect(hostSocketUrl('/h/h1/ws/vnc/web?ticket=t', page, { window: 'w1' })).toBe(
      'wss://entry.example/h/h1/ws/vnc/web?ticket=t&window=w1',
    );
    expect(hostSocketUrl('ws://h1:8080/ws/serial/web/0?ticket=t', page, { from: 5 })).toBe(
      'ws://h1:8080/ws/serial/web/0?ticket=t&from=5',
    );
    expect(
      hostSocketUrl('https://h1.example/ws/vnc/web?ticket=t', { protocol: 'http:', host: 'e' }, {}),
    ).toBe('wss://h1.example/ws/vnc/web?ticket=t');
  });

  it('filters rows by host and sorts by host, then name', () => {
    const items = [
      { name: 'b', title: null, state: 'running', host: 'h10' },
      { name: 'a', title: null, state: 'running', host: 'h2' },
      { name: 'c', title: null, state: 'running', host: 'h2' },
    ];
    expect(visibleDomains(items, { ...DEFAULT_VIEW, host: 'h2' }).map((i) => i.name)).toEqual(['a', 'c']);
    expect(
      visibleDomains(items, { ...DEFAULT_VIEW, sort: 'host' }).map((i) => `${i.host}/${i.name}`),
    ).toEqual(['h2/a', 'h2/c', 'h10/b']);
  });
});
