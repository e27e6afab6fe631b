// A table body that holds only the rows in and near the viewport: a spacer row above and below
// stands for the rest, so 10,000 rows cost the DOM about a hundred. Rows have about one height
// (the fleet list keeps each on one line); it is measured from the rows drawn and the spacers
// follow it. The table says how many rows there are (aria-rowcount, aria-rowindex per row).

export interface VirtualRowsOptions<T> {
  readonly table: HTMLTableElement;
  readonly body: HTMLTableSectionElement;
  /** Cells per row, for the spacers' colspan. */
  readonly columns: number;
  readonly build: (item: T) => HTMLTableRowElement;
  /** Rows drawn beyond each edge of the viewport. */
  readonly overscan?: number;
  /** Pixel height assumed until a row is measured. */
  readonly estimate?: number;
}

export interface VirtualRows<T> {
  /** New rows (filtered, sorted, grouped): draws the part in view. */
  set(items: readonly T[]): void;
  /** Which of the rows are drawn now (first inclusive, last exclusive). */
  drawn(): { first: number; last: number };
  /** Stops following scroll and resize. */
  dispose(): void;
}

function spacer(columns: number, height: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = 'virtual-spacer';
  tr.setAttribute('aria-hidden', 'true');
  const td = document.createElement('td');
  td.colSpan = columns;
  // CSSOM, not a style attribute: the CSP allows it.
  td.style.height = `${height}px`;
  td.style.padding = '0';
  td.style.border = '0';
  tr.appendChild(td);
  return tr;
}

export function createVirtualRows<T>(options: VirtualRowsOptions<T>): VirtualRows<T> {
  const { table, body, columns, build } = options;
  const overscan = options.overscan ?? 20;
  let rowHeight = options.estimate ?? 44;
  let items: readonly T[] = [];
  let first = 0;
  let last = 0;
  let pending = false;

  const range = (): { first: number; last: number } => {
    const top = body.getBoundingClientRect().top;
    const start = Math.floor(-top / rowHeight);
    const end = Math.ceil((innerHeight - top) / rowHeight);
    return {
      first: Math.max(0, Math.min(items.length, start - overscan)),
      last: Math.max(0, Math.min(items.length, end + overscan)),
    };
  };

  const draw = (force: boolean, remeasure = true): void => {
    const next = range();
    if (!force && next.first === first && next.last === last) return;
    ({ first, last } = next);
    const rows: HTMLTableRowElement[] = [];
    for (let i = first; i < last; i++) {
      const tr = build(items[i]!);
      // Row 1 is the header row.
      tr.setAttribute('aria-rowindex', String(i + 2));
      rows.push(tr);
    }
    body.replaceChildren(
      ...(first > 0 ? [spacer(columns, first * rowHeight)] : []),
      ...rows,
      ...(last < items.length ? [spacer(columns, (items.length - last) * rowHeight)] : []),
    );
    table.setAttribute('aria-rowcount', String(items.length + 1));
    if (rows.length === 0) return;
    // Rows may render taller or shorter than assumed (fonts, zoom): follow the real height.
    const measured = rows.reduce((sum, tr) => sum + tr.getBoundingClientRect().height, 0) / rows.length;
    if (remeasure && measured > 0 && Math.abs(measured - rowHeight) > 0.5) {
      rowHeight = measured;
      draw(true, false);
    }
  };

  const onView = (): void => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw(false);
    });
  };
  addEventListener('scroll', onView, { passive: true });
  addEventListener('resize', onView, { passive: true });

  return {
    set(next) {
      items = next;
      draw(true);
    },
    drawn: () => ({ first, last }),
    dispose() {
      removeEventListener('scroll', onView);
      removeEventListener('resize', onView);
    },
  };
}
