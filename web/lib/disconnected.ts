// The disconnected state of a console view (VNC and serial alike): a banner that says why the
// link is down (the VM stopped, the daemon is not reachable, the network dropped, the server
// refused), counts down to the next automatic attempt (the view's Backoff delay), offers
// "Reconnect now", and disables the view's input controls until the link is back.
import { h, replace } from './dom.js';
import { button } from './view.js';

export type LossKind =
  'vm-stopped' | 'vm-undefined' | 'daemon-unreachable' | 'daemon-stopping' | 'refused' | 'closed' | 'network';

export interface Loss {
  readonly kind: LossKind;
  /** One sentence for the banner. */
  readonly text: string;
}

/** What the view knows when its link went down. */
export interface CloseInfo {
  /** The WebSocket close code; absent when no socket was opened (ticket request failed). */
  readonly code?: number | undefined;
  /** The server's close reason or the error's message. */
  readonly reason: string;
  /** The VM's state from the event stream (`running`, `shut off`, …; `unknown` before the first). */
  readonly vmState: string;
}

const CLOSE_DOMAIN_STOPPED = 4201; // VWC_ERR_DOMAIN_STOPPED
const CLOSE_DOMAIN_UNDEFINED = 4102; // VWC_ERR_DOMAIN_UNDEFINED
const CLOSE_GOING_AWAY = 1001; // VWC_ERR_SHUTTING_DOWN
const CLOSE_POLICY = 1008; // auth, ticket, ACL, Origin

/** The reason from what the link itself said (README error table, docs/interfaces.md). */
export function classifyClose(info: CloseInfo): Loss {
  const stopped = info.vmState !== 'running' && info.vmState !== 'unknown';
  if (info.code === CLOSE_DOMAIN_STOPPED || stopped)
    return {
      kind: 'vm-stopped',
      text: `The VM is ${stopped ? info.vmState : 'not running'}: the console comes back when it starts.`,
    };
  if (info.code === CLOSE_DOMAIN_UNDEFINED)
    return { kind: 'vm-undefined', text: 'The VM was undefined: its consoles are closed.' };
  if (info.code === CLOSE_GOING_AWAY)
    return { kind: 'daemon-stopping', text: 'The console daemon is restarting or stopping.' };
  if (info.code === CLOSE_POLICY || (info.code !== undefined && info.code >= 4000))
    return { kind: 'refused', text: `The server closed the console: ${info.reason || `code ${info.code}`}.` };
  // A normal close the page itself made (e.g. noVNC after a refused VNC password).
  if (info.code === 1000)
    return { kind: 'closed', text: `The console was closed${info.reason ? `: ${info.reason}` : ''}.` };
  return {
    kind: 'network',
    text: `The connection was lost${info.reason ? ` (${info.reason})` : ''}: network or proxy trouble.`,
  };
}

const UNREACHABLE: Loss = {
  kind: 'daemon-unreachable',
  text: 'The console daemon is not reachable (stopped, restarting, or the network is down).',
};

/** Does the daemon answer? `/healthz` is unauthenticated and cheap; a 503 means it is stopping. */
export async function probeDaemon(): Promise<'up' | 'stopping' | 'down'> {
  try {
    const response = await fetch('/healthz', { cache: 'no-store' });
    if (response.ok) return 'up';
    return response.status === 503 ? 'stopping' : 'up';
  } catch {
    return 'down';
  }
}

export interface DisconnectedOptions {
  /** Fires the pending retry at once (the view's Retry.now()). */
  readonly reconnectNow: () => void;
  /** Controls to disable while disconnected: form controls, or containers of them. */
  readonly controls: () => readonly HTMLElement[];
  readonly probe?: () => Promise<'up' | 'stopping' | 'down'>;
}

const FORM_CONTROLS = 'button, select, input, textarea';

export class DisconnectedBanner {
  readonly el = h('div', { class: 'offline', role: 'alert', 'data-kind': '' });
  private readonly text = h('span', { class: 'offline-reason' });
  private readonly countdown = h('span', { class: 'offline-countdown', 'aria-live': 'off' });
  private readonly nowButton = button('Reconnect now', { class: 'offline-now' });
  /** Controls this banner disabled (others may be disabled for their own reasons). */
  private readonly disabled = new Set<
    HTMLButtonElement | HTMLSelectElement | HTMLInputElement | HTMLTextAreaElement
  >();
  private deadline = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;
  /** Bumped on every change, so a late daemon probe does not overwrite a newer state. */
  private generation = 0;
  private loss: Loss | null = null;

  constructor(private readonly options: DisconnectedOptions) {
    this.el.hidden = true;
    this.nowButton.addEventListener('click', () => {
      this.countdown.textContent = 'Reconnecting…';
      this.options.reconnectNow();
    });
    replace(this.el, this.text, this.countdown, this.nowButton);
  }

  get kind(): LossKind | null {
    return this.loss?.kind ?? null;
  }

  /** The link is down; the next attempt is `retryInMs` away. */
  lost(info: CloseInfo, retryInMs: number): void {
    const generation = ++this.generation;
    this.render(classifyClose(info));
    this.deadline = Date.now() + retryInMs;
    this.countdown.dataset.delay = String(retryInMs);
    this.tick();
    this.ticker ??= setInterval(() => {
      this.tick();
    }, 250);
    this.disableControls();
    // The close code cannot tell "daemon gone" from "network gone": ask the daemon. A stopped
    // VM is known from the event stream and stays the reason.
    if (this.loss?.kind === 'vm-stopped' || this.loss?.kind === 'vm-undefined') return;
    void (this.options.probe ?? probeDaemon)().then((answer) => {
      if (generation !== this.generation) return;
      if (answer === 'down') this.render(UNREACHABLE);
      else if (answer === 'stopping')
        this.render(classifyClose({ code: CLOSE_GOING_AWAY, reason: '', vmState: 'unknown' }));
    });
  }

  /** The link is up again. */
  connected(): void {
    this.generation += 1;
    this.loss = null;
    this.el.hidden = true;
    this.el.dataset.kind = '';
    this.stopTicker();
    for (const control of this.disabled) control.disabled = false;
    this.disabled.clear();
  }

  dispose(): void {
    this.stopTicker();
  }

  private render(loss: Loss): void {
    this.loss = loss;
    this.el.dataset.kind = loss.kind;
    this.text.textContent = loss.text;
    this.el.hidden = false;
  }

  private tick(): void {
    const left = Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
    this.countdown.dataset.seconds = String(left);
    this.countdown.textContent = left > 0 ? `Reconnecting in ${left} s` : 'Reconnecting…';
  }

  private stopTicker(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  private disableControls(): void {
    for (const root of this.options.controls()) {
      const found = root.matches(FORM_CONTROLS) ? [root] : Array.from(root.querySelectorAll(FORM_CONTROLS));
      for (const control of found as (
        HTMLButtonElement | HTMLSelectElement | HTMLInputElement | HTMLTextAreaElement
      )[]) {
        if (control.disabled) continue;
        control.disabled = true;
        this.disabled.add(control);
      }
    }
  }
}
