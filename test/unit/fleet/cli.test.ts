// `virt-webconsole fleet keygen` and `fleet nginx-config` through the command line: files and
// modes, what is printed, and mistakes (exit 2 with the usage).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type ServeDeps } from '../../../src/app/index.js';
import { fakeIo } from '../app/fake-io.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-fleet-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const noServe = {} as ServeDeps;

describe('virt-webconsole fleet', () => {
  it('keygen writes a PEM pair, the private key 0600, and refuses to overwrite it (exit 2)', async () => {
    const io = fakeIo();
    expect(await runCli(['fleet', 'keygen', path.join(dir, 'keys')], io, noServe)).toBe(0);
    const key = path.join(dir, 'keys', 'fleet-entry.key');
    expect(io.out()).toContain(key);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'keys', 'fleet-entry.pub'), 'utf8')).toMatch(
      /^-----BEGIN PUBLIC KEY-----/,
    );
    const again = fakeIo();
    expect(await runCli(['fleet', 'keygen', path.join(dir, 'keys')], again, noServe)).toBe(2);
    expect(again.err()).toMatch(/exists; move it away first/);
  });

  it("nginx-config prints the entry's site", async () => {
    const token = path.join(dir, 'token');
    writeFileSync(token, 't'.repeat(20));
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        listen: '127.0.0.1:9000',
        fleet: {
          entry: {
            privateKeyFile: path.join(dir, 'keys', 'fleet-entry.key'),
            hosts: [{ name: 'h1', url: 'http://10.0.0.1:8080', browserUrl: '/h/h1', tokenFile: token }],
          },
        },
      }),
    );
    const io = fakeIo();
    expect(await runCli(['fleet', 'nginx-config', config, '--listen', '8443'], io, noServe)).toBe(0);
    expect(io.out()).toContain('listen 8443;');
    expect(io.out()).toContain('server 127.0.0.1:9000;');
    expect(io.out()).toContain('server 10.0.0.1:8080;');
    expect(io.out()).toContain('location /h/h1/ {');
  });

  it.each([
    [['fleet'], /missing keygen\|nginx-config/],
    [['fleet', 'rotate', 'x'], /unknown fleet command "rotate"/],
    [['fleet', 'keygen', 'x', '--listen', '80'], /--listen goes with nginx-config/],
    [['fleet', 'nginx-config', '/nope.json'], /cannot read the config file/],
  ])('%j is a mistake (exit 2)', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io, noServe)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});
