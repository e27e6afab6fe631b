import { describe, expect, it } from 'vitest';
import type { Vm } from '../../../src/discovery/types.js';
import { NoticeWriter, formatVmList, printable } from '../../../src/ssh/index.js';

describe('NoticeWriter', () => {
  it('says who you are, the lock and presence, then only what changes', () => {
    const notices = new NoticeWriter('web1');
    const hello = notices.format({
      type: 'hello',
      clientId: 'c2',
      user: 'alice',
      role: 'operator',
      offset: 0,
      history: { start: 0, end: 0 },
      vm: { state: 'running', boot: 1 },
      lock: { id: 'c1', user: 'bob' },
      clients: [
        { id: 'c1', user: 'bob', role: 'operator' },
        { id: 'c2', user: 'alice', role: 'operator' },
      ],
    });
    expect(hello).toContain('you are alice (operator)');
    expect(hello).toContain('held by bob');
    expect(hello).toContain('2 on this console: bob, alice (you)');
    expect(
      notices.format({
        type: 'presence',
        clients: [
          { id: 'c1', user: 'bob', role: 'operator' },
          { id: 'c2', user: 'alice', role: 'operator' },
        ],
        count: 2,
      }),
    ).toBeNull();
    expect(notices.format({ type: 'lock', holder: { id: 'c2', user: 'alice' } })).toContain(
      'write lock: yours',
    );
    expect(notices.format({ type: 'gap', from: 0, to: 10, reason: 'slow-client', marker: 3 })).toContain(
      '10 bytes skipped',
    );
  });
});

describe('VM list', () => {
  it('escapes control characters in names and titles', () => {
    expect(printable('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    const vm = {
      name: 'web\u0007',
      state: 'running',
      title: 'T\u009b',
      serials: [{ index: 0 }, { index: 1 }],
    } as unknown as Vm;
    const text = formatVmList([vm], 'usage');
    expect(text).toContain('web\\x07/serial1');
    expect(text).toContain('T\\x9b');
    expect(text.includes('\u0007') || text.includes('\u009b')).toBe(false);
  });
});
