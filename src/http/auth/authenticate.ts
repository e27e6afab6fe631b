// One front door for every request: passport's Basic strategy or a login-session cookie on HTTP
// routes, and for WebSocket upgrades a console ticket, the same Basic check or the cookie. All
// count failures per client address and refuse a rate-limited address with 429 before looking
// at its credentials. A browser opening a page with no credentials is sent to the login page;
// anything else gets 401 with a Basic challenge, so scripts and curl work as before.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { Logger } from 'pino';
import { VwcError, isVwcError } from '../../errors/index.js';
import type { AccessPolicy, Principal } from '../access.js';
import type { ClientInfo, ClientResolver } from '../client.js';
import { sendError } from '../respond.js';
import type { LoginRateLimiter } from './rate-limit.js';
import { clearSessionCookie, sessionCookieOf } from './session-cookie.js';
import type { SessionStore } from './sessions.js';
import type { ConsoleRef, TicketStore } from './tickets.js';
import type { AuthenticatedUser, UserStore } from './users.js';

export interface AuthDeps {
  readonly users: UserStore;
  readonly limiter: LoginRateLimiter;
  readonly tickets: TicketStore;
  readonly sessions: SessionStore;
  readonly access: AccessPolicy;
  readonly clientOf: ClientResolver;
  readonly logger: Logger;
}

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: VwcError; readonly retryAfter?: number };

/** What the auth middleware leaves for the routes in `res.locals`. */
export interface AuthLocals {
  principal: Principal;
  client: ClientInfo;
}

/** Same parsing as passport-http: `Basic base64(user:password)`, split at the first two colons. */
export function parseBasic(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const [user, password] = Buffer.from(match[1]!, 'base64').toString().split(':');
  return user && password ? { user, password } : null;
}

const authRequired = (): VwcError => new VwcError('VWC_ERR_AUTH_REQUIRED', 'authentication required');
const sessionExpired = (): VwcError =>
  new VwcError('VWC_ERR_SESSION_EXPIRED', 'the login session has ended; log in again');
const rateLimited = (): VwcError =>
  new VwcError('VWC_ERR_RATE_LIMITED', 'too many failed logins from this address; try again later');

/** A browser opening one of our pages (not the API, an asset or a WebSocket). */
function isPageNavigation(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (/^\/(api|assets|ws)(\/|$)/.test(req.path)) return false;
  return (req.headers.accept ?? '').includes('text/html');
}

/** The outcome of one password check (`stamp`: see UserStore.verifyStamped). */
export type PasswordCheck =
  | { readonly kind: 'ok'; readonly user: AuthenticatedUser; readonly stamp: string }
  | { readonly kind: 'failed' }
  | { readonly kind: 'limited'; readonly retryAfter: number };

export class Authenticator {
  private readonly passport = new passport.Passport();
  /**
   * Password checks under way, per client address and credentials. Identical concurrent checks
   * (a page's first parallel asset requests) share one bcrypt round; distinct ones count
   * towards the limit, so a burst of parallel guesses cannot outrun the failure count.
   */
  private readonly inFlight = new Map<string, Map<string, Promise<PasswordCheck>>>();
  /** 429 answers decided inside the strategy, which can only say yes or no to passport. */
  private readonly limitedRequests = new WeakMap<Request, number>();

  constructor(private readonly deps: AuthDeps) {
    this.passport.use(
      new BasicStrategy(
        { realm: 'virt-webconsole', passReqToCallback: true },
        (req, user, password, done) => {
          this.checkPassword(deps.clientOf(req), user, password, 'basic').then((check) => {
            if (check.kind === 'limited') this.limitedRequests.set(req, check.retryAfter);
            done(null, check.kind === 'ok' ? check.user : false);
          }, done);
        },
      ),
    );
  }

  private failed(client: ClientInfo, user: string | null, via: string): void {
    this.deps.limiter.recordFailure(client.address);
    this.deps.logger.warn({ user, client: client.address, via }, 'login failed');
  }

  /**
   * The login form's password check: the same rate limit, lockout and `login failed` log line
   * as a Basic login, with `via: 'form'`.
   */
  login(client: ClientInfo, user: string, password: string): Promise<PasswordCheck> {
    const retryAfter = this.deps.limiter.retryAfter(client.address);
    if (retryAfter > 0) return Promise.resolve({ kind: 'limited', retryAfter });
    return this.checkPassword(client, user, password, 'form');
  }

  /**
   * The principal of a live login session, with the user's current role; null when the session
   * is unknown or timed out, or its user's line in the users file changed or went (then it ends).
   */
  sessionPrincipal(id: string): Principal | null {
    const session = this.deps.sessions.use(id);
    if (!session) return null;
    const user = this.deps.users.lookup(session.user);
    if (!user || this.deps.users.stampOf(session.user) !== session.stamp) {
      this.deps.sessions.end(id);
      this.deps.logger.info({ user: session.user, audit: 'session' }, 'session ended: user changed');
      return null;
    }
    return this.deps.access(user.name, user.role, 'session');
  }

  private checkPassword(
    client: ClientInfo,
    user: string,
    password: string,
    via: string,
  ): Promise<PasswordCheck> {
    const { limiter, users } = this.deps;
    const address = client.address;
    const key = `${user}\0${password}`;
    const slot = this.inFlight.get(address) ?? new Map<string, Promise<PasswordCheck>>();
    const same = slot.get(key);
    if (same) return same;
    const retryAfter = limiter.retryAfter(address, slot.size);
    if (retryAfter > 0) return Promise.resolve({ kind: 'limited', retryAfter });
    const check = users
      .verifyStamped(user, password)
      .then(
        (found): PasswordCheck => {
          if (found) return { kind: 'ok', user: found.user, stamp: found.stamp };
          this.failed(client, user, via);
          return { kind: 'failed' };
        },
        (error: unknown): PasswordCheck => {
          // Too many checks waiting for the bcrypt worker: a 429, not a failed login.
          if (isVwcError(error, 'VWC_ERR_RATE_LIMITED')) return { kind: 'limited', retryAfter: 1 };
          throw error;
        },
      )
      .finally(() => {
        slot.delete(key);
        if (slot.size === 0) this.inFlight.delete(address);
      });
    slot.set(key, check);
    this.inFlight.set(address, slot);
    return check;
  }

  /** Express middleware: authenticates every request or answers 401/429. */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const client = this.deps.clientOf(req);
      const retryAfter = this.deps.limiter.retryAfter(client.address);
      if (retryAfter > 0) {
        sendError(res, rateLimited(), retryAfter);
        return;
      }
      // Basic credentials win over a cookie: a script says who it is each time.
      if (req.headers.authorization === undefined) {
        this.withoutBasic(req, res, client, next);
        return;
      }
      const handler = this.passport.authenticate(
        'basic',
        { session: false },
        (error: unknown, user: AuthenticatedUser | false | undefined) => {
          if (error) {
            next(error);
            return;
          }
          if (!user) {
            const limited = this.limitedRequests.get(req);
            if (limited !== undefined) sendError(res, rateLimited(), limited);
            else sendError(res, authRequired());
            return;
          }
          const locals: AuthLocals = { principal: this.deps.access(user.name, user.role, 'basic'), client };
          Object.assign(res.locals, locals);
          next();
        },
      ) as RequestHandler;
      handler(req, res, next);
    };
  }

  /** A request without an Authorization header: a session cookie, or the way to log in. */
  private withoutBasic(req: Request, res: Response, client: ClientInfo, next: NextFunction): void {
    const id = sessionCookieOf(req);
    const principal = id === null ? null : this.sessionPrincipal(id);
    if (principal) {
      const locals: AuthLocals = { principal, client };
      Object.assign(res.locals, locals);
      next();
      return;
    }
    if (id !== null) clearSessionCookie(res, client);
    if (isPageNavigation(req)) {
      res.setHeader('cache-control', 'no-store');
      res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    // A stale cookie means a browser page: no Basic challenge, or it would pop up a prompt.
    sendError(res, id === null ? authRequired() : sessionExpired());
  }

  /**
   * A fleet host's check of an entry's ticket (src/fleet), under the same per-address limit as
   * passwords: a locked-out address gets 429 before its ticket is looked at, and a refused
   * ticket (forged, replayed, expired …) counts as a failed login, with the same log line, so a
   * flood of guessed tickets is locked out like a flood of guessed passwords. Null when
   * `check` says the ticket is not a fleet ticket.
   */
  fleetTicket(client: ClientInfo, check: () => AuthOutcome | null): AuthOutcome | null {
    const retryAfter = this.deps.limiter.retryAfter(client.address);
    if (retryAfter > 0) return { ok: false, error: rateLimited(), retryAfter };
    const outcome = check();
    if (outcome?.ok === false) this.failed(client, null, 'fleet-ticket');
    return outcome;
  }

  /**
   * For an upgrade request: a ticket for exactly this console (consumed), else the Basic header.
   * An invalid ticket with no valid Basic credentials is a failed login.
   */
  async upgrade(
    req: IncomingMessage,
    client: ClientInfo,
    consoleRef: ConsoleRef | null,
    ticket: string | null,
  ): Promise<AuthOutcome> {
    const retryAfter = this.deps.limiter.retryAfter(client.address);
    if (retryAfter > 0) return { ok: false, error: rateLimited(), retryAfter };
    if (ticket !== null && consoleRef !== null) {
      const grant = this.deps.tickets.redeem(ticket, consoleRef);
      if (grant) return { ok: true, principal: this.deps.access(grant.user, grant.role, 'ticket') };
    }
    const basic = parseBasic(req.headers.authorization);
    const sessionId = sessionCookieOf(req);
    if (!basic && sessionId !== null) {
      const principal = this.sessionPrincipal(sessionId);
      if (principal) return { ok: true, principal };
      if (ticket === null) return { ok: false, error: sessionExpired() };
    }
    if (basic) {
      const check = await this.checkPassword(client, basic.user, basic.password, 'basic');
      if (check.kind === 'ok')
        return { ok: true, principal: this.deps.access(check.user.name, check.user.role, 'basic') };
      if (check.kind === 'limited') return { ok: false, error: rateLimited(), retryAfter: check.retryAfter };
      return { ok: false, error: authRequired() };
    }
    if (ticket !== null) {
      this.failed(client, null, 'ticket');
      return {
        ok: false,
        error: new VwcError('VWC_ERR_TICKET_INVALID', 'the console ticket is invalid, expired or used'),
      };
    }
    return { ok: false, error: authRequired() };
  }
}
