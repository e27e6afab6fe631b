// The login form's routes, served before authentication: `GET /login` (the page and the few
// assets it needs), `POST /api/login` (a form post or JSON; the same password check, rate
// limit and log lines as Basic) and `POST /api/logout` (ends the session here, clears the
// cookie). A form post is answered with a 303 (to `next`, or back to the form with an error
// word the page turns into a sentence), so the page works without script and password
// managers see an ordinary form submission.
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { VwcError } from '../../errors/index.js';
import type { Authenticator } from '../auth/authenticate.js';
import { clearSessionCookie, safeNext, sessionCookieOf, setSessionCookie } from '../auth/session-cookie.js';
import type { SessionStore } from '../auth/sessions.js';
import { originAllowed, type ClientInfo, type ClientResolver } from '../client.js';
import { sendError } from '../respond.js';
import { servePage } from './pages.js';

export interface LoginDeps {
  readonly auth: Authenticator;
  readonly sessions: SessionStore;
  readonly clientOf: ClientResolver;
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
  readonly webDir: string;
  /** The cookie's Max-Age: the sessions' absolute timeout. */
  readonly cookieMaxAgeSeconds: number;
}

/** What the login page may load before anyone has logged in. */
const PUBLIC_ASSETS = new Set([
  '/login.page.js',
  '/login.css',
  '/style.css',
  '/favicon.svg',
  // The theme (light, dark or the system's) applies to the login page too.
  '/theme.classic.js',
]);

/** The words the login page knows (web/login.page.ts); never free text from the server. */
type LoginProblem = 'failed' | 'limited' | 'missing';

function field(body: unknown, name: string): string {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * A state-changing request from another site's page is refused (the cookie is SameSite too).
 * Our pages send `Referrer-Policy: no-referrer`, under which a browser posts a form with
 * `Origin: null`; then the browser's own Sec-Fetch-Site (no page script can set it) decides.
 */
function checkOrigin(req: Request, client: ClientInfo, allowedOrigins: readonly string[]): void {
  const formFromUs = req.headers.origin === 'null' && req.headers['sec-fetch-site'] === 'same-origin';
  if (!formFromUs && !originAllowed(req, client, allowedOrigins)) {
    throw new VwcError('VWC_ERR_ORIGIN', 'cross-origin request refused');
  }
}

export function loginRouter(deps: LoginDeps): Router {
  const { auth, sessions, clientOf, logger } = deps;
  const router = express.Router();
  const assets = express.static(path.resolve(deps.webDir), { index: false, redirect: false });
  router.use('/assets', (req, res, next) => {
    if (PUBLIC_ASSETS.has(req.path)) assets(req, res, next);
    else next();
  });
  router.get('/login', servePage(deps.webDir, 'login.html'));

  router.post(
    '/api/login',
    express.urlencoded({ extended: false, limit: '4kb' }),
    express.json({ limit: '4kb' }),
    async (req, res) => {
      res.setHeader('cache-control', 'no-store');
      const client = clientOf(req);
      checkOrigin(req, client, deps.allowedOrigins);
      const form = !req.is('application/json');
      const next = safeNext(field(req.body, 'next') || '/');
      const refuse = (problem: LoginProblem, error: VwcError, retryAfter?: number): void => {
        if (form) res.redirect(303, `/login?error=${problem}&next=${encodeURIComponent(next)}`);
        else sendError(res, error, retryAfter);
      };
      const user = field(req.body, 'username');
      const password = field(req.body, 'password');
      if (user === '' || password === '') {
        refuse('missing', new VwcError('VWC_ERR_BAD_REQUEST', 'expected a username and a password'));
        return;
      }
      const check = await auth.login(client, user, password);
      if (check.kind === 'limited') {
        refuse(
          'limited',
          new VwcError('VWC_ERR_RATE_LIMITED', 'too many failed logins from this address; try again later'),
          check.retryAfter,
        );
        return;
      }
      if (check.kind === 'failed') {
        refuse('failed', new VwcError('VWC_ERR_LOGIN_FAILED', 'wrong user name or password'));
        return;
      }
      // A login from a browser that still had a session replaces it.
      const previous = sessionCookieOf(req);
      if (previous !== null) sessions.end(previous);
      const { id } = sessions.create(check.user.name, check.stamp);
      setSessionCookie(res, client, id, deps.cookieMaxAgeSeconds);
      logger.info({ audit: 'login', user: check.user.name, client: client.address, via: 'form' }, 'login');
      if (form) res.redirect(303, next);
      else res.json({ user: check.user.name, role: check.user.role, next });
    },
  );

  router.post('/api/logout', (req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    const client = clientOf(req);
    checkOrigin(req, client, deps.allowedOrigins);
    const id = sessionCookieOf(req);
    const session = id === null ? null : sessions.use(id);
    if (id !== null) sessions.end(id);
    if (session) {
      logger.info({ audit: 'logout', user: session.user, client: client.address, via: 'session' }, 'logout');
    }
    clearSessionCookie(res, client);
    if (req.is('application/x-www-form-urlencoded')) res.redirect(303, '/login?signedout=1');
    else res.status(204).end();
  });
  return router;
}
