// A serial console: xterm.js on the serial WebSocket protocol (docs/interfaces.md). Keeps the
// byte offset of what the terminal shows, so a reconnect resumes with ?from=<offset> and shows
// neither duplicates nor silent holes (gaps get a visible marker).
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Retry } from './backoff.js';
import { DisconnectedBanner } from './disconnected.js';
import { h, replace } from './dom.js';
import { KeyBar } from './key-bar.js';
import { LockPrompt } from './lock-prompt.js';
import { SerialOffsets, type Gap } from './offsets.js';
import { SerialLogDialog } from './serial-log-dialog.js';
import { MarkerFilter, markerLine } from './serial-markers.js';
import { serialLogPath } from './paths.js';
import { socketUrl, type SocketParams } from './socket-url.js';
import { WINDOW_TAG, holderName, renderChips } from './presence.js';
import { onThemeChange, terminalTheme } from './theme.js';
import type { LockHolder, Role, SerialClient, SerialControl } from './types.js';
import { button, errorText, StatusLine, type ConsoleView } from './view.js';
import { fitPlaceholder } from './fit-placeholder.js';

/** History asked for on the first connection: the last 256 KiB. */
const FIRST_HISTORY_BYTES = 256 * 1024;

export interface SerialViewOptions {
  readonly domain: string;
  readonly index: number;
  readonly label: string;
  /** From the domain item's `access`; the server's `hello.role` has the last word. */
  readonly canType: boolean;
  readonly expose?: (handle: SerialHandle) => void;
}

/** What tests (window.__vwc) may read. */
export interface SerialHandle {
  readonly term: Terminal;
  /** Offset just past the last console byte shown. */
  readonly offset: number | null;
}

const SEARCH_DECORATIONS = {
  matchBackground: '#665c00',
  activeMatchBackground: '#b38f00',
  matchOverviewRuler: '#b38f00',
  activeMatchColorOverviewRuler: '#ffd400',
};

export class SerialView implements ConsoleView {
  readonly root: HTMLElement;
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly search = new SearchAddon();
  private readonly status = new StatusLine();
  private readonly screen = h('div', { class: 'screen serial-screen' });
  private readonly banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite' });
  private readonly readOnlyBadge = h(
    'span',
    { class: 'badge badge-readonly', title: 'Your role may watch but not type' },
    'Read only',
  );
  private readonly lockText = h('span', { class: 'lock', 'aria-label': 'Write lock' });
  private readonly presence = h('ul', { class: 'presence', 'aria-label': 'Attached users' });
  private readonly takeButton = button('Take control', { class: 'take-control' });
  private readonly lockPrompt = new LockPrompt(() => {
    this.sendControl('take-lock');
    this.term.focus();
  });
  private clients: { list: readonly SerialClient[]; total: number } = { list: [], total: 0 };
  /** Set while xterm.js turns a key press or paste into input (not a terminal query's answer). */
  private userTyping = false;
  private readonly retry = new Retry(() => void this.connect());
  private readonly encoder = new TextEncoder();
  private readonly resizeObserver: ResizeObserver;
  private readonly keyBar = new KeyBar({
    kind: 'serial',
    send: (text) => {
      this.sendInput(this.encoder.encode(text));
    },
    applicationCursor: () => this.term.modes.applicationCursorKeysMode,
  });
  private readonly offline = new DisconnectedBanner({
    reconnectNow: () => {
      this.retry.now();
    },
    controls: () => [this.takeButton, this.keyBar.el, this.keyBar.toggle],
  });
  private readonly stopTheme = onThemeChange((theme) => {
    this.term.options.theme = terminalTheme(theme);
  });
  private ws: WebSocket | null = null;
  private role: Role;
  private clientId: string | null = null;
  private lock: LockHolder | null = null;
  private readonly offsets = new SerialOffsets();
  private readonly markers = new MarkerFilter();
  /** End of the server's history at hello: bytes before it are a replay, not live output. */
  private replayEnd = 0;
  /** Replayed chunks xterm.js has not finished parsing yet. */
  private replaying = 0;
  private vmRunning: boolean | null = null;
  private domainRunning = true;
  private lastError = '';
  private disposed = false;

  constructor(private readonly options: SerialViewOptions) {
    this.role = options.canType ? 'operator' : 'viewer';
    this.term = new Terminal({
      scrollback: 20_000,
      fontSize: 14,
      // Room below the baseline: at 1.0 some fonts lose underscores to the next row.
      lineHeight: 1.15,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace',
      cursorBlink: true,
      disableStdin: !options.canType,
      theme: terminalTheme(),
      // The search addon's match decorations are a proposed API: without this every search throws.
      allowProposedApi: true,
    });
    this.term.loadAddon(this.fit);
    this.term.loadAddon(this.search);
    this.term.loadAddon(new WebLinksAddon());
    // While history is replayed, xterm.js answers the old terminal queries in it (busybox's
    // ESC[6n after every prompt): those answers would take a free write lock and land on the
    // shell's command line as garbage. Only live output may be answered.
    this.term.onData((data) => {
      if (this.replaying === 0) this.sendInput(this.encoder.encode(this.keyBar.typed(data)));
    });
    // A key or paste of this window's user, as opposed to xterm.js answering the guest: only the
    // former shows the "read-only here" prompt. onKey fires just before its onData.
    this.term.onKey(() => {
      this.markTyping();
    });
    this.screen.addEventListener(
      'paste',
      () => {
        this.markTyping();
      },
      true,
    );
    this.term.onBinary((data) => {
      if (this.replaying === 0) this.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
    });

    this.takeButton.addEventListener('click', () => {
      const mine = this.lock !== null && this.lock.id === this.clientId;
      this.sendControl(mine ? 'release-lock' : 'take-lock');
      this.term.focus();
    });

    this.root = h(
      'section',
      { class: 'view serial-view' },
      h(
        'div',
        { class: 'toolbar', role: 'toolbar', 'aria-label': `${options.label} controls` },
        this.status.el,
        this.readOnlyBadge,
        this.lockText,
        this.takeButton,
        this.presence,
        h('span', { class: 'spacer' }),
        this.searchBox(),
        this.logLinks(),
        this.keyBar.toggle,
      ),
      this.offline.el,
      this.banner,
      this.keyBar.el,
      this.lockPrompt.el,
      this.screen,
    );
    this.banner.hidden = true;
    this.resizeObserver = new ResizeObserver(() => {
      this.fitNow();
    });
    this.resizeObserver.observe(this.screen);
    this.renderRole();
    this.renderLock();
    this.exposeHandle();
    void this.connect();
  }

  /** Downloads of the port's log on disk (plain text, or asciicast with the real times). */
  private logLinks(): HTMLElement {
    const { domain, index } = this.options;
    const link = (format: 'text' | 'asciicast', label: string, title: string): HTMLElement =>
      h(
        'a',
        { class: 'button log-link', href: serialLogPath(domain, index, format), download: '', title },
        label,
      );
    return h(
      'span',
      { class: 'log-links' },
      link('text', 'Log', 'Download this console’s log as plain text'),
      link('asciicast', 'Recording', 'Download this console’s log as an asciicast recording (asciinema)'),
      new SerialLogDialog({ domain, index }).button,
    );
  }

  private searchBox(): HTMLElement {
    const input = h('input', {
      type: 'search',
      'aria-label': 'Search output',
      class: 'search',
    });
    fitPlaceholder(input, 'Search output', 'Search');
    const find = (backwards: boolean): void => {
      const term = input.value;
      if (!term) {
        this.search.clearDecorations();
        return;
      }
      const opts = { decorations: SEARCH_DECORATIONS };
      if (backwards) this.search.findPrevious(term, opts);
      else this.search.findNext(term, opts);
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') find(event.shiftKey);
      if (event.key === 'Escape') {
        input.value = '';
        this.search.clearDecorations();
        this.term.focus();
      }
    });
    const prev = button('↑', { 'aria-label': 'Previous match', title: 'Previous match (Shift+Enter)' });
    const nextButton = button('↓', { 'aria-label': 'Next match', title: 'Next match (Enter)' });
    prev.addEventListener('click', () => {
      find(true);
    });
    nextButton.addEventListener('click', () => {
      find(false);
    });
    return h('span', { class: 'search-box', role: 'search' }, input, prev, nextButton);
  }

  private exposeHandle(): void {
    const offsets = this.offsets;
    this.options.expose?.({
      term: this.term,
      get offset() {
        return offsets.have;
      },
    });
  }

  private fitNow(): void {
    if (this.screen.clientWidth > 0 && this.screen.clientHeight > 0) this.fit.fit();
  }

  private async connect(): Promise<void> {
    if (this.disposed || this.ws) return;
    this.status.set('connecting', 'connecting…');
    let url: (params: SocketParams) => string;
    try {
      url = await socketUrl(this.options.domain, { kind: 'serial', index: this.options.index });
    } catch (error) {
      this.waitAndRetry(errorText(error));
      return;
    }
    // Checked again: dispose() may have run while the ticket was on its way.
    if (this.isDisposed()) return;
    const have = this.offsets.have;
    const params =
      have === null ? { last: FIRST_HISTORY_BYTES, window: WINDOW_TAG } : { from: have, window: WINDOW_TAG };
    const ws = new WebSocket(url(params));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastError = '';
    ws.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
      if (typeof event.data === 'string') this.onControl(event.data);
      else this.onBytes(new Uint8Array(event.data));
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clientId = null;
      if (this.disposed) return;
      const reason =
        this.lastError ||
        event.reason ||
        (event.code === 1000 ? 'closed' : `connection lost (code ${event.code})`);
      this.waitAndRetry(reason, event.code);
    });
  }

  private waitAndRetry(reason: string, code?: number): void {
    const delay = this.retry.schedule();
    this.offline.lost({ code, reason, vmState: this.domainRunning ? 'running' : 'not running' }, delay);
    const next = this.domainRunning
      ? `retrying in ${Math.round(delay / 1000)} s`
      : 'waiting for the VM to start';
    this.status.set(this.domainRunning ? 'disconnected' : 'waiting', `disconnected: ${reason} — ${next}`);
  }

  private onBytes(bytes: Uint8Array): void {
    const replay = this.offsets.position < this.replayEnd;
    const fresh = this.offsets.bytes(bytes);
    if (!fresh) return;
    if (!replay) {
      this.term.write(fresh);
      return;
    }
    // The callback runs once xterm.js has parsed the chunk (and emitted any query answers).
    this.replaying += 1;
    this.term.write(fresh, () => {
      this.replaying -= 1;
    });
  }

  /** A visible note in the terminal that a range of output will never be shown. */
  private markGap(gap: Gap | null, why: string): void {
    if (!gap) return;
    this.term.write(`\r\n\x1b[30;43m[ ${gap.to - gap.from} bytes of output skipped: ${why} ]\x1b[0m\r\n`);
  }

  private onControl(text: string): void {
    let message: SerialControl;
    try {
      message = JSON.parse(text) as SerialControl;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        {
          const result = this.offsets.hello(message.offset, message.history.end);
          this.replayEnd = message.history.end;
          this.markGap(result.gap, 'no longer in the history');
          if (result.reset) this.markers.reset();
          if (result.reset)
            this.term.write('\r\n\x1b[30;43m[ the console history restarted (daemon restart?) ]\x1b[0m\r\n');
        }
        this.clientId = message.clientId;
        this.role = message.role;
        this.retry.backoff.reset();
        this.offline.connected();
        this.status.set('connected', `connected as ${message.user}`);
        this.renderRole();
        this.renderPresence(message.clients);
        this.lock = message.lock;
        this.renderLock();
        this.onVm(message.vm.state, message.vm.boot);
        break;
      case 'presence':
        this.renderPresence(message.clients, message.count);
        break;
      case 'lock':
        this.lock = message.holder;
        this.renderLock();
        // The server dropped our input (the lock moved before we knew): say so.
        if (message.inputDropped) this.lockPrompt.show(this.lock);
        break;
      case 'gap':
        this.markGap(
          this.offsets.gap(message.from, message.to, message.marker),
          message.reason === 'slow-client' ? 'this window fell behind' : 'no longer in the history',
        );
        break;
      case 'vm':
        this.onVm(message.state, message.boot);
        break;
      case 'event':
        if (this.markers.fresh(message)) this.term.write(markerLine(message));
        break;
      case 'error':
        this.lastError = message.message;
        break;
    }
  }

  private onVm(state: string, boot: number): void {
    const running = state === 'running';
    const was = this.vmRunning;
    this.vmRunning = running;
    if (!running) {
      this.showBanner(
        'stopped',
        `The VM is ${state}. This console stays open and continues when it starts again.`,
      );
    } else if (was === false) {
      this.showBanner('started', `The VM started again (boot ${boot}).`);
    } else if (was === null) {
      this.banner.hidden = true;
    }
  }

  private showBanner(kind: 'stopped' | 'started', text: string): void {
    const close = button('Dismiss', { class: 'banner-close', 'aria-label': 'Dismiss this notice' });
    close.addEventListener('click', () => {
      this.banner.hidden = true;
    });
    this.banner.className = `banner banner-${kind}`;
    this.banner.dataset.kind = kind;
    replace(this.banner, h('span', {}, text), close);
    this.banner.hidden = false;
  }

  private renderRole(): void {
    const viewer = this.role === 'viewer';
    this.readOnlyBadge.hidden = !viewer;
    this.takeButton.hidden = viewer;
    this.keyBar.toggle.hidden = viewer;
    if (viewer) this.keyBar.setShown(false);
    this.term.options.disableStdin = viewer;
  }

  private renderLock(): void {
    const mine = this.lock !== null && this.lock.id === this.clientId;
    if (this.lock === null) this.lockText.textContent = 'Keyboard free';
    else if (mine) this.lockText.textContent = 'You have the keyboard';
    else this.lockText.textContent = `Keyboard: ${holderName(this.lock)}`;
    if (this.lock === null || mine) this.lockPrompt.hide();
    this.renderPresence(this.clients.list, this.clients.total);
    this.lockText.dataset.holder = this.lock?.user ?? '';
    this.takeButton.textContent = mine ? 'Release control' : 'Take control';
  }

  private renderPresence(clients: readonly SerialClient[], total = clients.length): void {
    this.clients = { list: clients, total };
    renderChips(this.presence, clients, { me: this.clientId, holder: this.lock?.id ?? null, total });
  }

  private sendInput(bytes: Uint8Array): void {
    if (this.role === 'viewer' || this.ws?.readyState !== WebSocket.OPEN) return;
    // Another window holds the keyboard: the server would drop these keys; say so instead.
    if (this.lock !== null && this.lock.id !== this.clientId) {
      if (this.userTyping) this.lockPrompt.show(this.lock);
      return;
    }
    this.ws.send(bytes);
  }

  private markTyping(): void {
    this.userTyping = true;
    queueMicrotask(() => {
      this.userTyping = false;
    });
  }

  private sendControl(type: 'take-lock' | 'release-lock'): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type }));
  }

  show(focus: boolean): void {
    // Opened on first show: xterm.js measures its cell size, which needs a laid-out element.
    if (!this.term.element) this.term.open(this.screen);
    this.fitNow();
    if (focus) this.term.focus();
  }

  hide(): void {
    this.term.blur();
  }

  domainState(state: string): void {
    const running = state === 'running';
    const was = this.domainRunning;
    this.domainRunning = running;
    if (running && !was) this.retry.restartIfWaiting();
  }

  private isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    this.retry.cancel();
    this.offline.dispose();
    this.stopTheme();
    this.resizeObserver.disconnect();
    this.ws?.close(1000, 'page closed');
    this.ws = null;
    this.term.dispose();
  }
}
