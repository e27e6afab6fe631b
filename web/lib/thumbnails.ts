// Live thumbnails for the list page (docs/control.md): one cell per running VM, kept across the
// page's re-renders, refreshed every interval while the page is visible. Each request carries
// the last ETag, so an unchanged screen costs a 304 without a body; the daemon captures a VM at
// most once per interval however many browsers ask.
import { h, replace } from './dom.js';
import { domainApiPath } from './paths.js';
import type { DomainItem } from './types.js';

const SHOWING = new Set(['running', 'blocked', 'paused']);
const DEFAULT_INTERVAL_SECONDS = 10;

interface Tile {
  readonly name: string;
  readonly cell: HTMLElement;
  etag: string | null;
  objectUrl: string | null;
  busy: boolean;
}

export interface ThumbnailCells {
  /** The thumbnail cell's content for `item` (the same element on every render while it runs). */
  cell(item: DomainItem): HTMLElement | null;
}

export function createThumbnailCells(): ThumbnailCells {
  const tiles = new Map<string, Tile>();
  let intervalSeconds = DEFAULT_INTERVAL_SECONDS;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const drop = (name: string): void => {
    const tile = tiles.get(name);
    if (!tile) return;
    if (tile.objectUrl) URL.revokeObjectURL(tile.objectUrl);
    tiles.delete(name);
  };

  function showImage(tile: Tile, blob: Blob): void {
    const url = URL.createObjectURL(blob);
    let img = tile.cell.querySelector('img');
    if (!img) {
      img = h('img', { class: 'thumb-img', alt: `Screen of ${tile.name}`, width: '160' });
      replace(tile.cell, img);
    }
    img.src = url;
    if (tile.objectUrl) URL.revokeObjectURL(tile.objectUrl);
    tile.objectUrl = url;
  }

  function showText(tile: Tile, lines: readonly string[]): void {
    // Guest output is untrusted: text only.
    const pre = h('pre', { class: 'thumb-serial', 'aria-label': `Last serial output of ${tile.name}` });
    pre.textContent = lines.length > 0 ? lines.join('\n') : '(no serial output yet)';
    replace(tile.cell, pre);
  }

  async function refresh(tile: Tile): Promise<void> {
    if (tile.busy) return;
    tile.busy = true;
    try {
      const headers: Record<string, string> = tile.etag ? { 'if-none-match': tile.etag } : {};
      // no-store: the page keeps the ETag itself, so a 304 reaches it (no body, nothing to decode).
      const response = await fetch(`${domainApiPath(tile.name)}/thumbnail`, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers,
      });
      const every = Number(response.headers.get('x-vwc-thumbnail-interval'));
      if (Number.isInteger(every) && every > 0) intervalSeconds = every;
      if (response.status === 304) return;
      if (response.status === 204) {
        // The daemon has no thumbnails: nothing to show.
        replace(tile.cell);
        tile.cell.dataset.state = 'off';
        return;
      }
      if (!response.ok) {
        tile.etag = null;
        tile.cell.dataset.state = 'error';
        return;
      }
      tile.etag = response.headers.get('etag');
      tile.cell.dataset.state = 'ok';
      tile.cell.dataset.etag = tile.etag ?? '';
      if ((response.headers.get('content-type') ?? '').startsWith('image/')) {
        showImage(tile, await response.blob());
      } else {
        const body = (await response.json()) as { lines?: unknown };
        showText(tile, Array.isArray(body.lines) ? body.lines.map(String) : []);
      }
    } catch {
      tile.cell.dataset.state = 'error';
    } finally {
      tile.busy = false;
    }
  }

  function refreshAll(): void {
    for (const [name, tile] of tiles) {
      // A row that left the page (re-rendered without it) is gone for good.
      if (!tile.cell.isConnected) drop(name);
      else void refresh(tile);
    }
  }

  function schedule(): void {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (document.visibilityState === 'visible') refreshAll();
      schedule();
    }, intervalSeconds * 1000);
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    refreshAll();
    schedule();
  });
  schedule();

  return {
    cell(item) {
      const hasPicture = item.consoles.vnc !== null || item.consoles.serials.length > 0;
      if (!SHOWING.has(item.state) || !hasPicture) {
        drop(item.name);
        return null;
      }
      let tile = tiles.get(item.name);
      if (!tile) {
        const cell = h(
          'div',
          { class: 'thumb', 'data-name': item.name },
          h('span', { class: 'thumb-wait' }, '…'),
        );
        tile = { name: item.name, cell, etag: null, objectUrl: null, busy: false };
        tiles.set(item.name, tile);
        const created = tile;
        // After the row is in the page.
        queueMicrotask(() => void refresh(created));
      }
      return tile.cell;
    },
  };
}
