// Presence and the input lock on the VNC tab. The RFB socket carries only RFB, so this opens the
// VM's control channel (/ws/vnc/<domain>/control?window=<tag>, JSON; docs/vnc.md "Control lock")
// while the screen is connected: who watches (chips), who holds the keyboard, a Take control
// button, and the "read-only here" prompt when this window types or clicks without control.
import { h } from './dom.js';
import { LockPrompt } from './lock-prompt.js';
import { socketUrl, type SocketParams } from './socket-url.js';
import { WINDOW_TAG, holderName, renderChips } from './presence.js';
import type { Role, VncControl } from './types.js';
import { button, errorText } from './view.js';
import { RecordingBadge } from './vnc-recording.js';

type Message = VncControl;
type Hello = Extract<Message, { type: 'hello' }>;
type Lock = Extract<Message, { type: 'lock' }>;

/** A control channel that closes while the screen is up is opened again after this. */
const REOPEN_MS = 2000;

export interface VncPresenceOptions {
  readonly domain: string;
  readonly canType: boolean;
  /** The screen element: key presses and clicks in it without control show the prompt. */
  readonly screen: HTMLElement;
  /** Gives the keyboard back to the screen after Take control. */
  readonly focus: () => void;
}

export class VncPresence {
  /** Lock state, Take control and the chips, for the view's toolbar. */
  readonly el: HTMLElement;
  /** The inline prompt, for above the screen. */
  readonly prompt: HTMLElement;
  private readonly lockText = h('span', { class: 'lock', 'aria-label': 'Keyboard and mouse' });
  private readonly takeButton = button('Take control', { class: 'take-control' });
  private readonly chips = h('ul', { class: 'presence', 'aria-label': 'Attached windows' });
  private readonly lockPrompt: LockPrompt;
  /** The "● Recording" badge and the operators' Record button, for the toolbar. */
  readonly recording: RecordingBadge;
  private ws: WebSocket | null = null;
  private wanted = false;
  private reopen: ReturnType<typeof setTimeout> | undefined;
  private user: string | null = null;
  private role: Role;
  private mode: Hello['mode'] = 'exclusive';
  private holder: Lock['holder'] = null;
  private clients: Hello['clients'] = [];
  private total = 0;
  /** The last lock change took the keyboard from this window. */
  private tookFromMe = false;

  constructor(private readonly options: VncPresenceOptions) {
    this.role = options.canType ? 'operator' : 'viewer';
    this.recording = new RecordingBadge(options.domain, options.canType);
    this.lockPrompt = new LockPrompt(() => {
      this.take();
    });
    this.prompt = this.lockPrompt.el;
    this.takeButton.addEventListener('click', () => {
      if (this.mine()) this.send('release-lock');
      else this.take();
    });
    this.el = h('span', { class: 'vnc-presence' }, this.lockText, this.takeButton, this.chips);
    this.el.hidden = true;
    // Capture: noVNC stops the events on its canvas.
    const refused = (): void => {
      if (this.readOnlyHere()) this.lockPrompt.show(this.holder);
    };
    options.screen.addEventListener('keydown', refused, true);
    options.screen.addEventListener('mousedown', refused, true);
  }

  /** The screen connected: open the control channel. */
  connected(): void {
    this.wanted = true;
    void this.open();
  }

  /** The screen went away: so does its presence. */
  disconnected(): void {
    this.wanted = false;
    clearTimeout(this.reopen);
    this.ws?.close(1000, 'screen closed');
    this.ws = null;
    this.el.hidden = true;
    this.lockPrompt.hide();
  }

  dispose(): void {
    this.disconnected();
  }

  private async open(): Promise<void> {
    if (!this.wanted || this.ws) return;
    let url: (params: SocketParams) => string;
    try {
      url = await socketUrl(this.options.domain, { kind: 'vnc-control' });
    } catch (error) {
      this.lockText.textContent = `presence unavailable: ${errorText(error)}`;
      this.scheduleReopen();
      return;
    }
    // Checked again: the screen may have gone, or another open won, while the ticket came.
    if (!this.stillWanted()) return;
    const ws = new WebSocket(url({ window: WINDOW_TAG }));
    this.ws = ws;
    ws.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data === 'string') this.onMessage(event.data);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReopen();
    });
  }

  private stillWanted(): boolean {
    return this.wanted && this.ws === null;
  }

  private scheduleReopen(): void {
    if (!this.wanted) return;
    clearTimeout(this.reopen);
    this.reopen = setTimeout(() => void this.open(), REOPEN_MS);
  }

  private onMessage(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        this.user = message.user;
        this.role = message.role;
        this.mode = message.mode;
        this.holder = message.holder;
        this.clients = message.clients;
        this.total = message.count;
        this.el.hidden = false;
        this.recording.update(message.recording);
        break;
      case 'recording':
        this.recording.update(message.recording);
        return;
      case 'presence':
        this.clients = message.clients;
        this.total = message.count;
        break;
      case 'lock': {
        const lost = message.previous !== null && this.isMe(message.previous) && !this.isMe(message.holder);
        this.mode = message.mode;
        this.holder = message.holder;
        if (!message.inputDropped) this.tookFromMe = lost;
        else this.lockPrompt.show(this.holder);
        break;
      }
      case 'error':
        this.lockText.textContent = message.message;
        return;
    }
    this.render();
  }

  private isMe(who: { readonly user: string; readonly window?: string } | null): boolean {
    return who !== null && who.window === WINDOW_TAG && who.user === this.user;
  }

  private mine(): boolean {
    return this.isMe(this.holder);
  }

  private readOnlyHere(): boolean {
    return (
      this.ws !== null &&
      this.role === 'operator' &&
      this.mode === 'exclusive' &&
      this.holder !== null &&
      !this.mine()
    );
  }

  private take(): void {
    this.send('take-lock');
    this.options.focus();
  }

  private send(type: 'take-lock' | 'release-lock'): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type }));
  }

  private render(): void {
    const mine = this.mine();
    if (this.mode === 'shared') this.lockText.textContent = 'Shared input: every operator types';
    else if (this.holder === null) this.lockText.textContent = 'Keyboard free';
    else if (mine) this.lockText.textContent = 'You have the keyboard';
    else if (this.tookFromMe) this.lockText.textContent = `${holderName(this.holder)} took control from you`;
    else this.lockText.textContent = `Keyboard: ${holderName(this.holder)}`;
    this.lockText.dataset.holder = this.holder?.user ?? '';
    if (mine || this.holder === null || this.mode === 'shared') this.lockPrompt.hide();
    this.takeButton.hidden = this.role === 'viewer' || this.mode === 'shared';
    this.takeButton.textContent = mine ? 'Release control' : 'Take control';
    // This window's seat: the newest one with its tag (a reconnect may overlap the old one).
    const me = this.clients.filter((c) => this.isMe(c)).at(-1)?.id ?? null;
    renderChips(this.chips, this.clients, { me, holder: this.holder?.id ?? null, total: this.total });
  }
}
