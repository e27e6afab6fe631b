// Server-sent events for the list page: a snapshot, then registry changes, each filtered by the
// caller's ACL, and a comment line as heartbeat so proxies keep the stream open.
import type { Request, Response } from 'express';
import type { ConsoleHub } from '../../bridge/types.js';
import type { SourceStatus, Vm, VmRegistry } from '../../discovery/types.js';
import { visibleItems, domainItem } from '../views.js';
import { principalOf } from './api.js';

export interface EventsDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly heartbeatMs: number;
  /** Open streams, so shutdown can end them. */
  readonly streams: Set<Response>;
}

export function eventsHandler(deps: EventsDeps): (req: Request, res: Response) => void {
  const { registry, hub } = deps;
  return (req, res) => {
    const principal = principalOf(res);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // Shutdown ends the stream before discovery stops: writing after end would emit an 'error'
    // on the response that nothing listens to (an uncaught exception).
    const send = (event: string, data: unknown): void => {
      if (res.writableEnded || res.destroyed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send('snapshot', {
      domains: visibleItems(registry.snapshot(), principal, hub),
      sources: registry.sources(),
    });

    const onAdded = (vm: Vm): void => {
      if (principal.canSee(vm.name)) send('domain-added', domainItem(vm, principal, hub));
    };
    const onChanged = (vm: Vm): void => {
      if (principal.canSee(vm.name)) send('domain-changed', domainItem(vm, principal, hub));
    };
    const onRemoved = (vm: Vm): void => {
      if (principal.canSee(vm.name)) send('domain-removed', { name: vm.name });
    };
    const onSource = (_status: SourceStatus): void => {
      send('sources', registry.sources());
    };
    registry.on('vm-added', onAdded);
    registry.on('vm-changed', onChanged);
    registry.on('vm-removed', onRemoved);
    registry.on('source-status', onSource);
    const heartbeat = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(': heartbeat\n\n');
    }, deps.heartbeatMs);
    deps.streams.add(res);
    req.on('close', () => {
      clearInterval(heartbeat);
      registry.off('vm-added', onAdded);
      registry.off('vm-changed', onChanged);
      registry.off('vm-removed', onRemoved);
      registry.off('source-status', onSource);
      deps.streams.delete(res);
    });
  };
}
