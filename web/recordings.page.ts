// The recordings page (`/recordings/<domain>[/<id>]`, docs/vnc.md "Recording"): the domain's
// VNC recordings with Play and Download, and the player (noVNC fed from the file) for the one
// in the URL. The domain name comes from the URL (one decodeURIComponent of its segment).
import { ApiError, fetchJson } from './lib/api.js';
import { byId, h, replace } from './lib/dom.js';
import { consolePath, domainApiPath, recordingsPagePath } from './lib/paths.js';
import { RecordingPlayer, decodeRecordingFile } from './lib/recording-player.js';
import { showSession } from './lib/session.js';
import type { RecordingSummary } from './lib/types.js';
import { button, errorText } from './lib/view.js';

type Summary = RecordingSummary;

/** What end-to-end tests read. */
declare global {
  interface Window {
    __vwcPlayer?: RecordingPlayer;
  }
}

const SPEEDS = [0.5, 1, 2, 4, 8, 16];

function parsePath(pathname: string): { domain: string; id: string | null } | null {
  const match = /^\/recordings\/([^/]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return { domain: decodeURIComponent(match[1]!), id: match[2] ? decodeURIComponent(match[2]) : null };
  } catch {
    return null;
  }
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hours > 0 ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function notice(text: string): void {
  replace(byId('notices'), h('p', { class: 'notice notice-error' }, text));
}

function fileUrl(domain: string, id: string, play: boolean): string {
  return `${domainApiPath(domain)}/recordings/${encodeURIComponent(id)}${play ? '?play=1' : ''}`;
}

function renderList(domain: string, list: readonly Summary[], current: string | null): void {
  const body = byId('recordings').querySelector('tbody')!;
  if (list.length === 0) {
    replace(body, h('tr', {}, h('td', { colspan: '6' }, 'No recordings yet.')));
    return;
  }
  replace(
    body,
    ...list.map((r) =>
      h(
        'tr',
        { 'data-id': r.id, class: r.id === current ? 'current' : undefined },
        h('td', {}, new Date(r.started).toLocaleString(), r.active ? ' (recording)' : ''),
        h('td', {}, clock(r.ended - r.started)),
        h('td', {}, size(r.bytes)),
        h('td', {}, r.by),
        h('td', {}, r.width > 0 ? `${r.width}×${r.height}` : ''),
        h(
          'td',
          { class: 'actions' },
          h('a', { href: recordingsPagePath(domain, r.id), class: 'play' }, 'Play'),
          ' ',
          h('a', { href: fileUrl(domain, r.id, false), class: 'download', download: '' }, 'Download'),
        ),
      ),
    ),
  );
}

async function showPlayer(domain: string, id: string): Promise<void> {
  const section = byId('player');
  section.hidden = false;
  const status = h('span', { class: 'status', role: 'status' }, 'Loading the recording…');
  replace(section, h('h2', {}, `Recording ${id}`), status);
  const response = await fetch(fileUrl(domain, id, true), { credentials: 'same-origin' });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  }
  const recording = decodeRecordingFile(await response.arrayBuffer());
  const screen = h('div', { class: 'vnc-screen player-screen' });
  const playButton = button('Play', { class: 'play-toggle' });
  const scrub = h('input', {
    type: 'range',
    min: '0',
    max: String(Math.max(1, Math.round(recording.duration))),
    value: '0',
    step: '100',
    'aria-label': 'Position',
    class: 'scrub',
  });
  const time = h('span', { class: 'time' });
  const speed = h(
    'select',
    { 'aria-label': 'Speed', class: 'speed' },
    ...SPEEDS.map((s) => h('option', { value: String(s), selected: s === 1 }, `${s}×`)),
  );
  let dragging = false;
  const player = new RecordingPlayer(screen, recording, {
    onProgress: (position, playing) => {
      if (!dragging) scrub.value = String(Math.round(position));
      time.textContent = `${clock(position)} / ${clock(recording.duration)}`;
      playButton.textContent = playing ? 'Pause' : 'Play';
    },
  });
  window.__vwcPlayer = player;
  playButton.addEventListener('click', () => {
    if (player.isPlaying) player.pause();
    else player.play();
  });
  scrub.addEventListener('input', () => {
    dragging = true;
  });
  scrub.addEventListener('change', () => {
    dragging = false;
    player.seek(Number(scrub.value));
  });
  speed.addEventListener('change', () => {
    player.setSpeed(Number(speed.value));
  });
  const start = recording.start;
  status.textContent = start
    ? `${new Date(recording.startTime).toLocaleString()}, started by ${start.by}` +
      (recording.endReason ? `; ended: ${recording.endReason}` : '')
    : '';
  replace(
    section,
    h('h2', {}, `Recording ${id}`),
    status,
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Playback controls' },
      playButton,
      scrub,
      time,
      speed,
    ),
    screen,
  );
  player.play();
}

async function main(): Promise<void> {
  void showSession(byId('session'));
  const where = parsePath(location.pathname);
  if (!where) {
    notice('This address names no domain: /recordings/<domain>[/<recording>]');
    return;
  }
  byId('domain-name').textContent = where.domain;
  byId('console-link').setAttribute('href', consolePath(where.domain));
  document.title = `Recordings of ${where.domain} · virt-webconsole`;
  try {
    const answer = await fetchJson<{ recordings: Summary[] }>(`${domainApiPath(where.domain)}/recordings`);
    renderList(where.domain, answer.recordings, where.id);
  } catch (error) {
    notice(error instanceof ApiError ? error.message : errorText(error));
    return;
  }
  if (where.id) {
    await showPlayer(where.domain, where.id).catch((error: unknown) => {
      notice(`Cannot play this recording: ${errorText(error)}`);
    });
  }
}

void main();
