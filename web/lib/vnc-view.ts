// The VNC console: noVNC's RFB on a ticketed WebSocket, with scaling, special keys, paste as
// keystrokes, fullscreen, and reconnects with backoff that follow the VM through reboots.
import RFB from '@novnc/novnc';
import { Retry } from './backoff.js';
import { DisconnectedBanner } from './disconnected.js';
import { h } from './dom.js';
import { KeyBar } from './key-bar.js';
import { SHIFT, strokesFor, typeableChars, type KeyStroke } from './keys.js';
import { socketUrl, type SocketParams } from './socket-url.js';
import { WINDOW_TAG } from './presence.js';
import { VncPresence } from './vnc-presence.js';
import { VncPasswordPrompt } from './vnc-password.js';
import { button, errorText, sendKeysMenu, StatusLine, type ConsoleView } from './view.js';

/** Characters per second for "paste as keystrokes": slow enough for a guest's input queue. */
const PASTE_INTERVAL_MS = 15;
const PASTE_MAX_CHARS = 10_000;

export interface VncViewOptions {
  readonly domain: string;
  readonly canType: boolean;
  /** Where tests can reach the live RFB object (window.__vwc). */
  readonly expose?: (rfb: RFB | null) => void;
}

export class VncView implements ConsoleView {
  readonly root: HTMLElement;
  private readonly status = new StatusLine();
  private readonly screen = h('div', {
    class: 'screen vnc-screen',
    role: 'region',
    'aria-label': 'VM screen',
  });
  private readonly retry = new Retry(() => void this.connect());
  private readonly inputControls: HTMLElement[] = [];
  private readonly pastePanel: HTMLElement;
  private readonly pasteText = h('textarea', {
    rows: '4',
    'aria-label': 'Text to type into the VM',
    placeholder: 'Text to type into the VM, one key press per character',
  });
  private readonly pasteProgress = h('span', { class: 'paste-progress', 'aria-live': 'polite' });
  private readonly passwordPrompt = new VncPasswordPrompt();
  private readonly keyBar = new KeyBar({
    kind: 'vnc',
    sendKey: (keysym, code, down) => this.rfb?.sendKey(keysym, code, down),
  });
  private readonly offline = new DisconnectedBanner({
    reconnectNow: () => {
      this.retry.now();
    },
    controls: () => [...this.inputControls, this.pastePanel, this.keyBar.el],
  });
  private readonly presence: VncPresence;
  private rfb: RFB | null = null;
  private scale = true;
  private state = 'unknown';
  private disposed = false;
  private pasteJob = 0;

  constructor(private readonly options: VncViewOptions) {
    const scaleButton = button('Scale to window', {
      'aria-pressed': 'true',
      title: 'Scale to window or show 1:1',
    });
    scaleButton.addEventListener('click', () => {
      this.scale = !this.scale;
      scaleButton.setAttribute('aria-pressed', String(this.scale));
      scaleButton.textContent = this.scale ? 'Scale to window' : 'Actual size (1:1)';
      if (this.rfb) this.rfb.scaleViewport = this.scale;
      this.screen.classList.toggle('unscaled', !this.scale);
    });

    const cad = button('Ctrl-Alt-Del');
    cad.addEventListener('click', () => {
      this.rfb?.sendCtrlAltDel();
      this.rfb?.focus();
    });

    const keys = sendKeysMenu((combo) => {
      this.sendChord(combo.keys);
      this.rfb?.focus();
    });

    const paste = button('Paste as keys…', {
      'aria-expanded': 'false',
      title: 'Type text from your clipboard into the VM',
    });
    const fullscreen = button('Fullscreen');
    fullscreen.addEventListener('click', () => void this.toggleFullscreen());

    const readOnly = h(
      'span',
      { class: 'badge badge-readonly', title: 'Your role may watch but not type' },
      'View only',
    );
    readOnly.hidden = options.canType;
    this.inputControls.push(cad, keys, paste, this.keyBar.toggle);
    if (!options.canType) this.keyBar.setShown(false);
    // Viewers get no input tools at all (the bridge drops their input anyway).
    for (const control of this.inputControls) control.hidden = !options.canType;

    this.pastePanel = this.buildPastePanel(paste);
    paste.addEventListener('click', () => {
      const open = this.pastePanel.hidden;
      this.pastePanel.hidden = !open;
      paste.setAttribute('aria-expanded', String(open));
      if (open) this.pasteText.focus();
    });

    this.presence = new VncPresence({
      domain: options.domain,
      canType: options.canType,
      screen: this.screen,
      focus: () => this.rfb?.focus(),
    });
    this.root = h(
      'section',
      { class: 'view vnc-view' },
      h(
        'div',
        { class: 'toolbar', role: 'toolbar', 'aria-label': 'Screen controls' },
        this.status.el,
        readOnly,
        this.presence.el,
        this.presence.recording.el,
        h('span', { class: 'spacer' }),
        scaleButton,
        cad,
        keys,
        paste,
        this.keyBar.toggle,
        fullscreen,
      ),
      this.offline.el,
      this.keyBar.el,
      this.passwordPrompt.el,
      this.presence.prompt,
      this.pastePanel,
      this.screen,
    );
    this.keyBar.watchKeyboard(this.root);
    void this.connect();
  }

  private buildPastePanel(toggle: HTMLButtonElement): HTMLElement {
    const fromClipboard = button('Read clipboard');
    fromClipboard.addEventListener('click', () => {
      navigator.clipboard.readText().then(
        (text) => {
          this.pasteText.value = text;
        },
        (error: unknown) => {
          this.pasteProgress.textContent = `clipboard not readable: ${errorText(error)}`;
        },
      );
    });
    const type = button('Type it', { class: 'primary' });
    type.addEventListener('click', () => void this.typeText(this.pasteText.value));
    const close = button('Close');
    close.addEventListener('click', () => {
      this.pasteJob += 1;
      panel.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
    });
    const panel = h(
      'div',
      { class: 'paste-panel', role: 'group', 'aria-label': 'Paste as keystrokes' },
      this.pasteText,
      h('div', { class: 'paste-actions' }, fromClipboard, type, close, this.pasteProgress),
    );
    panel.hidden = true;
    return panel;
  }

  private sendChord(keys: readonly KeyStroke[]): void {
    const rfb = this.rfb;
    if (!rfb) return;
    for (const key of keys) rfb.sendKey(key.keysym, key.code, true);
    for (const key of [...keys].reverse()) rfb.sendKey(key.keysym, key.code, false);
  }

  /** Types `text` one character at a time (a new paste or Close cancels a running one). */
  private async typeText(text: string): Promise<void> {
    const job = ++this.pasteJob;
    const chars = typeableChars(text, PASTE_MAX_CHARS);
    for (let i = 0; i < chars.length; i += 1) {
      if (job !== this.pasteJob || !this.rfb) {
        this.pasteProgress.textContent = `stopped after ${i} of ${chars.length}`;
        return;
      }
      const strokes = strokesFor(chars[i]!);
      if (strokes) this.sendChord(strokes.shift ? [SHIFT, strokes.key] : [strokes.key]);
      this.pasteProgress.textContent = `typed ${i + 1} of ${chars.length}`;
      await new Promise((resolve) => setTimeout(resolve, PASTE_INTERVAL_MS));
    }
    this.rfb?.focus();
  }

  private async toggleFullscreen(): Promise<void> {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await this.root.requestFullscreen();
  }

  private async connect(): Promise<void> {
    if (this.disposed || this.rfb) return;
    this.status.set('connecting', 'connecting…');
    let url: (params: SocketParams) => string;
    try {
      url = await socketUrl(this.options.domain, { kind: 'vnc' });
    } catch (error) {
      this.waitAndRetry(errorText(error));
      return;
    }
    // Checked again: dispose() may have run while the ticket was on its way.
    if (this.isDisposed()) return;
    const ws = new WebSocket(url({ window: WINDOW_TAG }), ['binary']);
    let closeReason = '';
    let closeCode: number | undefined;
    // Registered before noVNC's handlers, so the server's close reason ("domain stopped") is
    // known when RFB reports the disconnect.
    ws.addEventListener('close', (event) => {
      closeCode = event.code;
      closeReason = event.reason || (event.code === 1000 ? 'closed' : `connection lost (code ${event.code})`);
    });
    const rfb = new RFB(this.screen, ws, { shared: true });
    rfb.scaleViewport = this.scale;
    rfb.viewOnly = !this.options.canType;
    rfb.background = '#0b0d10';
    rfb.addEventListener('connect', () => {
      this.retry.backoff.reset();
      this.passwordPrompt.accepted();
      this.offline.connected();
      this.status.set('connected', this.options.canType ? 'connected' : 'connected (view only)');
      this.presence.connected();
    });
    rfb.addEventListener('securityfailure', (event) => {
      // QEMU's reason ends in a NUL byte: drop control characters.
      const raw = (event as CustomEvent<{ reason?: string }>).detail.reason ?? '';
      let reason = '';
      for (let i = 0; i < raw.length; i += 1) {
        const code = raw.charCodeAt(i);
        if (code >= 0x20 && code !== 0x7f) reason += raw.charAt(i);
      }
      reason = reason.trim();
      closeReason = `VNC authentication failed${reason ? `: ${reason}` : ''}`;
      this.passwordPrompt.refused(`${closeReason}; try again`);
    });
    rfb.addEventListener('credentialsrequired', () => {
      this.status.set('waiting', 'the VNC server asks for a password');
      void this.passwordPrompt.password().then((password) => {
        if (this.rfb === rfb) rfb.sendCredentials({ password });
      });
    });
    rfb.addEventListener('disconnect', () => {
      if (this.rfb === rfb) this.rfb = null;
      this.passwordPrompt.cancel();
      this.presence.disconnected();
      this.options.expose?.(null);
      if (!this.disposed) this.waitAndRetry(closeReason || 'connection lost', closeCode);
    });
    this.rfb = rfb;
    this.options.expose?.(rfb);
  }

  private waitAndRetry(reason: string, code?: number): void {
    const delay = this.retry.schedule();
    this.offline.lost({ code, reason, vmState: this.state }, delay);
    const waiting = this.state !== 'running' && this.state !== 'unknown';
    const next = waiting
      ? `VM is ${this.state}; waiting for it to start`
      : `retrying in ${Math.round(delay / 1000)} s`;
    this.status.set(waiting ? 'waiting' : 'disconnected', `disconnected: ${reason} — ${next}`);
  }

  show(focus: boolean): void {
    if (focus) this.rfb?.focus();
  }

  hide(): void {
    this.rfb?.blur();
  }

  domainState(state: string): void {
    const wasRunning = this.state === 'running';
    this.state = state;
    if (state === 'running' && !wasRunning) this.retry.restartIfWaiting();
  }

  private isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    this.retry.cancel();
    this.offline.dispose();
    this.pasteJob += 1;
    this.rfb?.disconnect();
    this.rfb = null;
    this.presence.dispose();
  }
}
