// The list page's controls around its table: a filter box above it, clickable Name and State
// headers (aria-sort), the state counts, and the keyboard: `/` focuses the filter, ArrowDown/j
// and ArrowUp/k move between rows, Enter opens the row's console (the focused link). The page
// calls view() for the rows to show and keepFocus() around its re-render, so live updates keep
// the filter's text and the focused row.
import { h } from './dom.js';
import {
  DEFAULT_VIEW,
  filterDomains,
  moveRow,
  nextSort,
  sortDomains,
  stateCounts,
  type ListView,
  type SortKey,
} from './list-filter.js';
import type { DomainItem } from './types.js';

export interface ListControls {
  /** The domains to show, filtered and sorted; also refreshes the counts. */
  view<T extends DomainItem>(items: readonly T[]): T[];
  /** Runs `render` (which replaces the rows) and puts the focus back on the same domain's row. */
  keepFocus(render: () => void): void;
  /** The bar above the table (filter, counts), for more controls (the fleet's host filter). */
  readonly tools: HTMLElement;
  /** Changes part of the view (the fleet's host filter) and re-renders. */
  update(patch: Partial<ListView>): void;
  /** Makes a header added later (the fleet's Host) a sort button too. */
  sortable(th: HTMLTableCellElement): void;
}

const SORTABLE: Readonly<Record<string, SortKey>> = { Name: 'name', State: 'state', Host: 'host' };

function typing(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

export function createListControls(table: HTMLTableElement, onChange: () => void): ListControls {
  let view: ListView = DEFAULT_VIEW;
  const filter = h('input', {
    id: 'filter',
    type: 'search',
    class: 'list-filter',
    placeholder: 'Name or title',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-keyshortcuts': '/',
  });
  const counts = h('span', { id: 'state-counts', class: 'state-counts', 'aria-live': 'polite' });
  const tools = h(
    'div',
    { class: 'list-tools' },
    h('label', { for: 'filter' }, 'Filter '),
    filter,
    ' ',
    counts,
  );
  table.before(tools);
  filter.addEventListener('input', () => {
    view = { ...view, filter: filter.value };
    onChange();
  });

  // Headers become buttons; the header cell carries aria-sort for screen readers.
  const headers = new Map<SortKey, HTMLTableCellElement>();
  const sortable = (th: HTMLTableCellElement): void => {
    const key = SORTABLE[th.textContent.trim()];
    if (key === undefined) return;
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, th.textContent);
    button.addEventListener('click', () => {
      view = nextSort(view, key);
      onChange();
    });
    th.replaceChildren(button);
    headers.set(key, th);
  };
  for (const th of table.querySelectorAll<HTMLTableCellElement>('thead th')) sortable(th);
  const showSort = (): void => {
    for (const [key, th] of headers) {
      if (key === view.sort) th.setAttribute('aria-sort', view.direction);
      else th.removeAttribute('aria-sort');
    }
  };
  showSort();

  const rowLinks = (): HTMLAnchorElement[] => [
    ...table.querySelectorAll<HTMLAnchorElement>('tbody tr a.domain-name'),
  ];
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === '/' && !typing(event.target)) {
      event.preventDefault();
      filter.focus();
      filter.select();
      return;
    }
    if (event.target === filter && event.key === 'Escape') {
      filter.value = '';
      filter.dispatchEvent(new Event('input'));
      return;
    }
    const step = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 }[event.key];
    if (step === undefined) return;
    // In the filter only the arrows move (j and k are letters to type).
    if (typing(event.target) && !(event.target === filter && event.key.startsWith('Arrow'))) return;
    const links = rowLinks();
    const current = links.findIndex((a) => a.closest('tr')?.contains(document.activeElement) === true);
    const next = moveRow(current, step, links.length);
    if (next < 0) return;
    event.preventDefault();
    links[next]!.focus();
  });

  // Typing in the filter re-filters the same rows: their sorted order is kept (sorting 10,000
  // fleet rows is most of a keystroke's time); any changed row or sort key sorts again.
  let last: { items: readonly DomainItem[]; sort: string; sorted: readonly DomainItem[] } | null = null;
  const sorted = <T extends DomainItem>(items: readonly T[]): T[] => {
    const sort = `${view.sort} ${view.direction}`;
    const same =
      last !== null &&
      last.sort === sort &&
      last.items.length === items.length &&
      items.every((item, i) => item === last!.items[i]);
    if (!same) last = { items, sort, sorted: sortDomains(items, view) };
    return last!.sorted as T[];
  };

  return {
    tools,
    sortable(th) {
      sortable(th);
      showSort();
    },
    update(patch) {
      view = { ...view, ...patch };
      onChange();
    },
    view(items) {
      showSort();
      const shown = filterDomains(sorted(items), view);
      const all = stateCounts(items);
      counts.textContent =
        shown.length === items.length ? all : `${shown.length} of ${items.length} shown · ${all}`;
      return shown;
    },
    keepFocus(render) {
      const focused = document.activeElement?.closest('tbody tr')?.getAttribute('data-name') ?? null;
      render();
      if (focused === null) return;
      for (const link of rowLinks()) {
        if (link.closest('tr')?.getAttribute('data-name') === focused) link.focus();
      }
    },
  };
}
