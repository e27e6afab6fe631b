// The list page (`/`): every domain the user may see, live from the server-sent events.
import { openEvents } from './lib/api.js';
import { byId, h, replace, stateBadge } from './lib/dom.js';
import { rowKey, type FleetItem, type HostStatus } from './lib/fleet.js';
import { createFleetList } from './lib/fleet-list.js';
import { createListControls } from './lib/list-controls.js';
import { consolePath } from './lib/paths.js';
import { powerButtons } from './lib/power.js';
import { showSession } from './lib/session.js';
import { createThumbnailCells } from './lib/thumbnails.js';
import type { ConsoleRef, DomainItem, SourceStatus } from './lib/types.js';

const rows = byId('rows');
const summary = byId('summary');
const notices = byId('notices');
const table = byId('domains') as HTMLTableElement;
const controls = createListControls(table, () => {
  render();
});
// At a fleet entry the rows carry their host: lib/fleet-list.ts takes the table over.
const fleet = createFleetList(table, rows as HTMLTableSectionElement, controls, consoleLinks, () => {
  render();
});

const domains = new Map<string, FleetItem>();
const thumbnails = createThumbnailCells();
let sources: readonly SourceStatus[] = [];
let streamUp = true;
let loaded = false;
/** The outcome of the last power action (kept across re-renders until the next one). */
let actionNote: HTMLElement | null = null;

function report(text: string, kind: 'error' | 'info'): void {
  actionNote = h('p', { class: `notice notice-${kind}`, 'data-kind': 'action' }, text);
  render();
}

function consoleLinks(
  item: DomainItem,
  path: (ref?: ConsoleRef) => string = (ref) => consolePath(item.name, ref),
): HTMLElement {
  const list = h('ul', { class: 'console-links', 'aria-label': `Consoles of ${item.name}` });
  const link = (label: string, href: string, available: boolean): void => {
    const a = h('a', { href, class: available ? 'console-link' : 'console-link unavailable' }, label);
    if (!available) a.title = 'Not available while the VM is not running';
    list.appendChild(h('li', {}, a));
  };
  if (item.consoles.vnc) link('Screen', path({ kind: 'vnc' }), item.consoles.vnc.available);
  for (const serial of item.consoles.serials) {
    link(serial.label, path({ kind: 'serial', index: serial.index }), serial.available);
  }
  for (const type of item.consoles.unsupportedGraphics) {
    list.appendChild(h('li', { class: 'unsupported' }, `${type} (not supported)`));
  }
  if (list.childElementCount === 0) list.appendChild(h('li', { class: 'unsupported' }, 'no console'));
  return list;
}

function row(item: DomainItem): HTMLTableRowElement {
  const name = h('a', { href: consolePath(item.name), class: 'domain-name' }, item.name);
  const tr = h(
    'tr',
    { 'data-name': item.name },
    h('th', { scope: 'row' }, name),
    h('td', { class: 'title', title: item.description ?? undefined }, item.title ?? ''),
    h('td', {}, stateBadge(item.state)),
    h('td', {}, consoleLinks(item)),
    h('td', { class: 'thumb-cell' }, thumbnails.cell(item)),
    h('td', { class: 'actions' }, powerButtons(item, { report })),
  );
  return tr;
}

function render(): void {
  const sorted = [...domains.values()];
  const shown = controls.view(sorted);
  controls.keepFocus(() => {
    if (fleet.active) fleet.render(shown);
    else replace(rows, ...shown.map(row));
  });
  const down = sources.filter((s) => !s.up);
  replace(
    notices,
    ...down.map((s) =>
      h(
        'p',
        { class: 'notice notice-error' },
        s.source === 'libvirt'
          ? `libvirt is not answering: ${s.detail ?? 'no detail'}`
          : `${s.source} source is down: ${s.detail ?? 'no detail'}`,
      ),
    ),
    streamUp ? null : h('p', { class: 'notice' }, 'Live updates interrupted; reconnecting…'),
    actionNote,
  );
  if (!loaded) summary.textContent = 'Loading…';
  else if (sorted.length === 0) summary.textContent = 'No virtual machines found.';
  else if (shown.length === 0) summary.textContent = 'No virtual machine matches the filter.';
  else summary.textContent = sorted.length === 1 ? '1 virtual machine' : `${sorted.length} virtual machines`;
  summary.classList.toggle('empty', loaded && sorted.length === 0);
}

/**
 * A live change: drawn at once on a host's own list; at an entry (10,000 rows, 50 hosts' changes)
 * changes that come together are drawn together.
 */
let drawTimer: ReturnType<typeof setTimeout> | undefined;
function later(): void {
  if (!fleet.active) {
    render();
    return;
  }
  drawTimer ??= setTimeout(() => {
    drawTimer = undefined;
    render();
  }, 50);
}

void showSession(byId('session'));
const events = openEvents({
  snapshot(snapshot) {
    domains.clear();
    fleet.claim(snapshot.domains);
    for (const item of snapshot.domains) domains.set(rowKey(item), item);
    sources = snapshot.sources;
    loaded = true;
    render();
  },
  added(item) {
    fleet.claim([item]);
    domains.set(rowKey(item), item);
    later();
  },
  changed(item) {
    fleet.claim([item]);
    domains.set(rowKey(item), item);
    later();
  },
  removed(name, host) {
    domains.delete(rowKey({ name, host }));
    later();
  },
  sources(next) {
    sources = next;
    render();
  },
  connection(up) {
    if (up === streamUp) return;
    streamUp = up;
    render();
  },
});
events.addEventListener('host', (message: MessageEvent<string>) => {
  try {
    fleet.host(JSON.parse(message.data) as HostStatus);
  } catch {
    // A malformed event changes nothing; the next snapshot has every host's state.
  }
});
render();
