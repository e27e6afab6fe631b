// An entry's routes for browsers, after the user's login (docs/fleet.md "Entry API"): the
// fleet's list and events, each row marked with its host and filtered by the user's ACL, and
// the tickets that open a console on a host. The ACL is the daemon's own `users` patterns,
// matched against the domain's name or `<host>/<domain>`; the host trusts the entry's decision.
import type { KeyObject } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { VwcError } from '../errors/index.js';
import type { AuthLocals, DomainItem, FleetHttpContext, Principal } from '../http/index.js';
import type { FleetEntryHostConfig } from '../config/index.js';
import { startEventStream } from '../http/routes/events.js';
import { subscribe } from '../http/subscribe.js';
import type { FleetRegistry, FleetRegistryEvents } from './registry.js';
import { signTicket } from './tickets.js';
import type { FleetConsole, FleetDomainItem, HostState, TicketResponse } from './types.js';

export interface EntryApiDeps {
  readonly registry: FleetRegistry;
  readonly hosts: readonly FleetEntryHostConfig[];
  readonly privateKey: KeyObject;
  readonly ticketTtlMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

const principalOf = (res: Response): Principal => (res.locals as AuthLocals).principal;

export function mayOpen(principal: Principal, host: string, domain: string): boolean {
  return principal.canSee(domain) || principal.canSee(`${host}/${domain}`);
}

/**
 * A host's row as this user sees it at the entry: their role's rights, and no power actions
 * (the entry has no route for them; the host's own site has).
 */
export function fleetRow(
  host: string,
  hostState: HostState,
  item: DomainItem,
  principal: Principal,
): FleetDomainItem {
  return {
    ...item,
    access: { role: principal.role, canType: principal.role === 'operator' },
    actions: [],
    host,
    hostState,
  };
}

function visibleRows(registry: FleetRegistry, principal: Principal): FleetDomainItem[] {
  const rows: FleetDomainItem[] = [];
  for (const { host, hostState, item } of registry.entries()) {
    if (mayOpen(principal, host, item.name)) rows.push(fleetRow(host, hostState, item, principal));
  }
  return rows;
}

const CONSOLE = /^(vnc|vnc-control|spice|serial\/(\d{1,6}))$/;

function ticketBody(body: unknown): { host: string; domain: string; console: FleetConsole } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (
    typeof b.host !== 'string' ||
    typeof b.domain !== 'string' ||
    b.domain === '' ||
    typeof b.console !== 'string' ||
    !CONSOLE.test(b.console)
  ) {
    throw new VwcError(
      'VWC_ERR_BAD_REQUEST',
      'expected JSON { host, domain, console: "vnc" | "vnc-control" | "spice" | "serial/<n>" }',
    );
  }
  return { host: b.host, domain: b.domain, console: b.console as FleetConsole };
}

function hasConsole(item: DomainItem, console: FleetConsole): boolean {
  if (console === 'vnc' || console === 'vnc-control') return item.consoles.vnc !== null;
  if (console === 'spice') return (item.consoles.spice ?? null) !== null;
  const index = Number(console.slice('serial/'.length));
  return item.consoles.serials.some((s) => s.index === index);
}

/** The host's usual WebSocket path for a console. */
export function wsPath(domain: string, console: FleetConsole): string {
  const d = encodeURIComponent(domain);
  if (console === 'vnc') return `/ws/vnc/${d}`;
  if (console === 'vnc-control') return `/ws/vnc/${d}/control`;
  if (console === 'spice') return `/ws/spice/${d}`;
  return `/ws/serial/${d}/${console.slice('serial/'.length)}`;
}

/** browserUrl + path: ws(s):// for an absolute base, a path on the entry's site otherwise. */
export function ticketUrl(browserUrl: string, path: string, ticket: string): string {
  const base = browserUrl.replace(/^http(s?):\/\//, 'ws$1://');
  return `${base}${path}?ticket=${encodeURIComponent(ticket)}`;
}

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new VwcError('VWC_ERR_NOT_FOUND', 'not found');
  return value;
}

export function entryApi(deps: EntryApiDeps): (ctx: FleetHttpContext) => RequestHandler {
  const { registry } = deps;
  const hostConfig = new Map(deps.hosts.map((h) => [h.name, h]));

  /** The host's row for this user, or the typed reason why not. */
  const lookup = (
    principal: Principal,
    host: string,
    domain: string,
  ): { item: DomainItem; state: HostState } => {
    const state = registry.state(host);
    if (state === null) throw new VwcError('VWC_ERR_FLEET_HOST_UNKNOWN', `no host "${host}" in this fleet`);
    const item = registry.get(host, domain);
    if (!item) {
      if (state === 'unreachable') {
        throw new VwcError(
          'VWC_ERR_FLEET_HOST_UNREACHABLE',
          `host "${host}" is unreachable; the entry is reconnecting`,
        );
      }
      throw new VwcError('VWC_ERR_NOT_FOUND', 'no such domain');
    }
    if (!mayOpen(principal, host, item.name))
      throw new VwcError('VWC_ERR_FORBIDDEN', 'your account may not open this domain');
    return { item, state };
  };

  return (ctx) => {
    const router = express.Router();
    router.use('/api', (_req, res, next) => {
      res.setHeader('cache-control', 'no-store');
      next();
    });

    router.get('/api/session', (_req, res) => {
      const principal = principalOf(res);
      // `fleet: 'entry'` tells the pages that consoles live on hosts (URLs /console/<host>/<domain>).
      res.json({ user: principal.user, role: principal.role, via: principal.via, fleet: 'entry' });
    });

    router.get('/api/domains', (_req, res) => {
      res.json(visibleRows(registry, principalOf(res)));
    });

    router.get('/api/fleet/hosts', (_req, res) => {
      res.json(registry.hostList());
    });

    router.get('/api/fleet/hosts/:host/domains/:domain', (req, res) => {
      const principal = principalOf(res);
      const host = param(req, 'host');
      const { item, state } = lookup(principal, host, param(req, 'domain'));
      res.json(fleetRow(host, state, item, principal));
    });

    router.post('/api/fleet/tickets', express.json({ limit: '4kb' }), (req, res) => {
      const principal = principalOf(res);
      const target = ticketBody(req.body);
      const { item, state } = lookup(principal, target.host, target.domain);
      if (state === 'unreachable') {
        throw new VwcError(
          'VWC_ERR_FLEET_HOST_UNREACHABLE',
          `host "${target.host}" is unreachable; the entry is reconnecting`,
        );
      }
      if (!hasConsole(item, target.console))
        throw new VwcError('VWC_ERR_NOT_FOUND', `domain has no ${target.console} console`);
      const { ticket, claims } = signTicket(
        deps.privateKey,
        { user: principal.user, role: principal.role, ...target, domain: item.name },
        deps.ticketTtlMs,
        deps.now(),
      );
      deps.logger.info(
        {
          audit: 'fleet-ticket',
          user: principal.user,
          host: target.host,
          domain: item.name,
          console: target.console,
        },
        'fleet ticket issued',
      );
      const browserUrl = hostConfig.get(target.host)!.browserUrl;
      const body: TicketResponse = {
        ticket,
        url: ticketUrl(browserUrl, wsPath(item.name, target.console), ticket),
        expiresAt: new Date(claims.exp).toISOString(),
      };
      res.json(body);
    });

    router.get('/api/events', (req, res) => {
      const principal = principalOf(res);
      let unsubscribe = (): void => undefined;
      const send = startEventStream(req, res, ctx, () => {
        unsubscribe();
      });
      send('snapshot', {
        domains: visibleRows(registry, principal),
        sources: [],
        hosts: registry.hostList(),
      });
      const row = (host: string, item: DomainItem): FleetDomainItem | null =>
        mayOpen(principal, host, item.name)
          ? fleetRow(host, registry.state(host) ?? 'unreachable', item, principal)
          : null;
      unsubscribe = subscribe<FleetRegistryEvents>(registry, {
        'domain-added': (host, item) => {
          const r = row(host, item);
          if (r) send('domain-added', r);
        },
        'domain-changed': (host, item) => {
          const r = row(host, item);
          if (r) send('domain-changed', r);
        },
        'domain-removed': (host, name) => {
          if (mayOpen(principal, host, name)) send('domain-removed', { name, host });
        },
        host: (name, state) => {
          send('host', { name, state });
        },
      });
    });
    return router;
  };
}
