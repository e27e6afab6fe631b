// Plays a VNC recording (docs/vnc.md "Recording") in noVNC: the file is read whole, its records
// decoded (the serial log's record format: src/bridge/serial/log/records.ts), and noVNC is given
// a WebSocket-like channel that answers nothing and hands it the recorded server bytes at their
// recorded times (scaled by the speed). The recording starts with a handshake that asks no
// password and a full first frame, so noVNC draws from the first record. Seeking forward hands
// over the records up to the new position at once; seeking back starts a new noVNC from the
// beginning and does the same (the stream's compression state only exists from the start).
import RFB from '@novnc/novnc';
import type { DecodedRecordingFile } from './recording-file.js';

export { decodeRecordingFile, type DecodedRecordingFile } from './recording-file.js';

/** The channel noVNC reads from (noVNC's Websock.attach checks these properties by name). */
class ReplayChannel {
  binaryType = 'arraybuffer';
  protocol = 'binary';
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  /** What noVNC sends (its handshake replies, update requests) goes nowhere. */
  send(): void {}

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: 1000, reason: 'playback closed', wasClean: true });
  }

  deliver(data: Uint8Array): void {
    if (this.readyState !== 1) return;
    // A copy: noVNC keeps what it is given.
    this.onmessage?.({ data: data.slice().buffer });
  }
}

export interface PlayerOptions {
  /** Called as the position moves (ms), and when playback reaches the end. */
  readonly onProgress?: (position: number, playing: boolean) => void;
}

export class RecordingPlayer {
  private rfb: RFB | null = null;
  private channel: ReplayChannel | null = null;
  /** Index of the next frame to hand over. */
  private next = 0;
  private position = 0;
  private playing = false;
  private speed = 1;
  /** Wall clock (performance.now()) when `position` was last set while playing. */
  private wallAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly screen: HTMLElement,
    readonly recording: DecodedRecordingFile,
    private readonly options: PlayerOptions = {},
  ) {
    this.restart();
  }

  get rfbObject(): RFB | null {
    return this.rfb;
  }

  get currentPosition(): number {
    return this.position;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  play(): void {
    if (this.playing) return;
    if (this.next >= this.recording.frames.length) this.seek(0);
    this.playing = true;
    this.wallAt = performance.now();
    this.schedule();
  }

  pause(): void {
    this.advanceClock();
    this.playing = false;
    clearTimeout(this.timer);
    this.report();
  }

  setSpeed(speed: number): void {
    this.advanceClock();
    this.speed = speed;
    if (this.playing) this.schedule();
  }

  /** Jumps to `ms` after the start: the screen as it was then. */
  seek(ms: number): void {
    const target = Math.max(0, Math.min(ms, this.recording.duration));
    if (target < this.position) this.restart();
    this.position = target;
    this.wallAt = performance.now();
    this.deliverUpTo(target);
    if (this.playing) this.schedule();
    else this.report();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.playing = false;
    this.rfb?.disconnect();
    this.rfb = null;
  }

  /** A new noVNC on a new channel, at the start of the recording. */
  private restart(): void {
    // noVNC closes the channel and takes its canvas away.
    this.rfb?.disconnect();
    const channel = new ReplayChannel();
    this.channel = channel;
    const rfb = new RFB(this.screen, channel as unknown as WebSocket, { shared: true });
    rfb.viewOnly = true;
    rfb.scaleViewport = true;
    rfb.background = '#000';
    this.rfb = rfb;
    this.next = 0;
    this.position = 0;
  }

  private advanceClock(): void {
    if (!this.playing) return;
    const now = performance.now();
    this.position = Math.min(this.recording.duration, this.position + (now - this.wallAt) * this.speed);
    this.wallAt = now;
  }

  private deliverUpTo(position: number): void {
    const { frames } = this.recording;
    while (this.next < frames.length && frames[this.next]!.at <= position) {
      this.channel?.deliver(frames[this.next]!.data);
      this.next += 1;
    }
  }

  private readonly tick = (): void => {
    this.advanceClock();
    this.deliverUpTo(this.position);
    if (this.next >= this.recording.frames.length && this.position >= this.recording.duration) {
      this.playing = false;
      this.report();
      return;
    }
    this.schedule();
  };

  private schedule(): void {
    clearTimeout(this.timer);
    const upcoming = this.recording.frames[this.next];
    const due = upcoming ? upcoming.at : this.recording.duration;
    // At most 250 ms between ticks, so the position shown moves along during a still screen.
    const delay = Math.min(250, Math.max(0, (due - this.position) / this.speed));
    this.timer = setTimeout(this.tick, delay);
    this.report();
  }

  private report(): void {
    this.options.onProgress?.(this.position, this.playing);
  }
}
