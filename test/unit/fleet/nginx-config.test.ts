// `virt-webconsole fleet nginx-config --entry …`: every entry of the fleet in one upstream with
// passive health checks, checked by the real `nginx -t` (Debian's nginx; nothing is started),
// and bad `--entry` values refused with exit 2.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type ServeDeps } from '../../../src/app/index.js';
import { writeKeyPair } from '../../../src/fleet/index.js';
import { checkNginx } from '../../../harness/nginx.js';
import { fakeIo } from '../app/fake-io.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-fleet-nginx-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const noServe = {} as ServeDeps;

const config = path.join(dir, 'config.json');
const token = path.join(dir, 'token');
writeFileSync(token, 't'.repeat(20));
writeFileSync(
  config,
  JSON.stringify({
    listen: '0.0.0.0:9000',
    fleet: {
      entry: {
        privateKeyFile: writeKeyPair(path.join(dir, 'keys')).privateKeyFile,
        hosts: [{ name: 'h1', url: 'http://10.0.0.1:8080', browserUrl: '/h/h1', tokenFile: token }],
      },
    },
  }),
);

async function site(...flags: string[]): Promise<string> {
  const io = fakeIo();
  expect(
    await runCli(['fleet', 'nginx-config', config, '--listen', '127.0.0.1:8099', ...flags], io, noServe),
  ).toBe(0);
  return io.out();
}

/** The upstream block of the entries, as printed. */
const entryUpstream = (text: string): string =>
  /^upstream vwc_fleet_entry \{\n([^}]*)\}$/m.exec(text)?.[1] ?? 'no upstream vwc_fleet_entry';

describe('fleet nginx-config with several entries', () => {
  it('puts this entry and every --entry in the upstream, each with max_fails and fail_timeout', async () => {
    const text = await site(
      '--entry',
      '10.0.0.6:8080',
      '--entry',
      '[fd00::7]:8443',
      '--entry',
      'unix:/run/e3.sock',
    );
    const servers = entryUpstream(text)
      .split('\n')
      .filter((line) => line.trim().startsWith('server '));
    expect(servers).toEqual([
      // This entry listens on every address: nginx beside it reaches it over loopback.
      '    server 127.0.0.1:9000 max_fails=1 fail_timeout=10s;',
      '    server 10.0.0.6:8080 max_fails=1 fail_timeout=10s;',
      '    server [fd00::7]:8443 max_fails=1 fail_timeout=10s;',
      '    server unix:/run/e3.sock max_fails=1 fail_timeout=10s;',
    ]);
    // A dead machine (no refusal) is given up on quickly, so the next entry serves the request.
    expect(text).toContain('proxy_connect_timeout 5s;');
  });

  it('keeps a lone entry as one plain server line', async () => {
    expect(entryUpstream(await site())).toBe('    server 127.0.0.1:9000;\n');
  });

  it.each([[[]], [['--entry', '10.0.0.6:8080', '--entry', 'unix:/run/e3.sock']]])(
    'nginx -t accepts the site (%j)',
    async (flags) => {
      const nginxDir = path.join(dir, `nginx-${flags.length}`);
      mkdirSync(nginxDir);
      chmodSync(nginxDir, 0o755);
      expect(checkNginx({ dir: nginxDir, site: await site(...flags) })).toMatch(/test is successful/);
    },
  );

  it.each([
    [['--entry', 'entry2'], /--entry "entry2": expected another entry's HOST:PORT/],
    [['--entry', '0.0.0.0:8080'], /--entry "0.0.0.0:8080": expected another entry's HOST:PORT/],
    [['--entry', 'unix:relative.sock'], /--entry "unix:relative.sock"/],
    [['--entry', '127.0.0.1:9000'], /entry 127.0.0.1:9000 is given twice/],
    [['--entry', '10.0.0.6:80', '--entry', '10.0.0.6:80'], /entry 10.0.0.6:80 is given twice/],
  ])('%j is a mistake (exit 2)', async (flags, message) => {
    const io = fakeIo();
    expect(await runCli(['fleet', 'nginx-config', config, ...flags], io, noServe)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('refuses --entry with keygen (exit 2)', async () => {
    const io = fakeIo();
    expect(
      await runCli(['fleet', 'keygen', path.join(dir, 'k2'), '--entry', '10.0.0.6:80'], io, noServe),
    ).toBe(2);
    expect(io.err()).toMatch(/--entry goes with nginx-config/);
  });
});
