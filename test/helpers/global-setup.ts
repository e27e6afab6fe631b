// vitest globalSetup for the integration and e2e projects: checks that the host is ready
// (scripts/setup-host.sh has run), builds the guest, reaps leftovers of dead runs, and at the
// end reaps this run's domains even when tests failed or were interrupted.
import { execFileSync } from 'node:child_process';
import { guestImage } from '../../harness/libvirt/guest.js';
import { reapTestDomains } from '../../harness/libvirt/domains.js';

export default async function setup(): Promise<() => Promise<void>> {
  const run = String(process.pid);
  process.env.VWC_TEST_RUN = run;
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', 'version'], { stdio: 'ignore', timeout: 15_000 });
  } catch {
    throw new Error('libvirtd does not answer on qemu:///system: run `bash scripts/setup-host.sh` as root');
  }
  guestImage();
  await reapTestDomains();
  return async () => {
    await reapTestDomains(run);
  };
}
