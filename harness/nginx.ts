// Debian's nginx (/usr/sbin/nginx) run in a folder of its own, never the system service: a
// standalone nginx.conf wrapping a site file (such as contrib/nginx.conf) in the main,
// events {} and http {} blocks Debian's /etc/nginx/nginx.conf would give it. Runs as root
// (the master) with worker processes as `user` (www-data, as on Debian), so the workers'
// permissions are real.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './libvirt/guest.js';

export const NGINX = '/usr/sbin/nginx';
export const CONTRIB_SITE = path.join(REPO_ROOT, 'contrib/nginx.conf');

export interface ContribSiteOptions {
  /** The daemon's UNIX socket, instead of /run/virt-webconsole/http.sock. */
  readonly socket: string;
  /** Loopback port for the TLS server, instead of 443. */
  readonly httpsPort: number;
  /** Loopback port for the redirecting plain-HTTP server, instead of 80. */
  readonly httpPort: number;
  readonly cert: string;
  readonly key: string;
}

/**
 * contrib/nginx.conf with only its socket path, ports and certificate replaced: the listen
 * lines keep their flags (ssl, http2) with the port moved to 127.0.0.1:<port>, and the IPv6
 * ones are dropped. Each replaced line must be there exactly once, so an edit to the example
 * that these no longer match fails loudly instead of testing something else.
 */
export function contribSite(options: ContribSiteOptions, text = readFileSync(CONTRIB_SITE, 'utf8')): string {
  const edits: [RegExp, (line: string) => string][] = [
    [/^\s*server unix:\/run\/virt-webconsole\/http\.sock;$/, () => `    server unix:${options.socket};`],
    [/^\s*listen 443[ ;]/, (line) => line.replace('443', `127.0.0.1:${options.httpsPort}`)],
    [/^\s*listen \[::\]:443[ ;]/, () => ''],
    [/^\s*listen 80[ ;]/, (line) => line.replace('80', `127.0.0.1:${options.httpPort}`)],
    [/^\s*listen \[::\]:80[ ;]/, () => ''],
    [/^\s*ssl_certificate\s/, () => `    ssl_certificate ${options.cert};`],
    [/^\s*ssl_certificate_key\s/, () => `    ssl_certificate_key ${options.key};`],
  ];
  let lines = text.split('\n');
  for (const [pattern, edit] of edits) {
    const found = lines.filter((line) => pattern.test(line)).length;
    if (found !== 1)
      throw new Error(`${CONTRIB_SITE}: expected one line like ${String(pattern)}, found ${found}`);
    lines = lines.map((line) => (pattern.test(line) ? edit(line) : line));
  }
  return lines.join('\n');
}

export interface NginxOptions {
  /** Folder for nginx.conf, the pid file, logs and temporary files (www-data must traverse it). */
  readonly dir: string;
  /** What goes inside http {}: a site file. */
  readonly site: string;
  /** Loopback TCP ports the site listens on; start() waits until each accepts a connection. */
  readonly ports: readonly number[];
  /** Worker user. Default www-data. */
  readonly user?: string;
}

export interface RunningNginx {
  readonly pid: number;
  readonly confFile: string;
  /** error.log so far (connect() failures to the upstream land here). */
  errorLog(): string;
  /** access.log so far (combined format). */
  accessLog(): string;
  /** What the master printed on stdout and stderr. */
  output(): string;
  /** SIGTERM (fast shutdown: open WebSockets and streams are cut), then the exit code. */
  stop(): Promise<number | null>;
}

/** The standalone nginx.conf: Debian's http {} defaults, every path inside `dir`. */
export function nginxConf(options: NginxOptions): string {
  const at = (name: string): string => path.join(options.dir, name);
  return [
    `user ${options.user ?? 'www-data'};`,
    'worker_processes 1;',
    `pid ${at('nginx.pid')};`,
    `error_log ${at('error.log')} notice;`,
    'events {',
    '    worker_connections 256;',
    '}',
    'http {',
    "    # As in Debian's /etc/nginx/nginx.conf.",
    '    sendfile on;',
    '    tcp_nopush on;',
    '    types_hash_max_size 2048;',
    '    include /etc/nginx/mime.types;',
    '    default_type application/octet-stream;',
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_prefer_server_ciphers on;',
    '    gzip on;',
    `    access_log ${at('access.log')};`,
    '    # Nothing in /var/lib/nginx.',
    `    client_body_temp_path ${at('tmp/body')};`,
    `    proxy_temp_path ${at('tmp/proxy')};`,
    `    fastcgi_temp_path ${at('tmp/fastcgi')};`,
    `    uwsgi_temp_path ${at('tmp/uwsgi')};`,
    `    scgi_temp_path ${at('tmp/scgi')};`,
    '',
    options.site,
    '}',
    '',
  ].join('\n');
}

/**
 * `nginx -t` on the standalone nginx.conf wrapping `site`: the syntax, every directive's
 * arguments and the upstreams' addresses, as nginx itself checks them; nothing is started.
 * Returns nginx's verdict (it prints to stderr); throws with it when nginx refuses the file.
 */
export function checkNginx(options: Omit<NginxOptions, 'ports'>): string {
  if (!existsSync(NGINX))
    throw new Error(`${NGINX} missing: run scripts/setup-host.sh as root (nginx-light)`);
  const confFile = path.join(options.dir, 'nginx.conf');
  mkdirSync(path.join(options.dir, 'tmp'), { recursive: true });
  writeFileSync(confFile, nginxConf({ ...options, ports: [] }));
  const run = spawnSync(NGINX, ['-t', '-p', options.dir, '-c', confFile], { encoding: 'utf8' });
  const said = `${run.stdout}${run.stderr}`;
  if (run.status !== 0)
    throw new Error(
      `nginx -t refused ${confFile}:\n${said}\n--- ${confFile}:\n${readFileSync(confFile, 'utf8')}`,
    );
  return said;
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  if (!existsSync(NGINX))
    throw new Error(`${NGINX} missing: run scripts/setup-host.sh as root (nginx-light)`);
  const confFile = path.join(options.dir, 'nginx.conf');
  mkdirSync(path.join(options.dir, 'tmp'), { recursive: true });
  writeFileSync(confFile, nginxConf(options));
  const read = (name: string): string => {
    try {
      return readFileSync(path.join(options.dir, name), 'utf8');
    } catch {
      return '';
    }
  };

  let output = '';
  const child = spawn(NGINX, ['-p', options.dir, '-c', confFile, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const failure = (what: string): Error =>
    new Error(`nginx ${what}:\n${output}\n${read('error.log')}\n--- ${confFile}:\n${read('nginx.conf')}`);

  const deadline = Date.now() + 10_000;
  for (const port of options.ports) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw failure(`exited with ${child.exitCode ?? child.signalCode}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw failure(`did not listen on 127.0.0.1:${port} in 10 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    pid: child.pid!,
    confFile,
    errorLog: () => read('error.log'),
    accessLog: () => read('access.log'),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
