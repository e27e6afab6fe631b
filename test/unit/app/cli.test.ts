// The command line's conventions: --help on every command prints its full usage on stdout and
// exits 0; mistakes exit 2 with a short usage on stderr; --version reads package.json; serve's
// help is generated from the config's flag table, so it names every flag serve takes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type ServeDeps } from '../../../src/app/index.js';
import { COMMANDS, fullUsage } from '../../../src/app/usage.js';
import { packageVersion } from '../../../src/config/index.js';
import { FLAG_NAMES } from '../../../src/config/index.js';
import { fakeIo } from './fake-io.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// serve must never start here: help and mistakes are answered before anything is built.
const noServe: ServeDeps = {
  parts: {
    createDiscovery: () => {
      throw new Error('serve started');
    },
    createHub: () => {
      throw new Error('serve started');
    },
  },
  onSignal: () => undefined,
};

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo();
  const code = await runCli(argv, io, noServe);
  return { code, out: io.out(), err: io.err() };
}

describe('--help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s lists every command on stdout, exit 0', async (flag) => {
    const { code, out, err } = await run(flag);
    expect([code, err]).toEqual([0, '']);
    for (const name of Object.keys(COMMANDS)) expect(out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it.each(
    Object.keys(COMMANDS).flatMap((name) => [
      [name, '--help'],
      [name, '-h'],
      ['help', name],
    ]),
  )('`%s %s` prints that command’s full usage on stdout, exit 0', async (...argv) => {
    const name = argv[0] === 'help' && !argv[1].startsWith('-') ? argv[1] : argv[0];
    const { code, out, err } = await run(...argv);
    expect([code, err]).toEqual([0, '']);
    expect(out).toBe(fullUsage(name as keyof typeof COMMANDS));
    expect(out).toMatch(new RegExp(`^usage: virt-webconsole ${name}\\b`));
  });

  it.each(['serve', 'check-config'])('%s --help names every flag serve takes', async (name) => {
    const { out } = await run(name, '--help');
    for (const flag of [...FLAG_NAMES, 'help'])
      expect(out).toMatch(new RegExp(`^  (-h, )?--${flag}\\b`, 'm'));
    expect(out).toContain('--include GLOB');
    expect(out).toContain('[VWC_SOCKET_GROUP]');
  });

  it('passwd uses serve’s names for the flags they share', async () => {
    const { out } = await run('passwd', '--help');
    const own = ['role', 'password-stdin', 'help'];
    const flags = Object.keys(COMMANDS.passwd.flags).filter((name) => !own.includes(name));
    expect(flags.sort()).toEqual(['config', 'users-file']);
    for (const flag of flags) expect(FLAG_NAMES).toContain(flag);
    expect(out).toContain('--users-file FILE');
    expect(out).not.toMatch(/--users\b(?!-)/);
  });

  it('help text fits a 100-column terminal', () => {
    for (const name of [null, ...Object.keys(COMMANDS)] as const) {
      for (const line of fullUsage(name as keyof typeof COMMANDS | null).split('\n'))
        expect(line.length).toBeLessThanOrEqual(100);
    }
  });

  it('docs/config.md names every serve flag', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/config.md'), 'utf8');
    for (const flag of FLAG_NAMES) expect(doc).toMatch(new RegExp(`\`--${flag}[\` ]`));
  });
});

describe('mistakes', () => {
  it.each([
    [[], /no command given/, '--help'],
    [['bogus'], /unknown command "bogus"/, '--help'],
    [['--bogus'], /unknown option '--bogus'/, '--help'],
    [['help', 'bogus'], /unknown command "bogus"/, '--help'],
    [['serve', '--bogus'], /unknown option '--bogus'/, 'serve --help'],
    [['serve', 'extra'], /unexpected argument "extra"/, 'serve --help'],
    [['serve', '--listen'], /argument missing/, 'serve --help'],
    [['check-config', '--bogus'], /unknown option '--bogus'/, 'check-config --help'],
    [['passwd', 'bob', '--bogus'], /unknown option '--bogus'/, 'passwd --help'],
    [['passwd', 'bob', '--users', 'x'], /unknown option '--users'/, 'passwd --help'],
    [['passwd'], /missing <user>/, 'passwd --help'],
    [['version', 'x'], /unexpected argument "x"/, 'version --help'],
  ])('%j exits 2 with a short usage on stderr', async (argv, message, help) => {
    const { code, out, err } = await run(...argv);
    expect([code, out]).toEqual([2, '']);
    expect(err).toMatch(message);
    expect(err).toMatch(/^usage: virt-webconsole /m);
    expect(err).toContain(`run \`virt-webconsole ${help}\``);
    // The message, the usage (two lines at most) and where the rest is.
    expect(err.trimEnd().split('\n').length).toBeLessThanOrEqual(4);
  });
});

describe('--version', () => {
  it.each([['--version'], ['-V'], ['version']])('%s prints the version of package.json', async (flag) => {
    expect(await run(flag)).toEqual({ code: 0, out: `virt-webconsole ${VERSION}\n`, err: '' });
  });

  it('finds the package’s own package.json above the module, wherever it is installed', () => {
    // As installed: <root>/dist/src/app, with a package.json of another name on the way up.
    const root = path.join(dir, 'usr/lib/virt-webconsole');
    const appDir = path.join(root, 'dist/src/app');
    mkdirSync(appDir, { recursive: true });
    writeFileSync(path.join(root, 'package.json'), '{"name": "virt-webconsole", "version": "9.8.7"}');
    writeFileSync(path.join(root, 'dist/package.json'), '{"type": "module"}');
    expect(packageVersion(appDir)).toBe('9.8.7');
    expect(() => packageVersion(path.join(dir, 'usr'))).toThrow(/no package.json of virt-webconsole/);
  });
});
