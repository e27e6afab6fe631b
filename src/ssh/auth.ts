// SSH logins against the same users file, the same failed-login counter and the same audit log
// lines as the HTTP front door: a wrong password over SSH counts against that address over
// HTTP too, and is logged `login failed` with `via: ssh-…`. Methods: publickey (the user's
// authorized_keys file), keyboard-interactive and password (the users file's bcrypt hash).
// Offering a key that is not listed is not a failure (OpenSSH offers every key it has); a
// wrong signature or a wrong password is.
import type { Logger } from 'pino';
import type { AuthContext, KeyboardAuthContext, PasswordAuthContext, PublicKeyAuthContext } from 'ssh2';
import { isVwcError } from '../errors/index.js';
import type { AuthenticatedUser, LoginRateLimiter, UserStore } from '../http/index.js';
import { findKey, readAuthorizedKeys } from './authorized-keys.js';

export interface SshAuthDeps {
  readonly users: UserStore;
  readonly limiter: LoginRateLimiter;
  /** `ssh.authorizedKeys`: a path with `%u`. */
  readonly authorizedKeys: string;
  readonly logger: Logger;
}

const METHODS = ['publickey', 'keyboard-interactive', 'password'] as const;

export type AuthMethod = 'publickey' | 'keyboard-interactive' | 'password';

export class SshAuthenticator {
  /** Password checks under way per address: they count as failures until they end. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly deps: SshAuthDeps) {}

  /**
   * Answers one authentication request. Resolves with the user when it was accepted (the
   * connection is then authenticated), else null (rejected; the client may try again).
   */
  async handle(
    ctx: AuthContext,
    address: string,
    /** Called with the user just before the request is accepted (ssh2 may emit `ready` at once). */
    onAccept: (user: AuthenticatedUser) => void,
  ): Promise<AuthenticatedUser | null> {
    const { limiter, logger } = this.deps;
    if (ctx.method !== 'none' && limiter.retryAfter(address, this.pending.get(address) ?? 0) > 0) {
      logger.warn(
        { user: ctx.username, client: address, via: `ssh-${ctx.method}` },
        'login refused: rate limited',
      );
      // No method left: OpenSSH gives up with "Permission denied".
      ctx.reject([]);
      return null;
    }
    switch (ctx.method) {
      case 'password':
        return this.password(ctx, ctx.password, address, 'password', onAccept);
      case 'keyboard-interactive':
        return this.keyboard(ctx, address, onAccept);
      case 'publickey':
        return this.publicKey(ctx, address, onAccept);
      default:
        // `none` (the client asking what there is) and hostbased.
        ctx.reject([...METHODS]);
        return null;
    }
  }

  private keyboard(
    ctx: KeyboardAuthContext,
    address: string,
    onAccept: (user: AuthenticatedUser) => void,
  ): Promise<AuthenticatedUser | null> {
    return new Promise((resolve, reject) => {
      ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
        this.password(ctx, answers[0] ?? '', address, 'keyboard-interactive', onAccept).then(resolve, reject);
      });
    });
  }

  private async password(
    ctx: PasswordAuthContext | KeyboardAuthContext,
    password: string,
    address: string,
    method: AuthMethod,
    onAccept: (user: AuthenticatedUser) => void,
  ): Promise<AuthenticatedUser | null> {
    this.pending.set(address, (this.pending.get(address) ?? 0) + 1);
    let user: AuthenticatedUser | null;
    try {
      user = password === '' ? null : await this.deps.users.verify(ctx.username, password);
    } catch (error) {
      // Too many checks waiting for the bcrypt worker, or a broken users file: not the
      // client's failure, and not a login.
      if (!isVwcError(error, 'VWC_ERR_RATE_LIMITED'))
        this.deps.logger.error({ err: error }, 'ssh password check failed');
      ctx.reject();
      return null;
    } finally {
      const left = (this.pending.get(address) ?? 1) - 1;
      if (left > 0) this.pending.set(address, left);
      else this.pending.delete(address);
    }
    if (user === null) {
      this.failed(ctx.username, address, method);
      ctx.reject();
      return null;
    }
    onAccept(user);
    ctx.accept();
    return user;
  }

  private publicKey(
    ctx: PublicKeyAuthContext,
    address: string,
    onAccept: (user: AuthenticatedUser) => void,
  ): AuthenticatedUser | null {
    const user = this.deps.users.lookup(ctx.username);
    const { keys, skipped, file } = readAuthorizedKeys(this.deps.authorizedKeys, ctx.username);
    if (skipped.length > 0) {
      this.deps.logger.warn(
        { file, lines: skipped },
        'authorized_keys lines with options or unknown keys are ignored',
      );
    }
    const key = user ? findKey(keys, ctx.key.data) : undefined;
    if (!user || !key) {
      ctx.reject();
      return null;
    }
    // Without a signature the client only asks whether this key would do.
    if (!ctx.signature || !ctx.blob) {
      ctx.accept();
      return null;
    }
    if (!key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
      this.failed(ctx.username, address, 'publickey');
      ctx.reject();
      return null;
    }
    onAccept(user);
    ctx.accept();
    return user;
  }

  private failed(user: string, address: string, method: AuthMethod): void {
    this.deps.limiter.recordFailure(address);
    // The same line as the HTTP layer's (src/http/auth/authenticate.ts), never the password.
    this.deps.logger.warn({ user, client: address, via: `ssh-${method}` }, 'login failed');
  }
}
