// The built command run for real, as an operator or a package script would: what the other
// tests drive through fake streams must also hold for the process's exit code and streams.
// Needs `npm run build` first (scripts/test-all.sh builds before the tests).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FLAG_NAMES } from '../../../src/config/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/src/cli.js');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // No VWC_* from the caller's shell: the answers must not depend on it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VWC_')));
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 20_000 });
}

describe('dist/src/cli.js', () => {
  it('prints its version and serve’s full usage (exit 0), refuses an unknown option (exit 2)', () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(cli('--version')).toMatchObject({ status: 0, stdout: `virt-webconsole ${version}\n`, stderr: '' });

    const help = cli('serve', '--help');
    expect([help.status, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^usage: virt-webconsole serve/);
    for (const flag of FLAG_NAMES) expect(help.stdout).toContain(`--${flag} `);

    const wrong = cli('serve', '--bogus');
    expect([wrong.status, wrong.stdout]).toEqual([2, '']);
    expect(wrong.stderr).toMatch(/^virt-webconsole: unknown option '--bogus'\nusage: virt-webconsole serve/);
    expect(wrong.stderr).toContain('run `virt-webconsole serve --help`');
  });
});
