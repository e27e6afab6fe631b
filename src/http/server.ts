// Listens on TCP or a UNIX socket, over TLS when a certificate is configured, routes upgrades
// to the upgrade handler, and shuts down in order: stop accepting, close WebSockets with a
// reason, end event streams, close the listener.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/index.js';
import { VwcError } from '../errors/index.js';
import { createHttpApp, type HttpApp, type HttpDeps } from './app.js';
import { groupId, removeStaleSocket, shareSocket } from './unix-socket.js';

export interface WebServerDeps extends HttpDeps {
  readonly listen: ListenAddress;
}

export interface WebServer {
  readonly server: http.Server;
  readonly http: HttpApp;
  /** Starts listening; resolves to the base URL (`http(s)://host:port`) or `unix:/path`. */
  listen(): Promise<string>;
  /** Stops accepting and closes every WebSocket (1001, `reason`) and event stream. */
  shutdown(reason: string, graceMs?: number): Promise<void>;
  /**
   * Reads a renewed certificate and key for new connections; open ones keep theirs. Throws
   * VWC_ERR_CONFIG (and keeps the old pair) when the files are not a usable pair.
   */
  setTls(tls: { readonly cert: string; readonly key: string }): void;
}

export function createWebServer(deps: WebServerDeps): WebServer {
  const httpApp = createHttpApp(deps);
  const tls = deps.config.tls;
  const server: http.Server = tls
    ? https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, httpApp.app)
    : http.createServer(httpApp.app);
  server.on('upgrade', httpApp.upgrades.handle);
  // Once listening, the server emits accept failures (EMFILE when descriptors run out): without
  // a listener that is an uncaught exception that ends the daemon and every console with it.
  // (Errors of listen() itself reject listen().)
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (server.listening) deps.logger.error({ err: error, code: error.code }, 'server error');
  });
  // Slow-loris guard on request headers; long-lived responses (SSE) are not affected.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  const listen = async (): Promise<string> => {
    const address = deps.listen;
    // An unknown group stops the start before anything listens.
    const gid = address.kind === 'unix' && address.group !== null ? groupId(address.group) : null;
    if (address.kind === 'unix') removeStaleSocket(address.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (address.kind === 'unix') server.listen(address.path, done);
      else server.listen(address.port, address.host, done);
    });
    if (address.kind === 'unix') {
      // The reverse proxy's group may connect; others may not (by default).
      shareSocket(address.path, gid, address.mode);
      return `unix:${address.path}`;
    }
    const bound = server.address() as AddressInfo;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    return `${tls ? 'https' : 'http'}://${host}:${bound.port}`;
  };

  const shutdown = async (reason: string, graceMs = 3_000): Promise<void> => {
    httpApp.markShuttingDown();
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    httpApp.upgrades.closeAll(reason);
    for (const stream of httpApp.streams) stream.end();
    server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (httpApp.upgrades.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    httpApp.upgrades.terminateAll();
    server.closeAllConnections();
    await closed;
  };

  const setTls = (files: { readonly cert: string; readonly key: string }): void => {
    if (!(server instanceof https.Server)) {
      throw new VwcError(
        'VWC_ERR_CONFIG',
        'tls: the server was started without TLS; restart it to turn TLS on',
      );
    }
    try {
      server.setSecureContext({ cert: readFileSync(files.cert), key: readFileSync(files.key) });
    } catch (error) {
      throw new VwcError(
        'VWC_ERR_CONFIG',
        `tls: ${files.cert} and ${files.key} are not a usable certificate and key (${(error as Error).message}); the old pair stays`,
      );
    }
  };

  return { server, http: httpApp, listen, shutdown, setTls };
}
