// The list page at a fleet entry (docs/fleet.md): a Host column, a host filter and "Group by
// host" above the table, rows of an unreachable host greyed with an "unreachable" label, and
// virtual rows (lib/virtual-rows.ts) so 10,000 VMs stay responsive. It takes over the table
// only when rows carry a host: a standalone host's list is left exactly as it was.
import { h, replace, stateBadge } from './dom.js';
import { fleetConsolePath, type FleetItem, type HostState, type HostStatus } from './fleet.js';
import type { ListControls } from './list-controls.js';
import { createVirtualRows, type VirtualRows } from './virtual-rows.js';
import type { ConsoleRef } from './types.js';

/** Builds a row's console links with the given path maker (the page's own link list). */
export type ConsoleLinks = (item: FleetItem, path: (ref?: ConsoleRef) => string) => HTMLElement;

export interface FleetList {
  /** True once a row with a host was seen: the page is at an entry. */
  readonly active: boolean;
  /** Turns fleet mode on when `items` carry hosts; true when it is (or was already) on. */
  claim(items: Iterable<FleetItem>): boolean;
  /** Draws the rows the controls chose (filtered, sorted); groups them when asked. */
  render(shown: readonly FleetItem[]): void;
  /** `event: host` from the entry's stream. */
  host(status: HostStatus): void;
}

type Line = { readonly group: string; readonly count: number } | FleetItem;

const COLUMNS = 5;

export function createFleetList(
  table: HTMLTableElement,
  body: HTMLTableSectionElement,
  controls: ListControls,
  links: ConsoleLinks,
  onChange: () => void,
): FleetList {
  let active = false;
  let group = false;
  const states = new Map<string, HostState>();
  let rows: VirtualRows<Line> | null = null;
  const hostFilter = h(
    'select',
    { id: 'host-filter', class: 'host-filter' },
    h('option', { value: '' }, 'All hosts'),
  );
  const grouping = h('input', { id: 'group-hosts', type: 'checkbox' });

  const stateOf = (item: FleetItem): HostState =>
    (item.host === undefined ? undefined : states.get(item.host)) ?? 'up';

  const hostCell = (host: string, state: HostState): HTMLElement =>
    h(
      'td',
      { class: 'host' },
      host,
      state === 'unreachable' ? ' ' : null,
      state === 'unreachable' ? h('span', { class: 'host-state unreachable' }, 'unreachable') : null,
    );

  const row = (item: FleetItem): HTMLTableRowElement => {
    const host = item.host ?? '';
    const state = stateOf(item);
    const path = (ref?: ConsoleRef): string => fleetConsolePath(host, item.name, ref);
    return h(
      'tr',
      {
        'data-name': item.name,
        'data-host': host,
        class: state === 'unreachable' ? 'fleet-row host-unreachable' : 'fleet-row',
      },
      h('th', { scope: 'row' }, h('a', { href: path(), class: 'domain-name' }, item.name)),
      hostCell(host, state),
      h('td', { class: 'title', title: item.description ?? undefined }, item.title ?? ''),
      h('td', {}, stateBadge(item.state)),
      h('td', {}, links(item, path)),
    );
  };

  const groupRow = (line: { group: string; count: number }): HTMLTableRowElement => {
    const state = states.get(line.group) ?? 'up';
    return h(
      'tr',
      {
        class: state === 'unreachable' ? 'host-group host-unreachable' : 'host-group',
        'data-group': line.group,
      },
      h(
        'th',
        { scope: 'rowgroup', colspan: String(COLUMNS) },
        line.group,
        ` · ${line.count === 1 ? '1 VM' : `${line.count} VMs`}`,
        state === 'unreachable' ? ' · ' : null,
        state === 'unreachable' ? h('span', { class: 'host-state unreachable' }, 'unreachable') : null,
      ),
    );
  };

  const addHost = (name: string): void => {
    if ([...hostFilter.options].some((o) => o.value === name)) return;
    const options = [...hostFilter.options].slice(1).map((o) => o.value);
    options.push(name);
    options.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    replace(hostFilter, hostFilter.options[0], ...options.map((value) => h('option', { value }, value)));
    hostFilter.value = hostFilter.value || '';
  };

  const activate = (): void => {
    active = true;
    document.body.classList.add('fleet');
    // Host after Name; no Screen or Actions column (the entry serves neither thumbnails nor
    // power actions: they stay on each host's own page).
    const head = table.tHead?.rows[0];
    const cells = head ? [...head.cells] : [];
    for (const th of cells) {
      const label = th.textContent.trim();
      if (label === 'Screen' || label === 'Actions') th.remove();
    }
    const hostHead = h('th', { scope: 'col' }, 'Host');
    cells[0]?.after(hostHead);
    controls.sortable(hostHead);
    controls.tools.append(
      ' ',
      h('label', { for: 'host-filter' }, 'Host '),
      hostFilter,
      ' ',
      h('label', { class: 'group-hosts' }, grouping, ' Group by host'),
    );
    hostFilter.addEventListener('change', () => {
      controls.update({ host: hostFilter.value });
    });
    grouping.addEventListener('change', () => {
      group = grouping.checked;
      onChange();
    });
    rows = createVirtualRows<Line>({
      table,
      body,
      columns: COLUMNS,
      build: (line) => ('group' in line ? groupRow(line) : row(line)),
    });
  };

  const lines = (shown: readonly FleetItem[]): readonly Line[] => {
    if (!group) return shown;
    // Hosts in name order; within a host, the order the controls chose.
    const byHost = new Map<string, FleetItem[]>();
    for (const item of shown) {
      const host = item.host ?? '';
      let list = byHost.get(host);
      if (!list) byHost.set(host, (list = []));
      list.push(item);
    }
    const out: Line[] = [];
    for (const host of [...byHost.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))) {
      const list = byHost.get(host)!;
      out.push({ group: host, count: list.length }, ...list);
    }
    return out;
  };

  return {
    get active() {
      return active;
    },
    claim(items) {
      let seen = false;
      for (const item of items) {
        if (item.host === undefined) continue;
        seen = true;
        // A row is news about its host too (a snapshot after a reconnect, a change).
        if (item.hostState !== undefined) states.set(item.host, item.hostState);
        addHost(item.host);
      }
      if (seen && !active) activate();
      return active;
    },
    render(shown) {
      rows?.set(lines(shown));
    },
    host(status) {
      states.set(status.name, status.state);
      addHost(status.name);
      if (!active) activate();
      onChange();
    },
  };
}
