// The SSH front door (docs/ssh.md): serial consoles for OpenSSH clients, on the same mux,
// users, ACLs and login lockout as the browser's. `ssh -t -p 2222 alice@host web1`.
export { createSshServer, type SshServer, type SshServerDeps } from './server.js';
export {
  ensureHostKey,
  readHostKey,
  hostKeyPath,
  fingerprintOf,
  encodeOpenSshEd25519,
  generateHostKey,
  parseHostKey,
  HOST_KEY_FILE,
  type HostKey,
} from './host-key.js';
export { EscapeParser, ESCAPE_HELP, type EscapeAction, type EscapeCommand } from './escapes.js';
export { parseSshCommand, resolveTarget, type SshRequest } from './target.js';
export { parseAuthorizedKeys, authorizedKeysFile, safeUserForPath } from './authorized-keys.js';
export { NoticeWriter } from './notices.js';
export { formatVmList, printable } from './list.js';
