// The console page (`/console/<domain>[/vnc|/serial/<n>]`): tabs for the VNC screen and every
// serial port; the domain name comes from the URL (one decodeURIComponent of its segment).
import type RFB from '@novnc/novnc';
import { ApiError, getDomain, openEvents } from './lib/api.js';
import { byId, h, replace, stateBadge } from './lib/dom.js';
import { consolePath, parseConsolePath } from './lib/paths.js';
import { actionsFor, powerButtons } from './lib/power.js';
import { SerialView, type SerialHandle } from './lib/serial-view.js';
import { showSession } from './lib/session.js';
import { Tabs } from './lib/tabs.js';
import type { ConsoleRef, DomainItem } from './lib/types.js';
import { VncView } from './lib/vnc-view.js';
import { SpiceView, spiceTab } from './lib/spice-view.js';
import { enterFleetConsole, fleetView, type FleetItem } from './lib/fleet.js';
import type { ConsoleView } from './lib/view.js';

/** What end-to-end tests read: the live terminals and the RFB object. */
interface TestHandles {
  serial: Record<number, SerialHandle>;
  vnc: RFB | null;
  domain: string | null;
}
declare global {
  interface Window {
    __vwc: TestHandles;
  }
}
window.__vwc = { serial: {}, vnc: null, domain: null };

const notices = byId('notices');
const panels = byId('panels');
const nameEl = byId('domain-name');
const stateEl = byId('domain-state');
const powerEl = byId('power');
const stoppedEl = byId('stopped');

function notice(text: string, kind: 'error' | 'info' = 'error'): void {
  replace(notices, h('p', { class: `notice notice-${kind}` }, text));
}

function keyOf(ref: ConsoleRef): string {
  return ref.kind === 'serial' ? `serial-${ref.index}` : ref.kind;
}

function refsOf(item: DomainItem): ConsoleRef[] {
  const refs: ConsoleRef[] = item.consoles.vnc ? [{ kind: 'vnc' }] : [];
  if (item.consoles.spice) refs.push({ kind: 'spice' });
  for (const serial of item.consoles.serials) refs.push({ kind: 'serial', index: serial.index });
  return refs;
}

class ConsolePage {
  private readonly views = new Map<string, { view: ConsoleView; panel: HTMLElement }>();
  private readonly tabs: Tabs;
  private refs: ConsoleRef[] = [];
  private current: string | null = null;

  constructor(
    private readonly domain: string,
    private item: DomainItem,
  ) {
    this.tabs = new Tabs(byId('tabs'), (key, fromKeyboard) => {
      const ref = this.refs.find((r) => keyOf(r) === key);
      if (ref) this.select(ref, true, !fromKeyboard);
    });
    this.update(item);
    addEventListener('popstate', () => {
      const ref = parseConsolePath(location.pathname)?.ref;
      this.select(ref ?? this.defaultRef(), false, false);
    });
  }

  defaultRef(): ConsoleRef {
    return this.refs[0] ?? { kind: 'vnc' };
  }

  update(item: DomainItem): void {
    this.item = item;
    replace(stateEl, stateBadge(item.state));
    this.showPower(item);
    if (item.title) nameEl.title = item.title;
    const refs = refsOf(item);
    const same = refs.map(keyOf).join() === this.refs.map(keyOf).join() && this.refs.length > 0;
    this.refs = refs;
    // Re-rendering the tabs on every state change would steal keyboard focus from them.
    if (!same)
      this.tabs.set(
        this.refs.map((ref) => {
          if (ref.kind === 'vnc') return { key: 'vnc', label: 'Screen', title: 'Graphical console (VNC)' };
          if (ref.kind === 'spice') return spiceTab(item);
          const serial = item.consoles.serials.find((s) => s.index === ref.index);
          return {
            key: keyOf(ref),
            label: serial?.label ?? `serial${ref.index}`,
            title: `Serial console ${ref.index}`,
          };
        }),
      );
    if (this.current) this.tabs.select(this.current);
    for (const { view } of this.views.values()) view.domainState(item.state);
    if (this.refs.length === 0) notice('This VM has no console that can be shown here.', 'info');
  }

  /**
   * Power buttons in the header; for a stopped VM that the user may start, a big Start button
   * where its console would be (the console waits and reconnects once it runs).
   */
  private showPower(item: DomainItem): void {
    const report = (text: string, kind: 'error' | 'info'): void => {
      notice(text, kind);
    };
    replace(powerEl, powerButtons(item, { report }));
    const startable = actionsFor(item).includes('start');
    if (startable) {
      replace(
        stoppedEl,
        h('p', {}, `${item.name} is not running.`),
        powerButtons(item, { report, primary: ['start'] }),
      );
    } else replace(stoppedEl);
    stoppedEl.hidden = !startable;
  }

  select(ref: ConsoleRef, push: boolean, focus: boolean): void {
    const key = keyOf(ref);
    if (!this.refs.some((r) => keyOf(r) === key)) {
      notice(
        ref.kind === 'serial'
          ? `This VM has no serial port ${ref.index}.`
          : `This VM has no ${ref.kind.toUpperCase()} screen.`,
      );
      return;
    }
    replace(notices);
    if (push) history.pushState(null, '', consolePath(this.domain, ref));
    this.current = key;
    this.tabs.select(key);
    const entry = this.views.get(key) ?? this.create(ref, key);
    for (const [k, other] of this.views) {
      if (k === key) continue;
      if (!other.panel.hidden) other.view.hide();
      other.panel.hidden = true;
    }
    entry.panel.hidden = false;
    entry.view.show(focus);
  }

  private create(ref: ConsoleRef, key: string): { view: ConsoleView; panel: HTMLElement } {
    const canType = this.item.access.canType;
    let view: ConsoleView;
    if (ref.kind === 'vnc') {
      view = new VncView({ domain: this.domain, canType, expose: (rfb) => (window.__vwc.vnc = rfb) });
    } else if (ref.kind === 'spice') {
      view = new SpiceView({
        domain: this.domain,
        canType,
        passwordSet: this.item.consoles.spice?.passwordSet ?? false,
      });
    } else {
      const label =
        this.item.consoles.serials.find((s) => s.index === ref.index)?.label ?? `serial${ref.index}`;
      view = new SerialView({
        domain: this.domain,
        index: ref.index,
        label,
        canType,
        expose: (handle) => (window.__vwc.serial[ref.index] = handle),
      });
    }
    view.domainState(this.item.state);
    const panel = h('div', {
      class: 'panel',
      role: 'tabpanel',
      id: `panel-${key}`,
      'aria-labelledby': `tab-${key}`,
    });
    panel.appendChild(view.root);
    panels.appendChild(panel);
    const entry = { view, panel };
    this.views.set(key, entry);
    return entry;
  }

  removed(): void {
    replace(stateEl, stateBadge('undefined'));
    notice('This VM is no longer defined.');
  }
}

async function main(): Promise<void> {
  void showSession(byId('session'));
  // At a fleet entry `/console/<host>/<domain>`: paths and sockets go to that host (lib/fleet.ts).
  const host = await enterFleetConsole(location.pathname);
  const where = parseConsolePath(location.pathname);
  if (!where) {
    notice('This is not a console address: use /console/<domain>.');
    return;
  }
  const mine = (d: FleetItem): boolean => d.name === where.domain && (host === null || d.host === host);
  window.__vwc.domain = where.domain;
  nameEl.textContent = where.domain;
  document.title = `${where.domain} · console · virt-webconsole`;
  let item: DomainItem;
  try {
    item = fleetView(host, await getDomain(where.domain));
  } catch (error) {
    notice(
      error instanceof ApiError && error.status === 404
        ? `No virtual machine named “${where.domain}” (or you may not see it).`
        : `Cannot load the VM: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  const page = new ConsolePage(where.domain, item);
  page.select(where.ref ?? page.defaultRef(), false, true);
  openEvents({
    snapshot: (snapshot) => {
      const fresh = snapshot.domains.find(mine);
      if (fresh) page.update(fleetView(host, fresh));
    },
    added: (fresh) => {
      if (mine(fresh)) page.update(fleetView(host, fresh));
    },
    changed: (fresh) => {
      if (mine(fresh)) page.update(fleetView(host, fresh));
    },
    removed: (name, from) => {
      if (mine({ name, host: from } as FleetItem)) page.removed();
    },
  });
}

void main();
