// The two ways users install virt-webconsole, end to end: the npm tarball (`npm pack`, then
// `npm install -g`) and the Debian package (scripts/build-deb.sh, then `apt-get install`). Each
// is checked for what it holds, run, and made to serve a real guest's serial console from the
// installed copy (its own dist/web and node_modules, nothing from the repository). The .deb is
// installed on this machine for real and purged at the end; a leftover install from an
// interrupted run is purged first.
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { basic } from '../../../harness/http-server.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import {
  PACKAGE,
  aptInstall,
  aptPurge,
  buildDeb,
  debField,
  debPaths,
  dpkgStatus,
  expectServesConsole,
  npmInstallGlobal,
  npmPack,
  run,
  tarListing,
  type PackedFile,
} from './steps.js';

const OPERATOR = { name: 'packer', password: 'packer-pw', role: 'operator' } as const;
/** Browser libraries esbuild bundles into dist/web: never needed at run time. */
const BUNDLED_ONLY = ['@novnc', '@xterm'];
/** Build tools and test libraries: never shipped. */
const DEV_ONLY = ['typescript', 'esbuild', 'vitest', 'eslint', 'prettier', 'tsx', 'playwright-core'];

const DEB_NAME = 'virt-webconsole';
const DEB_PATHS = {
  lib: '/usr/lib/virt-webconsole',
  bin: '/usr/bin/virt-webconsole',
  etc: '/etc/virt-webconsole',
  state: '/var/lib/virt-webconsole',
  run: '/run/virt-webconsole',
  unit: '/lib/systemd/system/virt-webconsole.service',
  wants: '/etc/systemd/system/multi-user.target.wants/virt-webconsole.service',
  doc: '/usr/share/doc/virt-webconsole',
};

/**
 * Runs an installed copy's daemon on this test's guest with its defaults for webDir (so it must
 * find its own dist/web) and `config` on top, hands it to `body`, then stops it: exit code 0.
 */
async function withInstalledDaemon(
  command: string,
  domain: TestDomain,
  config: Record<string, unknown>,
  body: (daemon: RunningDaemon) => Promise<void>,
): Promise<void> {
  const daemon = await startDaemon({
    command: [command],
    users: [OPERATOR],
    config: {
      // Undefined drops the helper's webDir (the repository's dist/web) from the config file.
      webDir: undefined,
      discovery: { include: [domain.name] },
      ...config,
    },
  });
  try {
    await body(daemon);
  } finally {
    const code = await daemon.stop();
    expect(code, daemon.output()).toBe(0);
  }
}

describe('packages', () => {
  const domains = new TestDomains();
  let guest: TestDomain;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vwc-package-'));

  beforeAll(async () => {
    guest = await domains.create({ label: 'package', serials: ['pty'], vnc: 'none' });
  });
  afterAll(async () => {
    await domains.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  describe('npm tarball', () => {
    const prefix = path.join(work, 'prefix');
    let tarball: string;
    let files: PackedFile[];
    const bin = path.join(prefix, 'bin', 'virt-webconsole');
    const installed = path.join(prefix, 'lib', 'node_modules', PACKAGE.name);

    it('packs what runs and nothing else', { timeout: 300_000 }, async () => {
      ({ tarball, files } = await npmPack(work));
      const paths = files.map((f) => f.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'dist/src/cli.js',
          'dist/web/console.html',
          'dist/web/list.html',
          'dist/web/console.page.js',
          'contrib/virt-webconsole.service',
          'contrib/nginx.conf',
          'packaging/config.json',
          'docs/config.md',
        ]),
      );
      const unwanted = paths.filter(
        (p) =>
          /^(test|fixtures|bench|harness|scripts|src|web|node_modules|\.cache)\//.test(p) ||
          /\.(ts|map)$/.test(p),
      );
      expect(unwanted).toEqual([]);
      // The bin must be executable in the tarball itself, not only after npm fixes it up.
      const cli = (await tarListing(tarball)).find((line) => line.endsWith(' package/dist/src/cli.js'));
      expect(cli).toMatch(/^-rwxr-xr-x /);
      const manifest = JSON.parse(await run('tar', ['-xzOf', tarball, 'package/package.json'])) as Record<
        string,
        unknown
      >;
      expect(manifest.private).toBeUndefined();
      const runtime = Object.keys(manifest.dependencies as Record<string, string>);
      expect(runtime.filter((d) => [...BUNDLED_ONLY, ...DEV_ONLY].some((x) => d.startsWith(x)))).toEqual([]);
    });

    it('installs with npm install -g into a clean prefix and runs', { timeout: 300_000 }, async () => {
      await npmInstallGlobal(tarball, prefix);
      expect((await run(bin, ['--version'])).trim()).toBe(`virt-webconsole ${PACKAGE.version}`);
      expect(await run(bin, ['--help'])).toMatch(/^usage: virt-webconsole/);
      for (const scope of [...BUNDLED_ONLY, ...DEV_ONLY]) {
        expect(existsSync(path.join(installed, 'node_modules', scope)), scope).toBe(false);
      }
    });

    it('serves a guest’s serial console from the installed copy', { timeout: 180_000 }, async () => {
      await withInstalledDaemon(bin, guest, {}, (daemon) =>
        expectServesConsole(
          daemon,
          basic(OPERATOR.name, OPERATOR.password),
          guest.name,
          path.join(installed, 'dist', 'web'),
        ),
      );
    });
  });

  describe('Debian package', () => {
    let deb: string;

    beforeAll(async () => {
      await aptPurge(DEB_NAME);
      // Anything left here without the package was made by hand: not ours to delete.
      for (const dir of [DEB_PATHS.etc, DEB_PATHS.state]) {
        if (existsSync(dir))
          throw new Error(`${dir} exists without the package: move it away to run this test`);
      }
    }, 300_000);
    afterAll(async () => {
      await aptPurge(DEB_NAME);
    }, 300_000);

    it(
      'builds with scripts/build-deb.sh: layout, conffiles, dependencies',
      { timeout: 300_000 },
      async () => {
        deb = await buildDeb(path.join(work, 'deb'));
        const debVersion = PACKAGE.version.replace(/-/g, '~');
        expect(path.basename(deb)).toBe(`virt-webconsole_${debVersion}_all.deb`);
        expect(await debField(deb, 'Package')).toBe(DEB_NAME);
        expect(await debField(deb, 'Version')).toBe(debVersion);
        expect(await debField(deb, 'Architecture')).toBe('all');
        const depends = (await debField(deb, 'Depends')).split(/,\s*/);
        expect(depends).toEqual(expect.arrayContaining(['nodejs (>= 20.19)', 'libvirt-clients']));
        expect((await debField(deb, 'Recommends')).split(/,\s*/)).toEqual(
          expect.arrayContaining(['libvirt-daemon-system', 'nginx']),
        );
        expect((await run('dpkg-deb', ['--info', deb, 'conffiles'])).trim()).toBe(
          '/etc/virt-webconsole/config.json',
        );

        const paths = await debPaths(deb);
        expect(paths).toEqual(
          expect.arrayContaining([
            'usr/bin/virt-webconsole',
            'usr/lib/virt-webconsole/package.json',
            'usr/lib/virt-webconsole/dist/src/cli.js',
            'usr/lib/virt-webconsole/dist/web/console.html',
            'usr/lib/virt-webconsole/dist/web/console.page.js',
            'usr/lib/virt-webconsole/node_modules/express/package.json',
            'lib/systemd/system/virt-webconsole.service',
            'etc/virt-webconsole/config.json',
            'usr/share/doc/virt-webconsole/README.md',
            'usr/share/doc/virt-webconsole/README.Debian',
            'usr/share/doc/virt-webconsole/copyright',
            'usr/share/doc/virt-webconsole/changelog.gz',
            'usr/share/doc/virt-webconsole/examples/nginx.conf',
            'usr/share/doc/virt-webconsole/examples/config-nginx.json',
            'usr/share/man/man1/virt-webconsole.1.gz',
          ]),
        );
        // The manual page has every command's usage, made from its --help.
        const man = await run('sh', [
          '-c',
          'dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/share/man/man1/virt-webconsole.1.gz | gunzip',
          'sh',
          deb,
        ]);
        expect(man).toMatch(/^\.TH VIRT-WEBCONSOLE 1 /);
        for (const section of [
          '.SS serve',
          '.SS passwd',
          '.SS check-config',
          '.SS ssh-fingerprint',
          '--ssh-listen',
        ])
          expect(man).toContain(section);
        const own = paths.filter((p) => !p.includes('/node_modules/'));
        expect(own.filter((p) => /\/(test|fixtures|bench|harness)\/|\.(ts|map)$/.test(p))).toEqual([]);
        const modules = paths.filter((p) => p.startsWith('usr/lib/virt-webconsole/node_modules/'));
        const shipped = new Set(modules.map((p) => p.split('/')[4]));
        expect([...BUNDLED_ONLY, ...DEV_ONLY].filter((m) => shipped.has(m))).toEqual([]);
      },
    );

    it('has no lintian errors', { timeout: 300_000 }, async () => {
      // setup-host.sh installs lintian; a missing one must fail here, not pass with no report.
      expect(existsSync('/usr/bin/lintian')).toBe(true);
      const report = await run('lintian', ['--no-tag-display-limit', deb]).catch((e: unknown) => String(e));
      expect(report.split('\n').filter((l) => l.startsWith('E: '))).toEqual([]);
    });

    it(
      'installs with apt-get: files, conffile, enabled unit, not started',
      { timeout: 300_000 },
      async () => {
        const output = await aptInstall(deb);
        expect(await dpkgStatus(DEB_NAME)).toBe('install ok installed');
        expect(output).toContain('systemctl start virt-webconsole');
        expect(output).toContain('/var/lib/virt-webconsole/initial-admin-password');
        expect((await run(DEB_PATHS.bin, ['--version'])).trim()).toBe(`virt-webconsole ${PACKAGE.version}`);
        expect(await run(DEB_PATHS.bin, ['--help'])).toMatch(/^usage: virt-webconsole/);
        expect(readFileSync(DEB_PATHS.unit, 'utf8')).toBe(
          readFileSync(path.join(REPO_ROOT, 'contrib/virt-webconsole.service'), 'utf8'),
        );
        expect(readFileSync(DEB_PATHS.unit, 'utf8')).toMatch(
          /^ExecStart=\/usr\/bin\/virt-webconsole serve --config \/etc\/virt-webconsole\/config.json$/m,
        );
        expect(lstatSync(DEB_PATHS.wants).isSymbolicLink()).toBe(true);
        expect(readFileSync(path.join(DEB_PATHS.etc, 'config.json'), 'utf8')).toBe(
          readFileSync(path.join(REPO_ROOT, 'packaging/config.json'), 'utf8'),
        );
        // Both shipped configurations are accepted by the installed daemon as they are.
        for (const config of [
          path.join(DEB_PATHS.etc, 'config.json'),
          path.join(DEB_PATHS.doc, 'examples/config-nginx.json'),
        ]) {
          expect(await run(DEB_PATHS.bin, ['check-config', '--config', config])).toContain('config OK');
        }
        // Not started: nothing made the users file or the state folder yet.
        expect(existsSync(path.join(DEB_PATHS.etc, 'users'))).toBe(false);
        expect(existsSync(DEB_PATHS.state)).toBe(false);
      },
    );

    it(
      'serves a guest’s serial console from the installed copy, first start included',
      { timeout: 180_000 },
      async () => {
        // The package's own users file and state folder: the first start makes user admin and
        // saves its password where the postinst message says.
        const usersFile = path.join(DEB_PATHS.etc, 'users');
        const passwordFile = path.join(DEB_PATHS.state, 'initial-admin-password');
        await withInstalledDaemon(
          DEB_PATHS.bin,
          guest,
          { usersFile, stateDir: DEB_PATHS.state },
          async (daemon) => {
            expect(statSync(usersFile).mode & 0o777).toBe(0o600);
            expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
            const password = readFileSync(passwordFile, 'utf8').trim();
            await expectServesConsole(
              daemon,
              basic('admin', password),
              guest.name,
              path.join(DEB_PATHS.lib, 'dist', 'web'),
            );
          },
        );
      },
    );

    it(
      'purges with apt-get: program, unit, configuration, users and state gone',
      { timeout: 300_000 },
      async () => {
        await aptPurge(DEB_NAME);
        expect(await dpkgStatus(DEB_NAME)).toBeNull();
        const left = Object.values(DEB_PATHS).filter((p) => existsSync(p) || isLink(p));
        expect(left).toEqual([]);
      },
    );
  });
});

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
