// /proc readings for the benches: CPU seconds, RSS and PSS of a relay's process tree (websockify
// forks one process per connection, so children count, reaped ones included), the whole
// machine's busy CPU seconds, and CPU pinning with taskset.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux
const PAGE = 4096;

function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (child.trim()) out.push(Number(child), ...descendants(Number(child)));
      }
    } catch {
      // task gone
    }
  }
  return out;
}

/** CPU seconds (utime + stime) of the roots, their live descendants and every reaped child. */
export function treeCpu(roots: number[]): number {
  let ticks = 0;
  for (const pid of roots.flatMap((root) => [root, ...descendants(root)])) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / TICKS;
}

/** Proportional set size in KiB (shared pages split among their users) of the roots and their live descendants. */
export function treePssKiB(roots: number[]): number {
  let kib = 0;
  for (const pid of roots.flatMap((r) => [r, ...descendants(r)])) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      kib += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib;
}

export function treeRss(roots: number[]): number {
  let pages = 0;
  for (const pid of roots.flatMap((r) => [r, ...descendants(r)])) pages += Number(statFields(pid)?.[21] ?? 0);
  return pages * PAGE;
}

/**
 * Busy CPU seconds of the whole machine (every CPU; user, nice, system, irq, softirq; not steal, which is the hypervisor's).
 * Catches kernel work the relay causes but is charged elsewhere, such as loopback TCP receive
 * processing deferred to ksoftirqd.
 */
export function machineCpu(): number {
  // cpu  user nice system idle iowait irq softirq steal …
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / TICKS;
}

/** Moves every thread of `pid` to `cpus` (taskset list syntax); children forked later inherit it. */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
}
