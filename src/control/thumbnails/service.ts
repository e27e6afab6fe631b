// The thumbnail cache: per VM the last PNG and its ETag. A VM is captured only when a browser
// asks, at most once per interval however many browsers ask (requests during a capture share
// it; a failure is remembered for the interval too, so a broken VM is not hammered), and at most
// `maxConcurrent` captures run at once. The queue behind them holds at most one capture per VM
// (single-flight), so it is bounded by the number of VMs.
import { createHash } from 'node:crypto';
import type { Vm } from '../../discovery/types.js';
import { VwcError, isVwcError } from '../../errors/index.js';

export interface Thumbnail {
  readonly png: Buffer;
  /** A strong ETag from the PNG's bytes: an unchanged screen keeps its ETag across captures. */
  readonly etag: string;
  /** ms (the service's clock) when the capture finished. */
  readonly capturedAt: number;
}

export interface ThumbnailServiceDeps {
  /** The raw screenshot (PPM or PNG bytes). */
  readonly capture: (vm: Vm) => Promise<Buffer>;
  /** Raw screenshot → thumbnail PNG; throws a VwcError for an unreadable one. */
  readonly convert: (raw: Buffer) => Buffer;
  readonly intervalMs: number;
  readonly maxConcurrent: number;
  readonly now?: () => number;
  /** Told each capture's outcome (metrics). */
  readonly onCapture?: (result: 'ok' | 'error') => void;
}

export interface ThumbnailService {
  /** The VM's thumbnail, captured now only when the last capture is older than the interval. */
  get(vm: Vm): Promise<Thumbnail>;
  /** Drops what is kept for `name` (the VM stopped or went away). */
  forget(name: string): void;
  /** Entries kept (tests, metrics). */
  readonly size: number;
}

interface Entry {
  /** When the last capture (or failure) finished; a new one is due an interval later. */
  at: number;
  thumbnail: Thumbnail | null;
  error: VwcError | null;
  /** Digest of the last raw capture: an unchanged screen is not converted again. */
  rawDigest: string | null;
  /** The capture under way or waiting for a slot, shared by every request meanwhile. */
  pending: Promise<Thumbnail> | null;
  /** Bumped by forget(): a capture that finishes for a forgotten VM is not kept. */
  generation: number;
}

export function createThumbnailService(deps: ThumbnailServiceDeps): ThumbnailService {
  const now = deps.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let running = 0;
  const waiting: (() => void)[] = [];

  const slot = async (): Promise<void> => {
    if (running < deps.maxConcurrent) {
      running += 1;
      return;
    }
    // The slot is handed over by release(): `running` stays counted for the waiter.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  /** Capture, and convert unless the screen is byte for byte what it was last time. */
  async function fresh(vm: Vm, entry: Entry): Promise<Thumbnail> {
    const raw = await deps.capture(vm);
    // Hashing the capture (native) costs less than decoding, scaling and encoding it again.
    const rawDigest = createHash('sha1').update(raw).digest('base64url');
    const last = entry.thumbnail;
    if (last && entry.rawDigest === rawDigest) return { ...last, capturedAt: now() };
    const png = deps.convert(raw);
    entry.rawDigest = rawDigest;
    // A capture sent as it is (a small PNG) already has its digest.
    const etag = `"${png === raw ? rawDigest : createHash('sha1').update(png).digest('base64url')}"`;
    return { png, etag, capturedAt: now() };
  }

  async function captureOnce(vm: Vm, entry: Entry): Promise<Thumbnail> {
    await slot();
    try {
      const thumbnail = await fresh(vm, entry);
      deps.onCapture?.('ok');
      return thumbnail;
    } catch (error) {
      deps.onCapture?.('error');
      throw error;
    } finally {
      release();
    }
  }

  return {
    get(vm) {
      let entry = entries.get(vm.name);
      if (!entry) {
        entry = {
          at: -Infinity,
          thumbnail: null,
          error: null,
          rawDigest: null,
          pending: null,
          generation: 0,
        };
        entries.set(vm.name, entry);
      }
      if (entry.pending) return entry.pending;
      if (now() - entry.at < deps.intervalMs) {
        if (entry.thumbnail) return Promise.resolve(entry.thumbnail);
        if (entry.error) return Promise.reject(entry.error);
      }
      const current = entry;
      const generation = current.generation;
      const pending = captureOnce(vm, current).then(
        (thumbnail) => {
          if (current.generation === generation) {
            Object.assign(current, { at: thumbnail.capturedAt, thumbnail, error: null, pending: null });
          }
          return thumbnail;
        },
        (error: unknown) => {
          const vwc = isVwcError(error)
            ? error
            : new VwcError('VWC_ERR_THUMBNAIL_FAILED', 'capture failed', { cause: error });
          // Nothing cached from a failed capture: the old picture is dropped with it, since a
          // screen that cannot be read now may show something else than the last one did.
          if (current.generation === generation) {
            Object.assign(current, {
              at: now(),
              thumbnail: null,
              error: vwc,
              rawDigest: null,
              pending: null,
            });
          }
          throw vwc;
        },
      );
      current.pending = pending;
      return pending;
    },
    forget(name) {
      const entry = entries.get(name);
      if (!entry) return;
      entry.generation += 1;
      entries.delete(name);
    },
    get size() {
      return entries.size;
    },
  };
}
