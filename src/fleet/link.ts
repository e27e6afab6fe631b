// An entry's link to one host: follows the host's /api/fleet/events (a snapshot of its list,
// then every change, and a heartbeat each second) with the host's Bearer token. Silence longer
// than the heartbeat timeout, a closed connection or a refusal marks the host down; the link
// then reconnects with exponential backoff (with jitter, so many entries do not knock at once)
// and a fresh snapshot replaces what the entry knew.
import http from 'node:http';
import https from 'node:https';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Logger } from 'pino';
import type { DomainItem, SessionRevocation } from '../http/index.js';

export interface LinkListener {
  snapshot(items: readonly DomainItem[]): void;
  added(item: DomainItem): void;
  changed(item: DomainItem): void;
  removed(name: string): void;
  /** Sessions logged out at some entry (the host's `session-revoked`). */
  revoked(sessions: readonly SessionRevocation[]): void;
  /** The link is lost; `reason` is for the log. */
  down(reason: string): void;
}

export interface LinkOptions {
  readonly name: string;
  /** The host's API base, http(s)://host:port. */
  readonly url: string;
  readonly token: string;
  /** CA certificate for an https host with its own CA. */
  readonly ca: Buffer | null;
  /** No byte for this long (heartbeats come every second) = down. */
  readonly heartbeatTimeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly logger: Logger;
  readonly listener: LinkListener;
}

/** A stream event too large to be a host's snapshot of sane size is refused (the link restarts). */
const MAX_EVENT_BYTES = 256 * 1024 * 1024;
const POST_TIMEOUT_MS = 5_000;

export class HostLink {
  private request: http.ClientRequest | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = true;

  constructor(private readonly options: LinkOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.drop();
  }

  private drop(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    const request = this.request;
    this.request = null;
    request?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const { logger } = this.options;
    const request = this.requestTo(
      '/api/fleet/events',
      { accept: 'text/event-stream' },
      {
        // One long-lived connection of its own: never queued behind a pooled socket.
        agent: false,
      },
    );
    this.request = request;
    const fail = (reason: string): void => {
      if (this.request !== request) return;
      this.drop();
      this.options.listener.down(reason);
      this.schedule();
    };
    const arm = (): void => {
      if (this.watchdog) clearTimeout(this.watchdog);
      this.watchdog = setTimeout(() => {
        fail(`no heartbeat for ${this.options.heartbeatTimeoutMs} ms`);
      }, this.options.heartbeatTimeoutMs);
    };
    arm();
    request.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`the host answered ${res.statusCode ?? 0} (check the fleet token)`);
        return;
      }
      const parser = createParser({
        onEvent: (event) => {
          try {
            this.dispatch(event);
          } catch (error) {
            logger.warn({ host: this.options.name, err: error }, 'fleet event not understood');
            fail('an event was not understood');
          }
        },
        onError: (error) => {
          // Unknown fields and bad retry lines are skipped, as a browser would.
          if (error.type === 'max-buffer-size-exceeded') fail(`event stream: ${error.message}`);
        },
        maxBufferSize: MAX_EVENT_BYTES,
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm();
        parser.feed(chunk);
      });
      res.on('end', () => {
        fail('the host ended the event stream');
      });
      res.on('error', (error) => {
        fail(error.message);
      });
    });
    request.on('error', (error) => {
      fail(error.message);
    });
    request.end();
  }

  private dispatch(event: EventSourceMessage): void {
    const { listener } = this.options;
    const data = JSON.parse(event.data) as unknown;
    switch (event.event) {
      case 'snapshot': {
        const { domains } = data as { domains: DomainItem[] };
        if (!Array.isArray(domains)) throw new Error('snapshot without domains');
        // Connected and current: the next loss starts its backoff from the shortest wait.
        this.attempt = 0;
        listener.snapshot(domains);
        break;
      }
      case 'domain-added':
        listener.added(data as DomainItem);
        break;
      case 'domain-changed':
        listener.changed(data as DomainItem);
        break;
      case 'domain-removed':
        listener.removed((data as { name: string }).name);
        break;
      case 'session-revoked': {
        const { sessions } = data as { sessions: SessionRevocation[] };
        if (!Array.isArray(sessions)) throw new Error('session-revoked without sessions');
        listener.revoked(sessions);
        break;
      }
      default:
        // `sources` and events of newer hosts: nothing the entry shows.
        break;
    }
  }

  /** A request to the host's API with its token (and its CA for https). */
  private requestTo(
    path: string,
    headers: http.OutgoingHttpHeaders,
    options: Omit<https.RequestOptions, 'headers'>,
  ): http.ClientRequest {
    const { url, token, ca } = this.options;
    const target = new URL(path, url);
    return (target.protocol === 'https:' ? https : http).request(target, {
      ...options,
      headers: { ...headers, authorization: `Bearer ${token}` },
      ...(ca ? { ca } : {}),
    });
  }

  /** POSTs JSON to the host's API with the token; resolves on a 2xx answer, rejects otherwise. */
  post(path: string, body: unknown): Promise<void> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = this.requestTo(
        path,
        { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        { method: 'POST', timeout: POST_TIMEOUT_MS },
      );
      request.on('response', (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`the host answered ${status}`));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer in ${POST_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  private schedule(): void {
    if (this.stopped || this.retry) return;
    const { minBackoffMs, maxBackoffMs } = this.options;
    const wait = Math.min(maxBackoffMs, minBackoffMs * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt = Math.min(this.attempt + 1, 20);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect();
    }, wait);
    this.retry.unref();
  }
}
