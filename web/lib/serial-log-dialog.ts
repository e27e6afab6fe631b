// The serial log dialog of the console page: a time range (from, until; empty = the whole log),
// downloads of that range (plain text, asciicast) and in-browser playback of it with
// asciinema-player (its progress bar scrubs; a speed choice; idle stretches shortened, the
// real times stay in the file). The player fetches the same asciicast download.
import * as AsciinemaPlayer from 'asciinema-player';
import { h, replace } from './dom.js';
import { serialLogPath } from './paths.js';
import { button } from './view.js';

export interface SerialLogDialogOptions {
  readonly domain: string;
  readonly index: number;
}

/** Playback speeds offered (1 = real time, idle stretches shortened). */
const SPEEDS = [0.5, 1, 2, 4, 8] as const;
/** Idle stretches longer than this play as this long (a log may be quiet for hours). */
const IDLE_LIMIT_SECONDS = 2;

/** A `datetime-local` value (local time) as ms since the epoch; undefined when empty or invalid. */
export function localTime(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** The log download of a range: the toolbar's path with `since`/`until` added. */
export function rangePath(
  domain: string,
  index: number,
  format: 'text' | 'asciicast',
  range: { readonly since?: number | undefined; readonly until?: number | undefined },
): string {
  let path = serialLogPath(domain, index, format);
  if (range.since !== undefined) path += `&since=${Math.floor(range.since)}`;
  if (range.until !== undefined) path += `&until=${Math.ceil(range.until)}`;
  return path;
}

export class SerialLogDialog {
  /** The toolbar button that opens the dialog. */
  readonly button = button('Log…', {
    class: 'log-range',
    title: 'Download or play back this console’s log for a time range',
    'aria-haspopup': 'dialog',
  });
  private readonly dialog = h('dialog', { class: 'serial-log-dialog', 'aria-label': 'Console log' });
  private readonly from = h('input', { type: 'datetime-local', step: '1', name: 'since' });
  private readonly until = h('input', { type: 'datetime-local', step: '1', name: 'until' });
  private readonly speed = h('select', { name: 'speed', 'aria-label': 'Playback speed' });
  private readonly textLink = h('a', { class: 'button', download: '' }, 'Download text');
  private readonly castLink = h('a', { class: 'button', download: '' }, 'Download recording');
  private readonly playButton = button('Play', { class: 'play' });
  private readonly note = h('p', { class: 'range-note', role: 'status' });
  private readonly stage = h('div', { class: 'player', 'aria-label': 'Log playback' });
  private player: AsciinemaPlayer.Player | null = null;

  constructor(private readonly options: SerialLogDialogOptions) {
    for (const speed of SPEEDS)
      this.speed.append(h('option', { value: String(speed), selected: speed === 1 }, `${speed}×`));
    const closeButton = button('Close', { class: 'close' });
    this.dialog.append(
      h('h2', {}, `Log of serial ${options.index}`),
      h('div', { class: 'range' }, h('label', {}, 'From ', this.from), h('label', {}, 'Until ', this.until)),
      this.note,
      h(
        'div',
        { class: 'actions' },
        this.textLink,
        this.castLink,
        this.playButton,
        h('label', {}, 'Speed ', this.speed),
        closeButton,
      ),
      this.stage,
    );
    this.button.addEventListener('click', () => {
      this.open();
    });
    closeButton.addEventListener('click', () => {
      this.dialog.close();
    });
    this.dialog.addEventListener('close', () => {
      this.stop();
    });
    for (const input of [this.from, this.until])
      input.addEventListener('input', () => {
        this.renderLinks();
      });
    this.playButton.addEventListener('click', () => {
      this.play(0);
    });
    this.speed.addEventListener('change', () => {
      // The player takes its speed at creation: a new one, from where this one is.
      if (this.player) this.play(this.player.getCurrentTime());
    });
    this.renderLinks();
  }

  /** The dialog element: the page puts it anywhere (it shows modal, above everything). */
  get element(): HTMLDialogElement {
    return this.dialog;
  }

  open(): void {
    if (!this.dialog.isConnected) document.body.append(this.dialog);
    this.renderLinks();
    this.dialog.showModal();
  }

  private range(): { since: number | undefined; until: number | undefined } {
    return { since: localTime(this.from.value), until: localTime(this.until.value) };
  }

  private renderLinks(): void {
    const range = this.range();
    const { domain, index } = this.options;
    this.textLink.href = rangePath(domain, index, 'text', range);
    this.castLink.href = rangePath(domain, index, 'asciicast', range);
    const backwards = range.since !== undefined && range.until !== undefined && range.until < range.since;
    this.note.textContent = backwards
      ? '“Until” is before “From”: the range is empty.'
      : range.since === undefined && range.until === undefined
        ? 'The whole log (empty fields: from the start, until now).'
        : '';
  }

  private play(startAt: number): void {
    this.stop();
    const { domain, index } = this.options;
    const url = rangePath(domain, index, 'asciicast', this.range());
    const container = h('div', { class: 'player-host' });
    replace(this.stage, container);
    this.player = AsciinemaPlayer.create({ url, fetchOpts: { credentials: 'same-origin' } }, container, {
      autoPlay: true,
      speed: Number(this.speed.value) || 1,
      idleTimeLimit: IDLE_LIMIT_SECONDS,
      startAt,
      fit: 'width',
      controls: true,
      terminalFontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace',
    });
  }

  private stop(): void {
    this.player?.dispose();
    this.player = null;
    replace(this.stage);
  }
}
