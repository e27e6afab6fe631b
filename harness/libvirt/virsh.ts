// Minimal virsh calls for the test rig. (The daemon has its own runner in src/discovery; the
// rig stays independent of the code under test so a bug there cannot hide in the fixtures.)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const TEST_URI = 'qemu:///system';

export async function virsh(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('virsh', ['-c', TEST_URI, ...args], {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** Like virsh(), but a failure (e.g. "domain is not running") is returned, not thrown. */
export async function virshQuiet(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    return { ok: true, output: await virsh(...args) };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    return { ok: false, output: stderr };
  }
}
