// The config loader: precedence (defaults < file < env < flags), validation messages that say
// how to fix a mistake, and a frozen result.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configWarnings, loadConfig, parseListen } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** No env at all and a config path that does not exist at the default place. */
const NO_ENV = {};

describe('loadConfig', () => {
  it('has working defaults when there is no config file', () => {
    const config = loadConfig({ env: { VWC_USERS_FILE: '/tmp/u' }, argv: [] });
    expect(config.listen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8080 });
    expect(config.tls).toBeNull();
    expect(config.libvirt.uri).toBe('qemu:///system');
    expect(config.discovery).toEqual({
      mode: 'libvirt',
      socketFolders: [],
      include: [],
      reconcileSeconds: 60,
    });
    expect(config.loginRateLimit).toEqual({ maxFailures: 5, windowSeconds: 300 });
    expect(config.webDir.endsWith(path.join('dist', 'web'))).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.serial)).toBe(true);
  });

  it('layers file < env < flags', () => {
    const configFile = file('layers.json', {
      listen: '0.0.0.0:9000',
      logLevel: 'debug',
      libvirt: { uri: 'qemu:///session' },
      users: { bob: { domains: ['web-*'] } },
      serial: { tailBytes: 4096 },
    });
    const config = loadConfig({
      argv: [
        '--config',
        configFile,
        '--listen',
        'unix:/run/vwc.sock',
        '--allowed-origin',
        'https://a.example',
      ],
      env: { VWC_LISTEN: '[::1]:7000', VWC_LOG_LEVEL: 'warn' },
    });
    expect(config.listen).toEqual({ kind: 'unix', path: '/run/vwc.sock', group: null, mode: 0o660 });
    expect(config.logLevel).toBe('warn');
    expect(config.libvirt.uri).toBe('qemu:///session');
    expect(config.users).toEqual({ bob: { domains: ['web-*'] } });
    expect(config.serial.tailBytes).toBe(4096);
    expect(config.allowedOrigins).toEqual(['https://a.example']);
    expect(config.configFile).toBe(configFile);
  });

  it('takes the socket group and mode from the listen object, env or flags', () => {
    const configFile = file('socket.json', {
      listen: { address: 'unix:/run/a.sock', socketGroup: 'www-data', socketMode: '0666' },
      stateDir: '/srv/vwc-state',
    });
    const fromFile = loadConfig({ argv: ['--config', configFile], env: NO_ENV });
    expect(fromFile.listen).toEqual({ kind: 'unix', path: '/run/a.sock', group: 'www-data', mode: 0o666 });
    expect(fromFile.stateDir).toBe('/srv/vwc-state');
    const layered = loadConfig({
      argv: ['--config', configFile, '--socket-mode', '640', '--state-dir', '/srv/other'],
      env: { VWC_SOCKET_GROUP: 'nginx', VWC_LISTEN: 'unix:/run/b.sock' },
    });
    expect(layered.listen).toEqual({ kind: 'unix', path: '/run/b.sock', group: 'nginx', mode: 0o640 });
    expect(layered.stateDir).toBe('/srv/other');
    expect(loadConfig({ argv: [], env: NO_ENV }).stateDir).toBe('/var/lib/virt-webconsole');
  });

  it('takes lists from env as comma-separated values', () => {
    const config = loadConfig({
      argv: [],
      env: {
        VWC_TRUSTED_PROXIES: '10.0.0.0/8, ::1,unix',
        VWC_SOCKET_FOLDERS: '/a,/b',
        VWC_DISCOVERY_MODE: 'both',
      },
    });
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', '::1', 'unix']);
    expect(config.discovery.socketFolders).toEqual(['/a', '/b']);
  });

  it.each([
    [{ lisen: '1' }, /unknown setting "lisen"; known settings are listen,/],
    [{ listen: 'localhost' }, /listen: expected host:port/],
    [{ listen: 'unix:relative.sock' }, /absolute path/],
    [{ listen: '1.2.3.4:99999' }, /listen: expected host:port/],
    [{ tls: { cert: '/nonexistent/cert.pem' } }, /give both tls.cert and tls.key/],
    [{ tls: { cert: '/nonexistent/c', key: '/nonexistent/k' } }, /tls.cert: cannot read \/nonexistent\/c/],
    [{ discovery: { mode: 'socket-folder' } }, /needs at least one socket folder/],
    [{ discovery: { mode: 'magic' } }, /discovery.mode: expected one of libvirt, socket-folder, both/],
    [{ serial: { tailBytes: -1 } }, /serial.tailBytes: expected a whole number from 1024/],
    [{ allowedOrigins: ['https://a.example/path'] }, /no path/],
    [{ trustedProxies: ['proxy.example'] }, /expected an IP address, a CIDR/],
    [{ users: { bob: { domains: 'web-*', role: 'x' } } }, /users.bob: unknown setting "role"/],
    [{ logLevel: 'loud' }, /logLevel: expected one of fatal, error/],
    [{ listen: { address: '8080', socketGroup: 'www-data' } }, /apply to a UNIX socket/],
    [{ listen: { address: 'unix:/run/x.sock', socketMode: 660 } }, /listen.socketMode: expected octal/],
    [{ listen: { adress: 'unix:/run/x.sock' } }, /listen: unknown setting "adress"/],
  ])('refuses %j with a message that says how to fix it', (content, message) => {
    const configFile = file('bad.json', content);
    expect(() => loadConfig({ argv: ['--config', configFile], env: NO_ENV })).toThrow(message);
  });

  it('refuses a missing explicit config file, bad JSON and unknown flags', () => {
    expect(() => loadConfig({ argv: ['--config', path.join(dir, 'none.json')], env: NO_ENV })).toThrow(
      /cannot read the config file/,
    );
    expect(() => loadConfig({ argv: ['--config', file('broken.json', '{ nope')], env: NO_ENV })).toThrow(
      /not valid JSON/,
    );
    expect(() => loadConfig({ argv: ['--lisen', 'x'], env: NO_ENV })).toThrow(/flags are --config, --listen/);
    expect(() => loadConfig({ argv: [], env: { VWC_CONFIG: path.join(dir, 'none.json') } })).toThrow(
      /VWC_ERR|cannot read/,
    );
  });

  it('reads every error as a VwcError with code VWC_ERR_CONFIG', () => {
    try {
      loadConfig({ argv: ['--listen', 'nonsense'], env: NO_ENV });
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('VWC_ERR_CONFIG');
    }
  });
});

describe('parseListen', () => {
  it.each([
    ['8080', { kind: 'tcp', host: '127.0.0.1', port: 8080 }],
    ['0.0.0.0:0', { kind: 'tcp', host: '0.0.0.0', port: 0 }],
    ['[::]:443', { kind: 'tcp', host: '::', port: 443 }],
    ['unix:/run/x.sock', { kind: 'unix', path: '/run/x.sock', group: null, mode: 0o660 }],
  ])('%s', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });
});

describe('configWarnings', () => {
  it('warns about a UNIX listener that trusts no proxy, and only then', () => {
    const unix = loadConfig({ argv: [], env: { VWC_LISTEN: 'unix:/run/vwc.sock' } });
    expect(configWarnings(unix)).toEqual([expect.stringMatching(/every client shares one address/)]);
    const trusted = loadConfig({
      argv: [],
      env: { VWC_LISTEN: 'unix:/run/vwc.sock', VWC_TRUSTED_PROXIES: 'unix' },
    });
    expect(configWarnings(trusted)).toEqual([]);
    // Trusting only IP proxies does not help a UNIX listener: its peer is `unix`.
    const ipOnly = loadConfig({
      argv: [],
      env: { VWC_LISTEN: 'unix:/run/vwc.sock', VWC_TRUSTED_PROXIES: '127.0.0.1' },
    });
    expect(configWarnings(ipOnly)).toHaveLength(1);
    expect(configWarnings(loadConfig({ argv: [], env: NO_ENV }))).toEqual([]);
  });
});
