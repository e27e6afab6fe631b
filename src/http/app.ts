// Builds the express app and the upgrade handler without listening: tests mount them on a
// server on port 0, the daemon on the configured address.
import type { ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { ConsoleHub, Role } from '../bridge/types.js';
import type { PowerAction, PowerControl } from '../control/index.js';
import type { Config } from '../config/index.js';
import type { VmRegistry } from '../discovery/types.js';
import { VwcError, isVwcError } from '../errors/index.js';
import { createAccessPolicy } from './access.js';
import { Authenticator, type AuthLocals } from './auth/authenticate.js';
import { LoginRateLimiter } from './auth/rate-limit.js';
import { SessionStore, type SessionRevocations } from './auth/sessions.js';
import { TicketStore } from './auth/tickets.js';
import type { UserStore } from './auth/users.js';
import { createClientResolver, originAllowed } from './client.js';
import { securityHeaders } from './headers.js';
import { safeUrl } from './log.js';
import { metricsHandler, type MetricsEndpoint } from './metrics.js';
import { sendError } from './respond.js';
import { apiRouter } from './routes/api.js';
import { eventsHandler } from './routes/events.js';
import { loginRouter } from './routes/login.js';
import { pagesRouter } from './routes/pages.js';
import { thumbnailHandler, type ThumbnailRouteDeps } from './routes/thumbnail.js';
import { UpgradeHandler, type FleetTicketCheck } from './upgrade.js';

export type HttpConfig = Pick<
  Config,
  | 'tls'
  | 'users'
  | 'allowedOrigins'
  | 'trustedProxies'
  | 'ticketTtlSeconds'
  | 'loginRateLimit'
  | 'sessions'
  | 'webDir'
>;

/** What the fleet's routes get from the app (src/fleet). */
export interface FleetHttpContext {
  /** Open SSE streams, so shutdown ends the fleet's too. */
  readonly streams: Set<Response>;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
}

/** The fleet's hooks (src/fleet, docs/fleet.md); absent on a standalone host. */
export interface FleetHttp {
  /** Before login: a host's API for entries, behind its own Bearer token. */
  readonly beforeAuth?: (ctx: FleetHttpContext) => RequestHandler;
  /** After login and the Origin check, ahead of the daemon's own API: an entry's routes. */
  readonly afterAuth?: (ctx: FleetHttpContext) => RequestHandler;
  /** A host's check of an entry's ticket on a WebSocket upgrade. */
  readonly upgradeTicket?: FleetTicketCheck;
  /** An entry's seal of login-session ids, shared by its sibling entries (auth/sessions.ts). */
  readonly sessionSeal?: Buffer;
  /** An entry's logouts, spread to its siblings through the hosts (auth/sessions.ts). */
  readonly sessionRevocations?: SessionRevocations;
}

export interface HttpDeps {
  readonly config: HttpConfig;
  readonly logger: Logger;
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly users: UserStore;
  /**
   * Failed logins per address; pass one to share it with another front door (the SSH server),
   * so a guess over SSH counts against the same address over HTTP. Made here when absent.
   */
  readonly limiter?: LoginRateLimiter;
  /** Clock for tickets, login sessions and the rate limiter (ms). */
  readonly now?: () => number;
  readonly heartbeatMs?: number;
  /** WebSocket ping interval; a socket silent for one whole interval is cut (default 30 s). */
  readonly pingIntervalMs?: number;
  /** Unsent bytes past which an event stream is cut (default 1 MiB; the page reconnects). */
  readonly eventsMaxBufferedBytes?: number;
  /** Power actions (src/control); without them the action route answers 404. */
  readonly power?: PowerControl;
  /** Who may list, play back and download VNC recordings (vncRecording.readableBy); operators by default. */
  readonly recordingReaders?: Role;
  /** Told each power action's outcome (metrics). */
  readonly onAction?: (action: PowerAction, result: 'ok' | 'error') => void;
  /** List-page thumbnails (src/control/thumbnails); absent = the route answers 204 (no picture). */
  readonly thumbnails?: Pick<ThumbnailRouteDeps, 'thumbnails' | 'intervalSeconds'>;
  /** `GET /metrics` (outside Basic auth, with its own access rule); absent = no such route. */
  readonly metrics?: MetricsEndpoint;
  /** The daemon's version for /api/version and /healthz; default `unknown`. */
  readonly version?: string;
  /** Fleet roles (src/fleet): a host's API and ticket check, an entry's routes. */
  readonly fleet?: FleetHttp;
}

export interface HttpApp {
  readonly app: Express;
  readonly upgrades: UpgradeHandler;
  /** Open SSE streams. */
  readonly streams: Set<Response>;
  /** Makes /healthz answer 503 and new upgrades 503. */
  markShuttingDown(): void;
  /**
   * Applies new per-user ACLs to every request and upgrade from now on (SIGHUP). Open consoles
   * stay: their user was allowed when they opened.
   */
  setUsers(users: HttpConfig['users']): void;
  /** Ends the login sessions whose user left the users file or has a new password (SIGHUP). */
  endStaleSessions(): number;
}

export function createHttpApp(deps: HttpDeps): HttpApp {
  const { config, logger, registry, hub } = deps;
  const now = deps.now ?? Date.now;
  const clientOf = createClientResolver(config.trustedProxies);
  const tickets = new TicketStore(config.ticketTtlSeconds * 1000, now);
  const limiter =
    deps.limiter ??
    new LoginRateLimiter(config.loginRateLimit.maxFailures, config.loginRateLimit.windowSeconds * 1000, now);
  let accessPolicy = createAccessPolicy(config.users);
  const revocations = deps.fleet?.sessionRevocations;
  const sessions = new SessionStore(
    {
      idleMs: config.sessions.idleMinutes * 60_000,
      absoluteMs: config.sessions.absoluteHours * 3_600_000,
      maxPerUser: config.sessions.maxPerUser,
      maxTotal: 10_000,
    },
    now,
    deps.fleet?.sessionSeal ?? null,
    revocations
      ? (revocation) => {
          revocations.ended(revocation);
        }
      : null,
  );
  revocations?.follow((revocation) => {
    sessions.revoke(revocation);
  });
  const auth = new Authenticator({
    users: deps.users,
    limiter,
    tickets,
    sessions,
    access: (user, role, via) => accessPolicy(user, role, via),
    clientOf,
    logger,
  });
  const upgrades = new UpgradeHandler({
    auth,
    registry,
    hub,
    clientOf,
    allowedOrigins: config.allowedOrigins,
    logger,
    ...(deps.pingIntervalMs === undefined ? {} : { pingIntervalMs: deps.pingIntervalMs }),
    ...(deps.fleet?.upgradeTicket ? { fleetTicket: deps.fleet.upgradeTicket } : {}),
  });
  const streams = new Set<Response>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxBufferedBytes = deps.eventsMaxBufferedBytes ?? 1024 * 1024;
  const fleetContext: FleetHttpContext = { streams, heartbeatMs, maxBufferedBytes };
  let shuttingDown = false;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false); // client addresses come from createClientResolver
  app.use(securityHeaders(config.tls !== null));
  app.use((req, res, next) => {
    res.on('finish', () => {
      logger.debug({ method: req.method, url: safeUrl(req.originalUrl), status: res.statusCode }, 'request');
    });
    next();
  });
  // Open to load balancers; says nothing but whether the daemon is up.
  const version = deps.version ?? 'unknown';
  app.get('/healthz', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.status(shuttingDown ? 503 : 200).json({ status: shuttingDown ? 'shutting-down' : 'ok', version });
  });
  // Prometheus scrapes with a bearer token or from loopback, not with a user's Basic login.
  if (deps.metrics) app.get('/metrics', metricsHandler(deps.metrics));
  if (deps.fleet?.beforeAuth) app.use(deps.fleet.beforeAuth(fleetContext));
  app.use(
    loginRouter({
      auth,
      sessions,
      clientOf,
      allowedOrigins: config.allowedOrigins,
      logger,
      webDir: config.webDir,
      cookieMaxAgeSeconds: config.sessions.absoluteHours * 3600,
    }),
  );
  app.use(auth.middleware());
  // State-changing requests from a browser must come from our own pages.
  app.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    const { client, principal } = res.locals as AuthLocals;
    // A browser always sends Origin on these; a cookie-borne request without one is not ours.
    const missing = principal.via === 'session' && req.headers.origin === undefined;
    if (missing || !originAllowed(req, client, config.allowedOrigins)) {
      next(new VwcError('VWC_ERR_ORIGIN', 'cross-origin request refused'));
      return;
    }
    next();
  });
  if (deps.fleet?.afterAuth) app.use(deps.fleet.afterAuth(fleetContext));
  app.get('/api/events', eventsHandler({ registry, hub, heartbeatMs, maxBufferedBytes, streams }));
  app.get(
    '/api/domains/:name/thumbnail',
    deps.thumbnails
      ? thumbnailHandler({ registry, hub, ...deps.thumbnails })
      : // No thumbnail part (fake parts): no picture, and no failed request in the page's console.
        (_req, res) => void res.status(204).end(),
  );
  app.use(
    '/api',
    apiRouter({
      registry,
      hub,
      tickets,
      logger,
      version,
      ...(deps.recordingReaders ? { recordingReaders: deps.recordingReaders } : {}),
      ...(deps.power ? { power: deps.power } : {}),
      ...(deps.onAction ? { onAction: deps.onAction } : {}),
    }),
  );
  app.use(pagesRouter(config.webDir));
  app.use(() => {
    throw new VwcError('VWC_ERR_NOT_FOUND', 'not found');
  });
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    let vwc: VwcError;
    if (isVwcError(error)) vwc = error;
    else if (typeof error === 'object' && error !== null && 'status' in error && error.status === 413) {
      vwc = new VwcError('VWC_ERR_BAD_REQUEST', 'request body too large');
    } else if (
      typeof error === 'object' &&
      error !== null &&
      'type' in error &&
      error.type === 'entity.parse.failed'
    ) {
      vwc = new VwcError('VWC_ERR_BAD_REQUEST', 'request body is not valid JSON');
    } else {
      logger.error({ err: error, url: safeUrl(req.originalUrl) }, 'request failed');
      vwc = new VwcError('VWC_ERR_INTERNAL', 'internal error');
    }
    if (vwc.code === 'VWC_ERR_USERS_FILE' || vwc.code === 'VWC_ERR_INTERNAL') {
      logger.error({ err: vwc, url: safeUrl(req.originalUrl) }, 'request failed');
    }
    sendError(res as ServerResponse, vwc);
  };
  app.use(onError);

  return {
    app,
    upgrades,
    streams,
    markShuttingDown() {
      shuttingDown = true;
    },
    setUsers(users) {
      accessPolicy = createAccessPolicy(users);
    },
    endStaleSessions() {
      const ended = sessions.endWhere((session) => deps.users.stampOf(session.user) !== session.stamp);
      if (ended > 0)
        logger.info({ audit: 'session', ended }, 'sessions ended: user removed or password changed');
      return ended;
    },
  };
}
