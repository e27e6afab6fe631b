// The daemon's JSON API and event stream, as the pages use them. Same origin; the browser
// sends the session cookie or the Basic credentials it already has for the page.
import { domainApiPath } from './paths.js';
import type { ConsoleRef, DomainItem, Session, Snapshot, SourceStatus } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error body's message when it has one (`{ error: { message } }` or `{ message }`). */
function messageOf(body: unknown, fallback: string): string {
  if (typeof body !== 'object' || body === null) return fallback;
  const record = body as { error?: unknown; message?: unknown };
  if (typeof record.message === 'string') return record.message;
  if (typeof record.error === 'object' && record.error !== null) {
    const inner = (record.error as { message?: unknown }).message;
    if (typeof inner === 'string') return inner;
  }
  if (typeof record.error === 'string') return record.error;
  return fallback;
}

export async function fetchJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  const response = await fetch(path, { credentials: 'same-origin', ...init, headers });
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 401 && sessionEnded(body)) {
    // The login session ended (logout elsewhere, timeout): back to the form, then here again.
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, messageOf(body, `${response.status} ${response.statusText}`));
  }
  return body as T;
}

function sessionEnded(body: unknown): boolean {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : null;
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'VWC_ERR_SESSION_EXPIRED'
  );
}

/** Ends the login session on the server (the cookie goes with it). */
export async function logout(): Promise<void> {
  const response = await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
  if (!response.ok) throw new ApiError(response.status, `${response.status} ${response.statusText}`);
}

export function getSession(): Promise<Session> {
  return fetchJson<Session>('/api/session');
}

export function getDomain(name: string): Promise<DomainItem> {
  return fetchJson<DomainItem>(domainApiPath(name));
}

/** A one-use ticket for a WebSocket upgrade (browsers may not send Basic credentials on one). */
export async function requestTicket(domain: string, ref: ConsoleRef): Promise<string> {
  const body =
    ref.kind === 'serial' ? { domain, console: 'serial', index: ref.index } : { domain, console: ref.kind };
  const answer = await fetchJson<{ ticket: string }>('/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return answer.ticket;
}

export interface EventHandlers {
  snapshot?(snapshot: Snapshot): void;
  added?(item: DomainItem): void;
  changed?(item: DomainItem): void;
  /** `host`: the removed row's host at a fleet entry (docs/fleet.md). */
  removed?(name: string, host?: string): void;
  sources?(sources: readonly SourceStatus[]): void;
  /** The stream is up (true) or broken and being retried by the browser (false). */
  connection?(up: boolean): void;
}

/** Subscribes to `/api/events`. EventSource reconnects by itself; a new snapshot follows. */
export function openEvents(handlers: EventHandlers): EventSource {
  const source = new EventSource('/api/events');
  const on = (event: string, handle: (data: unknown) => void): void => {
    source.addEventListener(event, (message: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      handle(data);
    });
  };
  on('snapshot', (data) => handlers.snapshot?.(data as Snapshot));
  on('domain-added', (data) => handlers.added?.(data as DomainItem));
  on('domain-changed', (data) => handlers.changed?.(data as DomainItem));
  on('domain-removed', (data) => {
    const removed = data as { name: string; host?: string };
    handlers.removed?.(removed.name, removed.host);
  });
  on('sources', (data) => handlers.sources?.(data as SourceStatus[]));
  source.addEventListener('open', () => handlers.connection?.(true));
  source.addEventListener('error', () => handlers.connection?.(false));
  return source;
}
