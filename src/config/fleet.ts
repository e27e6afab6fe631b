// The `fleet` section (docs/fleet.md): `fleet.host` makes this daemon a host that accepts an
// entry's tickets and serves its list to entries; `fleet.entry` makes it an entry that logs users
// in, aggregates hosts and signs tickets. Names go into URLs and nginx's config, so they are
// plain; files are checked readable now, so a typo stops the start with the path in the message.
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { FleetConfig, FleetEntryConfig, FleetEntryHostConfig, FleetHostConfig } from './types.js';
import { configError, int, isRecord, rejectUnknownKeys, str } from './validate.js';

/** A host name: letters, digits, `.`, `_`, `-`; it is a URL segment and part of nginx's config. */
export const FLEET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Tickets live at most this long (issue #20): a stolen URL is worthless half a minute later. */
export const MAX_FLEET_TICKET_TTL_SECONDS = 30;

function readable(where: string, value: unknown): string {
  const file = path.resolve(str(where, value));
  try {
    accessSync(file, fsConstants.R_OK);
  } catch {
    throw configError(where, `cannot read ${file}; check the path and that the daemon's user may read it`);
  }
  return file;
}

function hostName(where: string, value: unknown): string {
  const name = str(where, value);
  if (!FLEET_NAME.test(name)) {
    throw configError(
      where,
      `${JSON.stringify(name)} is not a fleet host name: use letters, digits, ".", "_" and "-" (at most 63), e.g. "h1"`,
    );
  }
  return name;
}

/** `http(s)://host[:port]` with no path, query or credentials; returned without a trailing slash. */
function baseUrl(where: string, value: unknown): string {
  const text = str(where, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(where, `${JSON.stringify(text)} is not a URL; write it as https://host[:port]`);
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw configError(where, `${JSON.stringify(text)}: write it as http(s)://host[:port], with no path`);
  }
  return url.origin;
}

/** A path on the entry's own site (`/h/h1`, proxied by nginx) or an http(s) base URL. */
function browserUrl(where: string, value: unknown): string {
  const text = str(where, value);
  if (text.startsWith('/')) {
    const trimmed = text.replace(/\/+$/, '');
    if (trimmed === '' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed) || /\/\.\.?(\/|$)/.test(trimmed)) {
      throw configError(where, `${JSON.stringify(text)}: a path like "/h/h1" (plain segments, no query)`);
    }
    return trimmed;
  }
  return baseUrl(where, text);
}

function parseHost(value: unknown): FleetHostConfig {
  const where = 'fleet.host';
  if (!isRecord(value)) {
    throw configError(
      where,
      'expected { "name": "h1", "entryPublicKeyFiles": ["/etc/virt-webconsole/fleet-entry.pub"], "entryTokenFile": "/etc/virt-webconsole/fleet-token" }',
    );
  }
  rejectUnknownKeys(where, value, ['name', 'entryPublicKeyFiles', 'entryTokenFile']);
  const keys = value.entryPublicKeyFiles;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw configError(
      `${where}.entryPublicKeyFiles`,
      `expected a list of at least one public key file (made by \`virt-webconsole fleet keygen\`), got ${JSON.stringify(keys)}`,
    );
  }
  return {
    name: hostName(`${where}.name`, value.name),
    entryPublicKeyFiles: keys.map((file, i) => readable(`${where}.entryPublicKeyFiles[${i}]`, file)),
    entryTokenFile: readable(`${where}.entryTokenFile`, value.entryTokenFile),
  };
}

function parseEntryHost(value: unknown, i: number): FleetEntryHostConfig {
  const where = `fleet.entry.hosts[${i}]`;
  if (!isRecord(value)) {
    throw configError(
      where,
      'expected { "name": "h1", "url": "https://h1:8443", "browserUrl": "/h/h1", "tokenFile": "/etc/virt-webconsole/fleet-token-h1" }',
    );
  }
  rejectUnknownKeys(where, value, ['name', 'url', 'browserUrl', 'tokenFile', 'caFile']);
  const url = baseUrl(`${where}.url`, value.url);
  return {
    name: hostName(`${where}.name`, value.name),
    url,
    browserUrl: value.browserUrl === undefined ? url : browserUrl(`${where}.browserUrl`, value.browserUrl),
    tokenFile: readable(`${where}.tokenFile`, value.tokenFile),
    caFile:
      value.caFile === undefined || value.caFile === null ? null : readable(`${where}.caFile`, value.caFile),
  };
}

function parseEntry(value: unknown): FleetEntryConfig {
  const where = 'fleet.entry';
  if (!isRecord(value)) {
    throw configError(
      where,
      'expected { "privateKeyFile": "…", "hosts": [ { "name", "url", "tokenFile" } ] }',
    );
  }
  rejectUnknownKeys(where, value, ['privateKeyFile', 'hosts', 'ticketTtlSeconds']);
  if (!Array.isArray(value.hosts) || value.hosts.length === 0) {
    throw configError(
      `${where}.hosts`,
      `expected a list of at least one host, got ${JSON.stringify(value.hosts)}`,
    );
  }
  const hosts = value.hosts.map(parseEntryHost);
  const seen = new Set<string>();
  for (const host of hosts) {
    if (seen.has(host.name)) throw configError(`${where}.hosts`, `host name "${host.name}" is given twice`);
    seen.add(host.name);
  }
  return {
    privateKeyFile: readable(`${where}.privateKeyFile`, value.privateKeyFile),
    hosts,
    ticketTtlSeconds: int(
      `${where}.ticketTtlSeconds`,
      value.ticketTtlSeconds ?? MAX_FLEET_TICKET_TTL_SECONDS,
      1,
      MAX_FLEET_TICKET_TTL_SECONDS,
    ),
  };
}

export function parseFleet(value: unknown): FleetConfig {
  if (value === undefined || value === null) return { host: null, entry: null };
  if (!isRecord(value)) throw configError('fleet', 'expected an object with host and/or entry');
  rejectUnknownKeys('fleet', value, ['host', 'entry']);
  return {
    host: value.host === undefined || value.host === null ? null : parseHost(value.host),
    entry: value.entry === undefined || value.entry === null ? null : parseEntry(value.entry),
  };
}
