// The "signed in as" line both pages show in their top bar, with a Log out button when the page
// runs on a login-form session (a Basic login lives in the browser and cannot be ended here).
import { getSession, logout } from './api.js';
import { replace, h } from './dom.js';
import type { Session } from './types.js';

export async function showSession(target: HTMLElement): Promise<Session | null> {
  try {
    const session = await getSession();
    const button =
      session.via === 'session'
        ? h('button', { type: 'button', class: 'logout', 'data-action': 'logout' }, 'Log out')
        : null;
    button?.addEventListener('click', () => {
      button.disabled = true;
      void logout().then(
        () => {
          location.assign('/login?signedout=1');
        },
        (error: unknown) => {
          button.disabled = false;
          button.title = `Log out failed: ${String(error)}`;
        },
      );
    });
    replace(
      target,
      'Signed in as ',
      h('span', { class: 'user' }, session.user),
      ' ',
      h('span', { class: 'role' }, session.role),
      button ? ' ' : null,
      button,
    );
    return session;
  } catch (error) {
    replace(target, h('span', { class: 'error' }, `session unknown: ${String(error)}`));
    return null;
  }
}
