// Settings that are valid but probably not what the operator meant: said once at start.
import type { Config } from './types.js';

export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.listen.kind === 'unix' && !config.trustedProxies.includes('unix')) {
    // Every client then arrives as the same peer: five wrong passwords from anyone lock
    // everyone out. Trusting the peer is the operator's call: `ssh -L` or socat would pass a
    // client's forged X-Forwarded-For through; a proxy that adds the address it sees is fine
    // (the header is read from the right).
    warnings.push(
      'listening on a UNIX socket without "unix" in trustedProxies: every client shares one address, so ' +
        'failed logins by anyone lock everyone out; if the only peer is a proxy that adds the ' +
        'client\'s address to X-Forwarded-For (contrib/nginx.conf does), set "trustedProxies": ["unix"]',
    );
  }
  return warnings;
}
