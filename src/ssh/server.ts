// The SSH front door beside the HTTP one: ssh2's Server on a net.Server of our own (so every
// socket can be cut at shutdown), logins through SshAuthenticator, and per session channel
// either the list of VMs (no command) or one serial console (console-session.ts). Nothing
// else: no shell, exec runs only console names, and ssh2 refuses every request nobody listens
// for — port forwarding (direct-tcpip, tcpip-forward, streamlocal), SFTP and other subsystems,
// agent and X11 forwarding — so those are refused by not listening for them.
import net, { type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel, Session } from 'ssh2';
import { sshLabel, type ConsoleHub } from '../bridge/index.js';
import type { SshConfig } from '../config/index.js';
import type { VmRegistry } from '../discovery/types.js';
import type {
  AccessPolicy,
  AuthenticatedUser,
  LoginRateLimiter,
  Principal,
  UserStore,
} from '../http/index.js';
import { SshAuthenticator } from './auth.js';
import { ConsoleChannel, endChannel } from './console-session.js';
import type { HostKey } from './host-key.js';
import { formatVmList, printable } from './list.js';
import { parseSshCommand, resolveTarget } from './target.js';

export interface SshServerDeps {
  readonly config: SshConfig & { readonly listen: NonNullable<SshConfig['listen']> };
  readonly hostKey: HostKey;
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly users: UserStore;
  /** Shared with the HTTP layer: failed logins count per address over both. */
  readonly limiter: LoginRateLimiter;
  /** Per-user domain ACLs (config.users), as the HTTP layer applies them. */
  readonly access: AccessPolicy;
  readonly logger: Logger;
  /** A connection not logged in after this long is cut (OpenSSH's LoginGraceTime); 30 s. */
  readonly loginGraceMs?: number;
}

export interface SshServer {
  /** Starts listening; resolves to `host:port` as bound. */
  listen(): Promise<string>;
  /** Says `reason` to every console session, closes them and every connection. */
  shutdown(reason: string, graceMs?: number): Promise<void>;
  /** New ACLs for logins from now on (SIGHUP); open sessions keep theirs. */
  setAccess(access: AccessPolicy): void;
  /** Open console sessions (for tests and diagnostics). */
  readonly sessionCount: number;
}

/** Connections not logged in yet, at most; more are cut at once (a cheap flood guard). */
const MAX_UNAUTHENTICATED = 256;

const USAGE =
  'Open a console with: ssh -t -p PORT USER@HOST NAME   (NAME/serialN or NAME:N for another port; ' +
  'add --no-history to skip the replay)';

function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

export function createSshServer(deps: SshServerDeps): SshServer {
  const { config, registry, hub, logger } = deps;
  let access = deps.access;
  const auth = new SshAuthenticator({
    users: deps.users,
    limiter: deps.limiter,
    authorizedKeys: config.authorizedKeys,
    logger,
  });
  const sockets = new Set<net.Socket>();
  const connections = new Set<Connection>();
  const consoles = new Set<ConsoleChannel>();
  const perUser = new Map<string, number>();
  let unauthenticated = 0;
  let closing = false;

  const ssh = new ssh2.Server({ hostKeys: [deps.hostKey.privateKey], ident: 'virt-webconsole' });
  const listener = net.createServer((socket) => {
    if (closing || unauthenticated >= MAX_UNAUTHENTICATED) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    ssh.injectSocket(socket);
  });
  listener.on('error', (error) => {
    if (listener.listening) logger.error({ err: error }, 'ssh server error');
  });

  ssh.on('connection', (client, info) => {
    const address = normalise(info.ip);
    let user: AuthenticatedUser | null = null;
    unauthenticated += 1;
    let counted = true;
    const uncount = (): void => {
      if (counted) unauthenticated -= 1;
      counted = false;
    };
    connections.add(client);
    const grace = setTimeout(() => {
      if (user === null) client.end();
    }, deps.loginGraceMs ?? 30_000);
    grace.unref();
    client.on('authentication', (ctx) => {
      auth
        .handle(ctx, address, (accepted) => {
          user = accepted;
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'ssh authentication failed');
          ctx.reject();
        });
    });
    client.on('ready', () => {
      clearTimeout(grace);
      uncount();
      const who = user;
      if (who === null) {
        client.end();
        return;
      }
      logger.info({ user: who.name, role: who.role, client: address }, 'ssh login');
      const principal = access(who.name, who.role, 'ssh');
      client.on('session', (accept) => {
        sessionChannel(accept(), principal, address);
      });
    });
    client.on('error', (error) => {
      logger.debug({ err: error.message, client: address }, 'ssh connection error');
    });
    client.on('close', () => {
      clearTimeout(grace);
      uncount();
      connections.delete(client);
    });
  });

  /** A session channel: one shell or exec request decides what it is. */
  const sessionChannel = (session: Session, principal: Principal, address: string): void => {
    // A pty makes OpenSSH put the user's terminal in raw mode; the console's own tty (in the
    // guest) does the terminal work, so the request is only acknowledged.
    session.on('pty', (accept) => {
      accept();
    });
    session.on('window-change', (accept) => {
      accept();
    });
    session.on('shell', (accept) => {
      run(accept(), null, principal, address);
    });
    session.on('exec', (accept, _reject, info) => {
      run(accept(), info.command, principal, address);
    });
  };

  const run = (
    channel: ServerChannel,
    command: string | null,
    principal: Principal,
    address: string,
  ): void => {
    channel.on('error', () => undefined);
    if (closing) {
      endChannel(channel, 1, 'the server is shutting down (VWC_ERR_SHUTTING_DOWN)');
      return;
    }
    const request = parseSshCommand(command);
    if (request.kind === 'list') {
      const visible = registry.snapshot().filter((vm) => principal.canSee(vm.name));
      channel.write(formatVmList(visible, USAGE));
      endChannel(channel, 0);
      return;
    }
    if (request.kind === 'invalid') {
      endChannel(channel, 2, `${request.reason} (VWC_ERR_SSH_COMMAND)`);
      return;
    }
    const target = resolveTarget(
      request.candidates,
      (domain) => registry.get(domain) !== undefined && principal.canSee(domain),
    );
    if (target === null) {
      // The same answer for a domain that does not exist and one the ACL hides.
      const name = printable(request.candidates[0]!.domain);
      endChannel(
        channel,
        1,
        `no domain ${JSON.stringify(name)} you may open; ssh without a command lists them (VWC_ERR_NOT_FOUND)`,
      );
      return;
    }
    const open = perUser.get(principal.user) ?? 0;
    if (open >= config.maxSessionsPerUser) {
      logger.info({ user: principal.user, open }, 'ssh session refused: per-user limit');
      endChannel(
        channel,
        1,
        `${principal.user} has ${open} SSH console sessions open, the most ssh.maxSessionsPerUser allows (VWC_ERR_SSH_SESSION_LIMIT)`,
      );
      return;
    }
    perUser.set(principal.user, open + 1);
    const fields = {
      user: principal.user,
      role: principal.role,
      domain: target.domain,
      console: `serial${target.index}`,
      client: address,
      via: 'ssh',
    };
    logger.info(fields, 'console attach');
    const attached = new ConsoleChannel(channel, {
      hub,
      vmName: target.domain,
      index: target.index,
      session: {
        user: principal.user,
        role: principal.role,
        clientAddress: address,
        label: sshLabel(address),
      },
      historyBytes: request.historyBytes ?? config.historyBytes,
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      logger: logger.child(fields),
      onEnd: () => {
        consoles.delete(attached);
        const left = (perUser.get(principal.user) ?? 1) - 1;
        if (left > 0) perUser.set(principal.user, left);
        else perUser.delete(principal.user);
        logger.info(fields, 'console detach');
      },
    });
    consoles.add(attached);
    attached.start();
  };

  return {
    listen: () =>
      new Promise<string>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(config.listen.port, config.listen.host, () => {
          listener.off('error', reject);
          const bound = listener.address() as AddressInfo;
          const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
          resolve(`${host}:${bound.port}`);
        });
      }),
    async shutdown(reason, graceMs = 2_000) {
      closing = true;
      const closed = new Promise<void>((resolve) => {
        if (!listener.listening) resolve();
        else
          listener.close(() => {
            resolve();
          });
      });
      for (const open of [...consoles]) open.shutdown(reason);
      const wait = async (done: () => boolean, until: number): Promise<void> => {
        while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      };
      // Clients leave by themselves once their channels close; a DISCONNECT sent at once could
      // overtake the channel's close, and OpenSSH would report 255 instead of the exit status.
      const start = Date.now();
      await wait(() => connections.size === 0, start + graceMs / 2);
      for (const client of connections) client.end();
      await wait(() => sockets.size === 0, start + graceMs);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    setAccess(next) {
      access = next;
    },
    get sessionCount() {
      return consoles.size;
    },
  };
}
