// Who may see which domain: a user listed in the config's `users` with `domains` patterns sees
// only matching domains; anyone else sees all. Patterns are globs on the whole name: `*` any
// run of characters, `?` one character; everything else is literal.
import type { Role } from '../bridge/types.js';
import type { UserPolicy } from '../config/index.js';

export interface Principal {
  readonly user: string;
  readonly role: Role;
  /** How the request was authenticated, for logs. */
  readonly via: 'basic' | 'session' | 'ticket' | 'ssh' | 'fleet';
  canSee(domain: string): boolean;
}

export function globToRegExp(pattern: string): RegExp {
  const body = Array.from(pattern)
    .map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[\\^$.+()[\]{}|/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'u');
}

export type AccessPolicy = (user: string, role: Role, via: Principal['via']) => Principal;

export function createAccessPolicy(users: Readonly<Record<string, UserPolicy>>): AccessPolicy {
  const compiled = new Map<string, readonly RegExp[]>();
  for (const [name, policy] of Object.entries(users)) {
    if (policy.domains) compiled.set(name, policy.domains.map(globToRegExp));
  }
  return (user, role, via) => {
    const patterns = compiled.get(user);
    return {
      user,
      role,
      via,
      canSee: (domain) => patterns === undefined || patterns.some((re) => re.test(domain)),
    };
  };
}
