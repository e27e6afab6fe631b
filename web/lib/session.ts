// The "signed in as" line both pages show in their top bar.
import { getSession } from './api.js';
import { replace, h } from './dom.js';
import type { Session } from './types.js';

export async function showSession(target: HTMLElement): Promise<Session | null> {
  try {
    const session = await getSession();
    replace(
      target,
      h('span', { class: 'user' }, session.user),
      ' ',
      h('span', { class: 'role' }, session.role),
    );
    return session;
  } catch (error) {
    replace(target, h('span', { class: 'error' }, `session unknown: ${String(error)}`));
    return null;
  }
}
