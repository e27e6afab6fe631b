// Checks user names and passwords against the users file. The file is re-read when it changes
// on disk (so `virt-webconsole passwd` takes effect without a restart). bcrypt is slow on
// purpose and runs in a worker thread (password-check.ts); a successful check is remembered per
// (user, password, hash) so that a page's dozen asset requests do not cost a dozen bcrypt
// rounds. A changed hash invalidates the memory.
import { createHmac, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Role } from '../../bridge/types.js';
import { readUsersFile, type UserEntry } from './htpasswd.js';
import { createPasswordChecker, type PasswordChecker } from './password-check.js';

export interface AuthenticatedUser {
  readonly name: string;
  readonly role: Role;
}

const MAX_REMEMBERED = 1024;

export class UserStore {
  private users = new Map<string, UserEntry>();
  private stamp = '';
  private readonly verified = new Map<string, string>();
  /** Keys the memory of checked passwords, so it holds no plain password digests. */
  private readonly secret = randomBytes(32);

  constructor(
    private readonly file: string,
    private readonly defaultRole: Role,
    private readonly checker: PasswordChecker = createPasswordChecker(),
    /**
     * Keys the credential stamps. Random by default; the entries of a fleet share one (derived
     * from their common key), so a login session's stamp means the same at each (src/fleet).
     */
    private readonly stampSecret: Buffer = randomBytes(32),
  ) {
    this.reload();
  }

  /**
   * Re-reads the file now, even when its stamp looks the same (SIGHUP: an edit within the mtime's
   * resolution). Throws VWC_ERR_USERS_FILE and keeps the users it had.
   */
  refresh(): void {
    this.stamp = '';
    this.reload();
  }

  /** Re-reads the file when its inode, size or mtime changed. Throws VWC_ERR_USERS_FILE. */
  private reload(): void {
    const st = statSync(this.file, { throwIfNoEntry: false });
    const stamp = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
    if (stamp === this.stamp) return;
    this.users = readUsersFile(this.file);
    this.stamp = stamp;
    this.verified.clear();
  }

  /** Null for a wrong name or password; rejects with VWC_ERR_RATE_LIMITED when too many checks wait. */
  async verify(name: string, password: string): Promise<AuthenticatedUser | null> {
    return (await this.verifyStamped(name, password))?.user ?? null;
  }

  /**
   * Like verify, with the credential stamp of the users-file line the password matched: a login
   * session keeps it and ends when stampOf(name) no longer gives the same (password changed,
   * user removed).
   */
  async verifyStamped(
    name: string,
    password: string,
  ): Promise<{ readonly user: AuthenticatedUser; readonly stamp: string } | null> {
    this.reload();
    const entry = this.users.get(name);
    const key = createHmac('sha256', this.secret).update(name).update('\0').update(password).digest('base64');
    if (entry && this.verified.get(key) === entry.hash) return this.stamped(entry);
    // Unknown users still cost one bcrypt round, so timing does not tell which names exist.
    const ok = await this.checker.compare(password, entry?.hash ?? DUMMY_HASH);
    if (!ok || !entry) return null;
    if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
    this.verified.set(key, entry.hash);
    return this.stamped(entry);
  }

  /** The user's current credential stamp, or null when the name is not in the file. */
  stampOf(name: string): string | null {
    this.reload();
    const entry = this.users.get(name);
    return entry ? this.stamped(entry).stamp : null;
  }

  /** The stamp is keyed like the memory above: it says whether the hash changed, not what it is. */
  private stamped(entry: UserEntry): { readonly user: AuthenticatedUser; readonly stamp: string } {
    const stamp = createHmac('sha256', this.stampSecret).update(entry.hash).digest('base64');
    return { user: this.toUser(entry), stamp };
  }

  /**
   * The user of that name and their role, without a password (for an SSH key login, which
   * proves who it is another way); null when not in the file.
   */
  lookup(name: string): AuthenticatedUser | null {
    this.reload();
    const entry = this.users.get(name);
    return entry ? this.toUser(entry) : null;
  }

  /** Stops the password checker's worker thread. */
  close(): Promise<void> {
    return this.checker.close();
  }

  private toUser(entry: UserEntry): AuthenticatedUser {
    return { name: entry.name, role: entry.role ?? this.defaultRole };
  }
}

// A bcrypt hash of a random string nobody knows, cost 12 like new hashes.
const DUMMY_HASH = '$2y$12$gH7r7jziPniNku8Wm8vml.pjwAKDvSlvNekhWJOq/3K6XzU/SipiK';
