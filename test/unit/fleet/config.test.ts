// The fleet section of the config: what a host and an entry need, with messages that say how to
// fix a mistake; and the nginx site made from an entry's config.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createFleet, nginxConfig, readPrivateKey, writeKeyPair } from '../../../src/fleet/index.js';
import { FakeRegistry, silentLogger } from '../../../harness/registry.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-fleet-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const keys = writeKeyPair(path.join(dir, 'keys'));
const token = path.join(dir, 'token');
writeFileSync(token, 'a'.repeat(32) + '\n');

function load(fleet: unknown) {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ usersFile: path.join(dir, 'users'), fleet }));
  return loadConfig({ argv: ['--config', file], env: {} });
}

const entry = (hosts: unknown[], extra: Record<string, unknown> = {}) => ({
  entry: { privateKeyFile: keys.privateKeyFile, hosts, ...extra },
});
const h1 = { name: 'h1', url: 'http://127.0.0.1:8081', tokenFile: token };

describe('fleet config', () => {
  it('is off by default', () => {
    expect(load(undefined).fleet).toEqual({ host: null, entry: null });
  });

  it('reads a host and an entry, with browserUrl defaulting to url', () => {
    const config = load({
      host: { name: 'h9', entryPublicKeyFiles: [keys.publicKeyFile], entryTokenFile: token },
      ...entry([h1, { ...h1, name: 'h2', url: 'https://h2.example:8443/', browserUrl: '/h/h2/' }]),
    });
    expect(config.fleet.host).toEqual({
      name: 'h9',
      entryPublicKeyFiles: [keys.publicKeyFile],
      entryTokenFile: token,
    });
    expect(config.fleet.entry?.hosts).toEqual([
      {
        name: 'h1',
        url: 'http://127.0.0.1:8081',
        browserUrl: 'http://127.0.0.1:8081',
        tokenFile: token,
        caFile: null,
      },
      { name: 'h2', url: 'https://h2.example:8443', browserUrl: '/h/h2', tokenFile: token, caFile: null },
    ]);
    expect(config.fleet.entry?.ticketTtlSeconds).toBe(30);
  });

  it.each([
    [
      { host: { name: 'h 1', entryPublicKeyFiles: ['x'], entryTokenFile: 'y' } },
      /fleet\.host\.name: "h 1" is not a fleet host name/,
    ],
    [
      { host: { name: 'h1', entryPublicKeyFiles: [], entryTokenFile: token } },
      /fleet\.host\.entryPublicKeyFiles: expected a list of at least one/,
    ],
    [
      { host: { name: 'h1', entryPublicKeyFiles: ['/nope.pub'], entryTokenFile: token } },
      /entryPublicKeyFiles\[0\]: cannot read \/nope\.pub/,
    ],
    [entry([]), /fleet\.entry\.hosts: expected a list of at least one host/],
    [entry([h1, h1]), /host name "h1" is given twice/],
    [
      entry([{ ...h1, url: 'ftp://x' }]),
      /hosts\[0\]\.url: "ftp:\/\/x": write it as http\(s\):\/\/host\[:port\]/,
    ],
    [entry([{ ...h1, url: 'http://x/api' }]), /with no path/],
    [entry([{ ...h1, browserUrl: '/h/../x' }]), /browserUrl: "\/h\/\.\.\/x": a path like "\/h\/h1"/],
    [entry([{ ...h1, tokenFile: '/nope' }]), /hosts\[0\]\.tokenFile: cannot read \/nope/],
    [entry([{ ...h1, colour: 'red' }]), /unknown setting "colour"/],
    [entry([h1], { ticketTtlSeconds: 60 }), /ticketTtlSeconds: expected a whole number from 1 to 30/],
    [{ hosts: [] }, /fleet: unknown setting "hosts"/],
  ])('refuses %j', (fleet, message) => {
    expect(() => load(fleet)).toThrow(message);
  });

  it('writes a key pair with a private key only its owner may read, and never overwrites it', () => {
    expect(statSync(keys.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(readPrivateKey(keys.privateKeyFile).asymmetricKeyType).toBe('ed25519');
    expect(() => writeKeyPair(path.join(dir, 'keys'))).toThrow(/exists; move it away first/);
  });

  it('refuses a key that is not Ed25519 and a short token when the daemon starts', () => {
    const rsa = path.join(dir, 'rsa.pem');
    writeFileSync(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const deps = { registry: new FakeRegistry(), hub: {} as never, logger: silentLogger };
    expect(() => createFleet(load(entry([h1], { privateKeyFile: rsa })), deps)).toThrow(
      /is rsa, not Ed25519/,
    );
    const short = path.join(dir, 'short');
    writeFileSync(short, 'abc\n');
    expect(() => createFleet(load(entry([{ ...h1, tokenFile: short }])), deps)).toThrow(
      /at least 16 printable characters/,
    );
  });

  it('makes an nginx site: / to the entry, /h/<host>/ to each proxied host, upgrades unbuffered', () => {
    const config = load(
      entry([
        { ...h1, browserUrl: '/h/h1' },
        { ...h1, name: 'h2', url: 'https://h2.example:8443', browserUrl: '/h/h2' },
        { ...h1, name: 'h3', url: 'https://h3.example' },
      ]),
    );
    const site = nginxConfig(config, { listen: '127.0.0.1:8000' });
    expect(site).toContain('listen 127.0.0.1:8000;');
    expect(site).toContain('server 127.0.0.1:8080;');
    expect(site).toContain('location /h/h1/ {');
    expect(site).toContain('proxy_pass http://vwc_fleet_host_h1$vwc_fleet_host_h1_uri;');
    expect(site).toContain('"~^/h/h1(/.*)$" $1;');
    expect(site).toContain('proxy_pass https://vwc_fleet_host_h2$vwc_fleet_host_h2_uri;');
    expect(site).toContain('proxy_ssl_name h2.example;');
    expect(site).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(site).toContain('proxy_buffering off;');
    expect(site).not.toContain('location /h/h3');
    expect(site).toContain('# Host h3: browsers reach it directly at https://h3.example.');
    expect(() => nginxConfig(load(undefined))).toThrow(/has no fleet.entry/);
  });
});
