// The daemon's real parts in process: discovery limited to this test's domains, the real
// console hub, and the HTTP server on port 0 with a users file of test users.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { createConsoleHub } from '../../../src/bridge/index.js';
import { createDiscovery } from '../../../src/discovery/index.js';
import type { VmRegistry } from '../../../src/discovery/types.js';
import { filterRegistry } from '../../../src/app/filter-registry.js';
import { createWebServer, setUser, UserStore, type WebServer } from '../../../src/http/index.js';
import { USERS, testHttpConfig } from '../../../harness/http-server.js';
import type { ConsoleHub } from '../../../src/bridge/types.js';

export interface Stack {
  readonly base: string;
  readonly wsBase: string;
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly web: WebServer;
  close(): Promise<void>;
}

export async function startStack(include: readonly string[]): Promise<Stack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-stack-'));
  const usersFile = path.join(dir, 'users');
  for (const u of USERS) setUser(usersFile, u.name, u.password, u.role, 10);
  const logger = pino({ level: 'warn' });
  const discovery = createDiscovery({ logger, reconcileMs: 2_000 });
  const registry = filterRegistry(discovery.registry, include);
  await discovery.start();
  const hub = createConsoleHub({ registry, logger });
  hub.start();
  const web = createWebServer({
    config: testHttpConfig(dir),
    logger,
    registry,
    hub,
    users: new UserStore(usersFile, 'viewer'),
    listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
  });
  const base = await web.listen();
  return {
    base,
    wsBase: base.replace(/^http/, 'ws'),
    registry,
    hub,
    web,
    async close() {
      await web.shutdown('test over', 1000);
      await hub.stop('test over');
      await discovery.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Probe<T> = T | undefined | false | null;

/** Polls `probe` (sync or async) until it yields a value, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Probe<T> | Promise<Probe<T>>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A serial console client: bytes as latin1 text, control messages as parsed JSON. */
export class SerialClient {
  text = '';
  readonly messages: { type: string; [key: string]: unknown }[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary) => {
      if (binary) this.text += data.toString('latin1');
      else this.messages.push(JSON.parse(data.toString()) as { type: string });
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  static open(url: string, headers: Record<string, string>): Promise<SerialClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const client = new SerialClient(ws);
      ws.once('open', () => {
        resolve(client);
      });
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'latin1'));
  }

  async waitFor(needle: string | RegExp, timeoutMs = 30_000): Promise<void> {
    await until(
      `${String(needle)} on the serial console (got ${JSON.stringify(this.text.slice(-300))})`,
      () => (typeof needle === 'string' ? this.text.includes(needle) : needle.test(this.text)),
      timeoutMs,
    );
  }

  /**
   * Types `command` until `expected` shows up. On a loaded host another test's daemon may read
   * the same pty for a moment and take some bytes, so one lost echo is retried, not failed.
   */
  async run(command: string, expected: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.text.length;
      this.type(command);
      try {
        await until(expected, () => this.text.indexOf(expected, seen) >= 0, 5_000);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  /** Presses Enter until the prompt appears (the guest may still be booting). */
  async waitForPrompt(prompt: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.text.length;
      this.type('\r');
      try {
        await until('prompt', () => this.text.indexOf(prompt, seen) >= 0, 3_000);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  close(): void {
    this.ws.close();
  }
}
