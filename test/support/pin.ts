// Pinning, for the bench's pinned mode (npm run bench -- --pin) and the CPU guard (test/perf/):
// on 2 CPUs the proxy under test, the upstream and the load generator otherwise compete for both,
// and the tail partly measures the scheduler. Pinned, the proxy has CPU 0 to itself and everything
// else shares CPU 1.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PROXY_CPU = '0';
export const LOADGEN_CPU = '1';

/** Pins a process, all its threads and all its descendants (nginx's worker) to `cpus`. */
export function pinTree(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
  for (const child of children(pid)) pinTree(child, cpus);
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
