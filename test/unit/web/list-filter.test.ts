// The list page's pure parts: filter by name or title, sort by name or state, state counts,
// header clicks and row moves.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VIEW,
  matchesFilter,
  moveRow,
  nextSort,
  stateCounts,
  visibleDomains,
} from '../../../web/lib/list-filter.js';

const items = [
  { name: 'web-10', title: 'Front end', state: 'running' },
  { name: 'web-2', title: null, state: 'shutoff' },
  { name: 'db-1', title: 'Postgres primary', state: 'running' },
  { name: 'cache', title: 'Redis', state: 'paused' },
  { name: 'build', title: null, state: 'shutoff' },
];
const names = (list: readonly { name: string }[]): string[] => list.map((i) => i.name);

describe('list filter', () => {
  it('matches a case-insensitive substring of the name or the title', () => {
    expect(matchesFilter(items[0]!, 'WEB')).toBe(true);
    expect(matchesFilter(items[2]!, 'postgres')).toBe(true);
    expect(matchesFilter(items[1]!, 'postgres')).toBe(false);
    expect(matchesFilter(items[1]!, '  ')).toBe(true);
    // Untrusted text is matched as text, never as a pattern.
    expect(matchesFilter({ name: 'a.b', title: null }, '.')).toBe(true);
    expect(matchesFilter({ name: 'ab', title: null }, '.*')).toBe(false);
  });

  it('sorts by name with numbers in order, both ways', () => {
    expect(names(visibleDomains(items, DEFAULT_VIEW))).toEqual(['build', 'cache', 'db-1', 'web-2', 'web-10']);
    expect(names(visibleDomains(items, { ...DEFAULT_VIEW, direction: 'descending' }))).toEqual([
      'web-10',
      'web-2',
      'db-1',
      'cache',
      'build',
    ]);
  });

  it('sorts by state (running, paused, stopped), ties by name', () => {
    expect(names(visibleDomains(items, { ...DEFAULT_VIEW, sort: 'state' }))).toEqual([
      'db-1',
      'web-10',
      'cache',
      'build',
      'web-2',
    ]);
    expect(names(visibleDomains(items, { filter: 'web', sort: 'state', direction: 'descending' }))).toEqual([
      'web-2',
      'web-10',
    ]);
  });

  it('counts the states present', () => {
    expect(stateCounts(items)).toBe('2 running · 1 paused · 2 shut off');
    expect(stateCounts([])).toBe('');
    expect(stateCounts([{ state: 'crashed' }, { state: 'running' }])).toBe('1 running · 1 crashed');
  });

  it('flips the direction on the same header, starts ascending on another', () => {
    const byStateUp = nextSort(DEFAULT_VIEW, 'state');
    expect(byStateUp).toMatchObject({ sort: 'state', direction: 'ascending' });
    expect(nextSort(byStateUp, 'state')).toMatchObject({ sort: 'state', direction: 'descending' });
  });

  it('moves between rows within bounds', () => {
    expect(moveRow(-1, 1, 3)).toBe(0);
    expect(moveRow(-1, -1, 3)).toBe(2);
    expect(moveRow(2, 1, 3)).toBe(2);
    expect(moveRow(0, -1, 3)).toBe(0);
    expect(moveRow(1, 1, 3)).toBe(2);
    expect(moveRow(0, 1, 0)).toBe(-1);
  });
});
