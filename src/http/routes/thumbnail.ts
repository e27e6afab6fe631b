// GET /api/domains/<name>/thumbnail (docs/control.md): the list page's picture of a running VM.
// A PNG of its screen with an ETag (304 when the browser has it), or, for a VM without a screen,
// the last lines of its first serial console as JSON. Viewers may see thumbnails.
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { ConsoleHub } from '../../bridge/types.js';
import {
  canCaptureScreen,
  serialTailLines,
  SERIAL_TAIL_BYTES,
  type ThumbnailService,
} from '../../control/thumbnails/index.js';
import type { VmRegistry } from '../../discovery/types.js';
import { VwcError } from '../../errors/index.js';
import { principalOf, visibleVm } from './api.js';

export interface ThumbnailRouteDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly thumbnails: ThumbnailService;
  /** Sent as `x-vwc-thumbnail-interval`: how often the page should ask again. */
  readonly intervalSeconds: number;
}

const SHOWING = new Set(['running', 'blocked', 'paused']);

/** 304 when the browser already holds `etag` (If-None-Match, possibly a list, possibly weak). */
function sendTagged(req: Request, res: Response, etag: string, type: string, body: Buffer | string): void {
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('etag', etag);
  const asked = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (asked.includes(etag) || asked.includes('*')) {
    res.status(304).end();
    return;
  }
  res.setHeader('content-type', type);
  res.end(body);
}

export function thumbnailHandler(deps: ThumbnailRouteDeps): RequestHandler {
  return async (req, res) => {
    const vm = visibleVm(deps.registry, principalOf(res), String(req.params.name));
    if (!SHOWING.has(vm.state)) throw new VwcError('VWC_ERR_DOMAIN_STOPPED', 'domain is not running');
    res.setHeader('x-vwc-thumbnail-interval', String(deps.intervalSeconds));
    if (canCaptureScreen(vm)) {
      const thumbnail = await deps.thumbnails.get(vm);
      sendTagged(req, res, thumbnail.etag, 'image/png', thumbnail.png);
      return;
    }
    const serial = vm.serials[0];
    if (!serial) {
      throw new VwcError('VWC_ERR_THUMBNAIL_UNAVAILABLE', 'this VM has no screen and no serial console');
    }
    // Nothing is captured: the hub keeps every serial console's history anyway.
    const end = deps.hub.readSerialHistory(vm.name, serial.index, Number.MAX_SAFE_INTEGER, 0)?.end ?? 0;
    const read = deps.hub.readSerialHistory(
      vm.name,
      serial.index,
      Math.max(0, end - SERIAL_TAIL_BYTES),
      SERIAL_TAIL_BYTES,
    );
    const body = JSON.stringify({
      domain: vm.name,
      kind: 'serial',
      index: serial.index,
      lines: read ? serialTailLines(read.data) : [],
    });
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    sendTagged(req, res, etag, 'application/json; charset=utf-8', body);
  };
}
