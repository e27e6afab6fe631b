// Server-sent events for the list page: a snapshot, then registry changes, each filtered by the
// caller's ACL, and a comment line as heartbeat so proxies keep the stream open. A page that stops
// reading has its stream cut once too much is buffered for it: its EventSource reconnects by
// itself and gets a fresh snapshot, so nothing is lost and the daemon's memory stays bounded.
import type { Request, Response } from 'express';
import type { ConsoleHub } from '../../bridge/types.js';
import type { Vm, VmRegistry } from '../../discovery/types.js';
import { subscribe } from '../subscribe.js';
import { visibleItems, domainItem } from '../views.js';
import { principalOf } from './api.js';

export interface EventsDeps extends EventStreamOptions {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  /**
   * Events of the stream's own besides the registry's (a fleet host's session revocations):
   * called before the snapshot, so they come first; returns what stops them.
   */
  readonly extra?: (send: SendEvent) => () => void;
}

export type SendEvent = (event: string, data: unknown) => void;

export interface EventStreamOptions {
  readonly heartbeatMs: number;
  /** Unsent bytes (response + socket buffers) past which the stream is cut. */
  readonly maxBufferedBytes: number;
  /** Open streams, so shutdown can end them. */
  readonly streams: Set<Response>;
}

/**
 * Starts a server-sent event stream on `res`: the headers, a heartbeat, the cut of a reader that
 * fell too far behind, and `cleanup` when the client goes. Returns the function that sends an
 * event. (The entry's fleet stream uses it too: src/fleet/entry-api.ts.)
 */
export function startEventStream(
  req: Request,
  res: Response,
  options: EventStreamOptions,
  cleanup: () => void,
): SendEvent {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  // Shutdown ends the stream before discovery stops: writing after end would emit an 'error'
  // on the response that nothing listens to (an uncaught exception).
  const write = (text: string): void => {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > options.maxBufferedBytes) {
      // Not reading: cut it (req 'close' below cleans up) rather than buffer every change.
      res.destroy();
      return;
    }
    res.write(text);
  };
  const heartbeat = setInterval(() => {
    write(': heartbeat\n\n');
  }, options.heartbeatMs);
  options.streams.add(res);
  req.on('close', () => {
    clearInterval(heartbeat);
    options.streams.delete(res);
    cleanup();
  });
  return (event, data) => {
    write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}

export function eventsHandler(deps: EventsDeps): (req: Request, res: Response) => void {
  const { registry, hub } = deps;
  return (req, res) => {
    const principal = principalOf(res);
    let unsubscribe = (): void => undefined;
    let stopExtra = (): void => undefined;
    const send = startEventStream(req, res, deps, () => {
      unsubscribe();
      stopExtra();
    });
    if (deps.extra) stopExtra = deps.extra(send);
    send('snapshot', {
      domains: visibleItems(registry.snapshot(), principal, hub),
      sources: registry.sources(),
    });
    unsubscribe = subscribe(registry, {
      'vm-added': (vm: Vm) => {
        if (principal.canSee(vm.name)) send('domain-added', domainItem(vm, principal, hub));
      },
      'vm-changed': (vm: Vm) => {
        if (principal.canSee(vm.name)) send('domain-changed', domainItem(vm, principal, hub));
      },
      'vm-removed': (vm: Vm) => {
        if (principal.canSee(vm.name)) send('domain-removed', { name: vm.name });
      },
      'source-status': () => {
        send('sources', registry.sources());
      },
    });
  };
}
