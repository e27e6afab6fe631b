// The HTTP layer: one port for pages, JSON API, server-sent events and console WebSockets,
// behind Basic auth (or console tickets on upgrades), ACL, Origin checks and rate limiting.
export {
  createHttpApp,
  type FleetHttp,
  type FleetHttpContext,
  type HttpApp,
  type HttpConfig,
  type HttpDeps,
} from './app.js';
export type { FleetTicketCheck } from './upgrade.js';
export type { AuthOutcome, AuthLocals } from './auth/authenticate.js';
export { createWebServer, type WebServer, type WebServerDeps } from './server.js';
export { UserStore, type AuthenticatedUser } from './auth/users.js';
export {
  createPasswordChecker,
  type PasswordChecker,
  type PasswordCheckerOptions,
} from './auth/password-check.js';
export { ensureUsersFile, setUser, parseUsersFile, BCRYPT_COST } from './auth/htpasswd.js';
export { createLogger, safeUrl, REDACT_PATHS } from './log.js';
export { globToRegExp, createAccessPolicy, type AccessPolicy, type Principal } from './access.js';
export { LoginRateLimiter } from './auth/rate-limit.js';
export type { DomainItem } from './views.js';
export { DIGEST_PATTERN, type SessionRevocation, type SessionRevocations } from './auth/sessions.js';
