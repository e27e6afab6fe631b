// The `ssh` section: off by default; on through the file, VWC_SSH_LISTEN or --ssh-listen; every
// mistake named with how to fix it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLAGS, loadConfig, parseSshListen } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-ssh-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function withFile(content: unknown): string[] {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return ['--config', file];
}

describe('ssh config', () => {
  it('is off by default, with the documented defaults', () => {
    const { ssh } = loadConfig({ env: {}, argv: withFile({}) });
    expect(ssh).toEqual({
      listen: null,
      authorizedKeys: '/etc/virt-webconsole/authorized_keys/%u',
      idleTimeoutSeconds: 3600,
      maxSessionsPerUser: 8,
      historyBytes: 65536,
    });
  });

  it('turns on from the file, the environment and the flag, in rising order', () => {
    const argv = withFile({ ssh: { listen: '0.0.0.0:2200', historyBytes: 0 } });
    expect(loadConfig({ env: {}, argv }).ssh.listen).toEqual({ host: '0.0.0.0', port: 2200 });
    expect(loadConfig({ env: { VWC_SSH_LISTEN: '127.0.0.1:2300' }, argv }).ssh.listen).toEqual({
      host: '127.0.0.1',
      port: 2300,
    });
    expect(
      loadConfig({ env: { VWC_SSH_LISTEN: '127.0.0.1:2300' }, argv: [...argv, '--ssh-listen', '2400'] }).ssh,
    ).toMatchObject({ listen: { host: '127.0.0.1', port: 2400 }, historyBytes: 0 });
    expect(FLAGS['ssh-listen'].help).toContain('default off');
  });

  it('reads host:port, [v6]:port, a port (loopback) and a host alone (port 2222)', () => {
    expect(parseSshListen('0.0.0.0')).toEqual({ host: '0.0.0.0', port: 2222 });
    expect(parseSshListen('[::]:22')).toEqual({ host: '::', port: 22 });
    expect(parseSshListen('2222')).toEqual({ host: '127.0.0.1', port: 2222 });
    expect(() => parseSshListen('unix:/run/x.sock')).toThrow(/ssh\.listen: expected host:port/);
    expect(() => parseSshListen('h:99999')).toThrow(/ssh\.listen/);
  });

  it('names the setting and the fix for every mistake', () => {
    const load = (ssh: unknown) => () => loadConfig({ env: {}, argv: withFile({ ssh }) });
    expect(load({ authorizedKeys: '/etc/keys' })).toThrow(/ssh\.authorizedKeys: the path must hold %u/);
    expect(load({ idleTimeoutSeconds: -1 })).toThrow(/ssh\.idleTimeoutSeconds: expected a whole number/);
    expect(load({ maxSessionsPerUser: 0 })).toThrow(/ssh\.maxSessionsPerUser/);
    expect(load({ historyBytes: 'lots' })).toThrow(/ssh\.historyBytes/);
    expect(load({ lisen: 'x' })).toThrow(/ssh: unknown setting "lisen"/);
  });
});
