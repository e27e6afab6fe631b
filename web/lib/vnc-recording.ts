// The recording badge of the VNC tab (docs/vnc.md "Recording"): "● Recording" for everyone
// watching while the screen is recorded (pushed on the VNC control channel), Start/Stop
// recording for operators, and a link to the domain's recordings.
import { ApiError, fetchJson } from './api.js';
import { h } from './dom.js';
import { domainApiPath, recordingsPagePath } from './paths.js';
import type { VncRecordingInfo } from './types.js';
import { button, errorText } from './view.js';

export class RecordingBadge {
  readonly el: HTMLElement;
  private readonly badge = h(
    'span',
    { class: 'badge badge-recording', role: 'status', 'aria-live': 'polite' },
    '● Recording',
  );
  private readonly toggle = button('Record', { class: 'record-toggle' });
  private readonly error = h('span', { class: 'record-error', role: 'alert' });
  private recording: VncRecordingInfo | null = null;

  constructor(
    private readonly domain: string,
    canRecord: boolean,
  ) {
    const link = h(
      'a',
      { class: 'recordings-link', href: recordingsPagePath(domain), target: '_blank', rel: 'noopener' },
      'Recordings',
    );
    this.badge.hidden = true;
    this.toggle.hidden = !canRecord;
    link.hidden = !canRecord;
    this.toggle.addEventListener('click', () => void this.flip());
    this.el = h('span', { class: 'vnc-recording' }, this.badge, this.toggle, link, this.error);
  }

  /** The recording state, from the control channel's hello or a `recording` message. */
  update(recording: VncRecordingInfo | null | undefined): void {
    // A server without recording sends no `recording` in its hello: not recording.
    this.recording = recording ?? null;
    this.badge.hidden = !recording;
    this.badge.title = recording
      ? `Recorded since ${new Date(recording.since).toLocaleTimeString()} (started by ${recording.by})`
      : '';
    this.toggle.textContent = recording ? 'Stop recording' : 'Record';
  }

  private async flip(): Promise<void> {
    const action = this.recording ? 'stop' : 'start';
    this.toggle.disabled = true;
    this.error.textContent = '';
    try {
      const answer = await fetchJson<{ recording: VncRecordingInfo | null }>(
        `${domainApiPath(this.domain)}/recording/${action}`,
        { method: 'POST' },
      );
      this.update(answer.recording);
    } catch (error) {
      this.error.textContent = error instanceof ApiError ? error.message : errorText(error);
    } finally {
      this.toggle.disabled = false;
    }
  }
}
