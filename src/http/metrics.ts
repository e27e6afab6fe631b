// `GET /metrics`: the Prometheus text from the metrics part, behind its own access rule (a
// bearer token, and/or loopback peers only), never behind the users' Basic login: a scraper is
// not a person, and a user's password must not sit in a Prometheus config.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { VwcError } from '../errors/index.js';
import { sendError } from './respond.js';

export interface MetricsEndpoint {
  /** Required `Authorization: Bearer <token>` when set. */
  readonly token: string | null;
  /** Only TCP peers on 127.0.0.0/8 or ::1 (the socket's peer; proxies are not believed). */
  readonly loopbackOnly: boolean;
  /** The exposition: content type and text. */
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false; // a UNIX-socket peer may be a proxy for anyone
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

export function metricsHandler(endpoint: MetricsEndpoint): RequestHandler {
  const expected = endpoint.token === null ? null : digest(endpoint.token);
  return (req, res, next) => {
    if (endpoint.loopbackOnly && !isLoopback(req.socket.remoteAddress)) {
      sendError(res, new VwcError('VWC_ERR_FORBIDDEN', 'metrics are served to loopback only'));
      return;
    }
    if (expected !== null) {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        res.setHeader('www-authenticate', 'Bearer realm="virt-webconsole metrics"');
        res.status(401).setHeader('cache-control', 'no-store');
        res.json({ error: { code: 'VWC_ERR_AUTH_REQUIRED', message: 'a metrics bearer token is required' } });
        return;
      }
    }
    endpoint.render().then(
      ({ contentType, body }) => {
        res.setHeader('content-type', contentType);
        res.setHeader('cache-control', 'no-store');
        res.end(body);
      },
      (error: unknown) => {
        next(error);
      },
    );
  };
}
