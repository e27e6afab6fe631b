// The SPICE console: spice-html5 on one WebSocket per SPICE channel (all on /ws/spice/<domain>),
// with scaling, Ctrl-Alt-Del and send-keys, the password form, reconnects that follow the VM
// through reboots, and the one-client rule made visible (docs/spice.md): when someone holds
// the console the user is asked before taking it over, and a window that lost it says who took
// it and offers to take it back. The daemon enforces view-only; this page only hides the tools.
import { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
import { Retry } from './backoff.js';
import { h } from './dom.js';
import { socketUrl, type SocketParams } from './socket-url.js';
import { CTRL_ALT_DEL, sendChord } from './spice-keys.js';
import { VncPasswordPrompt } from './vnc-password.js';
import { button, errorText, sendKeysMenu, StatusLine, type ConsoleView } from './view.js';
import type { DomainItem } from './types.js';

/** WebSocket close codes of the SPICE bridge (src/errors/index.ts). */
const BUSY = 4215;
const TAKEN_OVER = 4216;

export interface SpiceViewOptions {
  readonly domain: string;
  readonly canType: boolean;
  readonly passwordSet: boolean;
}

/** The console page's tab for SPICE; "Screen" when it is the only graphics. */
export function spiceTab(item: DomainItem): { key: string; label: string; title: string } {
  return {
    key: 'spice',
    label: item.consoles.vnc ? 'Screen (SPICE)' : 'Screen',
    title: 'Graphical console (SPICE)',
  };
}

// spice-html5 sizes its canvas to the guest's screen and sets the box height; scaled, both follow
// the window instead. One style element for the page (no shared stylesheet to edit).
function ensureStyle(): void {
  if (document.getElementById('spice-view-style')) return;
  const style = h('style', { id: 'spice-view-style' });
  style.textContent =
    '.spice-screen{background:#0b0d10;overflow:auto}' +
    '.spice-screen.scaled{height:auto!important}' +
    '.spice-screen.scaled canvas{max-width:100%;height:auto}' +
    '.spice-ask[hidden]{display:none}';
  document.head.appendChild(style);
}

let screens = 0;

export class SpiceView implements ConsoleView {
  readonly root: HTMLElement;
  private readonly status = new StatusLine();
  private readonly screenId = `spice-screen-${++screens}`;
  private readonly screen = h('div', {
    class: 'screen spice-screen scaled',
    id: this.screenId,
    // A labelled region, as the VNC screen (a div may not carry aria-label without a role: axe).
    role: 'region',
    'aria-label': 'VM screen',
  });
  private readonly retry = new Retry(() => void this.connect(false));
  private readonly ask = h('div', { class: 'notice notice-info spice-ask', role: 'alert' });
  private readonly passwordPrompt = new VncPasswordPrompt('SPICE');
  private sc: SpiceMainConn | null = null;
  private state = 'unknown';
  private disposed = false;

  constructor(private readonly options: SpiceViewOptions) {
    ensureStyle();
    const scaleButton = button('Scale to window', {
      'aria-pressed': 'true',
      title: 'Scale to window or show 1:1',
    });
    scaleButton.addEventListener('click', () => {
      const scaled = !this.screen.classList.contains('scaled');
      this.screen.classList.toggle('scaled', scaled);
      scaleButton.setAttribute('aria-pressed', String(scaled));
      scaleButton.textContent = scaled ? 'Scale to window' : 'Actual size (1:1)';
    });
    const cad = button('Ctrl-Alt-Del');
    cad.addEventListener('click', () => {
      sendChord(this.sc?.inputs, CTRL_ALT_DEL);
      this.focus();
    });
    const keys = sendKeysMenu((combo) => {
      sendChord(this.sc?.inputs, combo.keys);
      this.focus();
    });
    const fullscreen = button('Fullscreen');
    fullscreen.addEventListener('click', () => {
      if (document.fullscreenElement) void document.exitFullscreen();
      else void this.root.requestFullscreen();
    });
    const readOnly = h(
      'span',
      { class: 'badge badge-readonly', title: 'Your role may watch but not type' },
      'View only',
    );
    readOnly.hidden = options.canType;
    cad.hidden = !options.canType;
    keys.hidden = !options.canType;
    this.ask.hidden = true;
    this.root = h(
      'section',
      { class: 'view spice-view' },
      h(
        'div',
        { class: 'toolbar', role: 'toolbar', 'aria-label': 'Screen controls' },
        this.status.el,
        readOnly,
        h('span', { class: 'spacer' }),
        scaleButton,
        cad,
        keys,
        fullscreen,
      ),
      this.ask,
      this.passwordPrompt.el,
      this.screen,
    );
    void this.connect(false);
  }

  private focus(): void {
    this.screen.querySelector('canvas')?.focus();
  }

  private async connect(takeover: boolean): Promise<void> {
    if (this.disposed || this.sc) return;
    this.ask.hidden = true;
    this.status.set('connecting', 'connecting…');
    let url: (params: SocketParams) => string;
    let password = '';
    try {
      url = await socketUrl(this.options.domain, { kind: 'spice' });
      if (this.options.passwordSet) {
        this.status.set('waiting', 'the SPICE server asks for a password');
        password = await this.passwordPrompt.password();
      }
    } catch (error) {
      this.waitAndRetry(errorText(error));
      return;
    }
    // Checked again: dispose() or another attempt may have run while we waited.
    if (this.isStale()) return;
    const uri = url(takeover ? { takeover: '1' } : {});
    let linked = false;
    const sc = new SpiceMainConn({
      uri,
      password,
      screen_id: this.screenId,
      onsuccess: () => {
        linked = true;
        this.retry.backoff.reset();
        this.passwordPrompt.accepted();
        this.status.set('connected', this.options.canType ? 'connected' : 'connected (view only)');
      },
      onerror: (error) => {
        // The main channel's close (below) says why; a bad password is only known here.
        if (!linked && error.message === 'Bad password.')
          this.passwordPrompt.refused('SPICE password refused; try again');
      },
    });
    // Registered right after spice-html5's own: the server's code and reason ("domain stopped",
    // "taken over by bob (operator)") decide what the page does next.
    sc.ws.addEventListener('close', (event) => {
      this.ended(sc, { code: event.code, reason: event.reason || `connection lost (code ${event.code})` });
    });
    this.sc = sc;
    (window as unknown as { __vwcSpice?: SpiceMainConn }).__vwcSpice = sc;
  }

  private ended(sc: SpiceMainConn, closed: { code: number; reason: string }): void {
    if (this.sc !== sc) return;
    this.sc = null;
    try {
      sc.stop();
    } catch {
      // Already stopping: its channels are closed either way.
    }
    this.screen.replaceChildren();
    if (this.disposed) return;
    if (closed.code === TAKEN_OVER) {
      this.offer(`The console was ${closed.reason}.`, 'Take it back');
    } else if (closed.code === BUSY && !closed.reason.includes('cannot take it over')) {
      this.offer(
        `${closed.reason}. SPICE serves one window at a time: taking over disconnects it.`,
        'Take over',
      );
    } else {
      this.waitAndRetry(closed.reason);
    }
  }

  /** Stops retrying and asks: the one-client rule is the user's decision, not ours. */
  private offer(text: string, action: string): void {
    this.retry.cancel();
    this.status.set('disconnected', 'disconnected');
    const take = button(action, { class: 'primary' });
    take.addEventListener('click', () => void this.connect(true));
    this.ask.replaceChildren(h('span', {}, text), take);
    this.ask.hidden = false;
  }

  private waitAndRetry(reason: string): void {
    const delay = this.retry.schedule();
    const waiting = this.state !== 'running' && this.state !== 'unknown';
    const next = waiting
      ? `VM is ${this.state}; waiting for it to start`
      : `retrying in ${Math.round(delay / 1000)} s`;
    this.status.set(waiting ? 'waiting' : 'disconnected', `disconnected: ${reason} — ${next}`);
  }

  private isStale(): boolean {
    return this.disposed || this.sc !== null;
  }

  show(focus: boolean): void {
    if (focus) this.focus();
  }

  hide(): void {
    this.screen.querySelector('canvas')?.blur();
  }

  domainState(state: string): void {
    const wasRunning = this.state === 'running';
    this.state = state;
    if (state === 'running' && !wasRunning) this.retry.restartIfWaiting();
  }

  dispose(): void {
    this.disposed = true;
    this.retry.cancel();
    const sc = this.sc;
    this.sc = null;
    sc?.stop();
  }
}
