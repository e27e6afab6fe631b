// `virt-webconsole fleet nginx-config`: the nginx site for an entry, from its config. nginx (not
// the daemon) carries console bytes: `/` goes to the entry, `/h/<host>/…` (each host whose
// browserUrl is a path) to that host, WebSocket upgrades and event streams unbuffered. The rest
// of the URI after the prefix is taken from $request_uri as the browser sent it (still
// percent-encoded), so a domain name with `%2F` or spaces reaches the host unchanged.
import type { Config, ListenAddress } from '../config/index.js';
import { VwcError } from '../errors/index.js';

export interface NginxOptions {
  /** nginx's `listen` parameters (default `80`). */
  readonly listen?: string;
  /** The fleet's other entries (`--entry`): nginx spreads requests over this entry and them. */
  readonly entries?: readonly ListenAddress[];
}

/**
 * Passive health checks: one failed connection (refused, reset or timed out) and nginx skips
 * that entry for 10 s, retrying the request on the next one. nginx ignores both for a lone server.
 */
const ENTRY_HEALTH = 'max_fails=1 fail_timeout=10s';

function entryServer(listen: ListenAddress): string {
  if (listen.kind === 'unix') return `unix:${listen.path}`;
  // The daemon listens on every address: nginx reaches it over loopback.
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

function entryServers(own: ListenAddress, others: readonly ListenAddress[]): string[] {
  const servers = [own, ...others].map(entryServer);
  const twice = servers.find((server, i) => servers.indexOf(server) !== i);
  if (twice !== undefined) {
    throw new VwcError(
      'VWC_ERR_CONFIG',
      `entry ${twice} is given twice (--entry names the other entries, not this one)`,
    );
  }
  if (servers.length === 1) return [`    server ${servers[0]!};`];
  return [
    "    # The fleet's entries, interchangeable (no affinity). After a failed connection nginx",
    '    # skips that entry for 10 s and passes the request to the next.',
    ...servers.map((server) => `    server ${server} ${ENTRY_HEALTH};`),
  ];
}

const upstreamName = (host: string): string => `vwc_fleet_host_${host.replace(/[^A-Za-z0-9_]/g, '_')}`;
const regexQuote = (text: string): string => text.replace(/[.\\^$|?*+()[\]{}]/g, '\\$&');

const PROXY_COMMON = [
  '        proxy_http_version 1.1;',
  '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
  '        proxy_set_header X-Forwarded-Proto $scheme;',
  '        # WebSockets (the consoles).',
  '        proxy_set_header Upgrade $http_upgrade;',
  '        proxy_set_header Connection $vwc_connection_upgrade;',
  '        # Event streams and console bytes reach the browser as they are written.',
  '        proxy_buffering off;',
  '        # Consoles stay open for hours; the daemons ping every WebSocket every 30 s.',
  '        proxy_read_timeout 1h;',
  '        proxy_send_timeout 1h;',
];

export function nginxConfig(config: Pick<Config, 'fleet' | 'listen'>, options: NginxOptions = {}): string {
  const entry = config.fleet.entry;
  if (!entry) {
    throw new VwcError(
      'VWC_ERR_CONFIG',
      'this config has no fleet.entry: nginx-config is for an entry (docs/fleet.md)',
    );
  }
  const proxied = entry.hosts.filter((h) => h.browserUrl.startsWith('/'));
  const direct = entry.hosts.filter((h) => !h.browserUrl.startsWith('/'));
  const lines = [
    '# virt-webconsole fleet entry: made by `virt-webconsole fleet nginx-config` from its config.',
    '# A site file for the http {} block (on Debian: /etc/nginx/sites-available/, linked from',
    "# sites-enabled/). Add TLS as contrib/nginx.conf does, and put nginx's address in the",
    "# entry's (and hosts') trustedProxies.",
    ...direct.map((h) => `# Host ${h.name}: browsers reach it directly at ${h.browserUrl}.`),
    '',
    'map $http_upgrade $vwc_connection_upgrade {',
    '    default upgrade;',
    "    ''      close;",
    '}',
    '',
    'upstream vwc_fleet_entry {',
    ...entryServers(config.listen, options.entries ?? []),
    '}',
  ];
  for (const host of proxied) {
    const url = new URL(host.url);
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    lines.push(
      '',
      `upstream ${upstreamName(host.name)} {`,
      `    server ${url.hostname}:${port};`,
      '}',
      `map $request_uri $${upstreamName(host.name)}_uri {`,
      `    "~^${regexQuote(host.browserUrl)}(/.*)$" $1;`,
      '    default /;',
      '}',
    );
  }
  lines.push(
    '',
    'server {',
    `    listen ${options.listen ?? '80'};`,
    '',
    '    location / {',
    '        proxy_pass http://vwc_fleet_entry;',
    '        proxy_set_header Host $http_host;',
    '        # An entry that does not answer a connection in 5 s counts as failed (the next one is tried).',
    '        proxy_connect_timeout 5s;',
    ...PROXY_COMMON,
    '    }',
  );
  for (const host of proxied) {
    const url = new URL(host.url);
    const name = upstreamName(host.name);
    lines.push(
      '',
      `    # Host ${host.name}: its consoles, opened with a ticket from the entry.`,
      `    location ${host.browserUrl}/ {`,
      `        proxy_pass ${url.protocol.slice(0, -1)}://${name}$${name}_uri;`,
      `        proxy_set_header Host ${url.host};`,
      ...(url.protocol === 'https:'
        ? ['        proxy_ssl_server_name on;', `        proxy_ssl_name ${url.hostname};`]
        : []),
      ...PROXY_COMMON,
      '    }',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}
