// One front door for every request: passport's Basic strategy on HTTP routes, and for WebSocket
// upgrades the same Basic check or a console ticket. Both count failures per client address
// and refuse a rate-limited address with 429 before looking at its credentials.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { Logger } from 'pino';
import { VwcError } from '../../errors/index.js';
import type { AccessPolicy, Principal } from '../access.js';
import type { ClientInfo, ClientResolver } from '../client.js';
import { sendError } from '../respond.js';
import type { LoginRateLimiter } from './rate-limit.js';
import type { ConsoleRef, TicketStore } from './tickets.js';
import type { AuthenticatedUser, UserStore } from './users.js';

export interface AuthDeps {
  readonly users: UserStore;
  readonly limiter: LoginRateLimiter;
  readonly tickets: TicketStore;
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
const rateLimited = (): VwcError =>
  new VwcError('VWC_ERR_RATE_LIMITED', 'too many failed logins from this address; try again later');

export class Authenticator {
  private readonly passport = new passport.Passport();

  constructor(private readonly deps: AuthDeps) {
    this.passport.use(
      new BasicStrategy({ realm: 'virt-webconsole' }, (user, password, done) => {
        deps.users.verify(user, password).then((found) => {
          done(null, found ?? false);
        }, done);
      }),
    );
  }

  private failed(client: ClientInfo, user: string | null, via: string): void {
    this.deps.limiter.recordFailure(client.address);
    this.deps.logger.warn({ user, client: client.address, via }, 'login failed');
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
      const handler = this.passport.authenticate(
        'basic',
        { session: false },
        (error: unknown, user: AuthenticatedUser | false | undefined) => {
          if (error) {
            next(error);
            return;
          }
          if (!user) {
            if (req.headers.authorization !== undefined) {
              this.failed(client, parseBasic(req.headers.authorization)?.user ?? null, 'basic');
            }
            sendError(res, authRequired());
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
    const user = basic ? await this.deps.users.verify(basic.user, basic.password) : null;
    if (user) return { ok: true, principal: this.deps.access(user.name, user.role, 'basic') };
    if (basic !== null || ticket !== null)
      this.failed(client, basic?.user ?? null, ticket !== null ? 'ticket' : 'basic');
    if (ticket !== null && basic === null) {
      return {
        ok: false,
        error: new VwcError('VWC_ERR_TICKET_INVALID', 'the console ticket is invalid, expired or used'),
      };
    }
    return { ok: false, error: authRequired() };
  }
}
