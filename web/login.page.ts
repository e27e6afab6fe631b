// The login page (`/login`): an ordinary form posted to /api/login, so it works without this
// script and password managers recognise it. The script only carries `next` into the form and
// turns the server's error word into a sentence (never text from the URL itself).
import { byId } from './lib/dom.js';

const MESSAGES: Readonly<Record<string, string>> = {
  failed: 'Wrong user name or password.',
  limited: 'Too many failed logins from this address. Wait a few minutes, then try again.',
  missing: 'Enter a user name and a password.',
};

const params = new URLSearchParams(location.search);
(byId('next') as HTMLInputElement).value = params.get('next') ?? '/';
const message = byId('login-message');
const error = params.get('error');
const text = error === null ? null : (MESSAGES[error] ?? 'Login failed.');
if (text !== null) {
  message.textContent = text;
  message.className = 'login-message login-error';
  message.hidden = false;
} else if (params.has('signedout')) {
  message.textContent = 'You have logged out.';
  message.className = 'login-message login-info';
  message.setAttribute('role', 'status');
  message.hidden = false;
}
byId('username').focus();
