// Resource use of a process from /proc (Linux): CPU seconds (utime + stime), resident memory, open fds.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process (all its threads) in seconds; NaN when it cannot be read. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** A /proc/<pid>/status field in bytes (VmRSS, VmHWM; RssAnon and RssFile split VmRSS into
 *  anonymous memory and file pages, mostly the node binary's); NaN when it cannot be read. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors of a process; NaN when they cannot be listed. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process while a phase runs: CPU seconds used, and the peak VmRSS (polled every 100 ms). */
export class Usage {
  readonly #pid: number;
  readonly #cpu0: number;
  readonly #timer: NodeJS.Timeout;
  #peak = 0;
  /** The last CPU reading: a process that has exited (wrk) has none left to read at stop(). */
  #cpu: number;

  constructor(pid: number) {
    this.#pid = pid;
    this.#cpu0 = cpuSeconds(pid);
    this.#cpu = this.#cpu0;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 100);
  }

  #sample(): void {
    const rss = statusBytes(this.#pid, 'VmRSS');
    if (rss > this.#peak) this.#peak = rss;
    const cpu = cpuSeconds(this.#pid);
    if (Number.isFinite(cpu)) this.#cpu = cpu;
  }

  stop(): { cpuSeconds: number; peakRssBytes: number } {
    clearInterval(this.#timer);
    this.#sample();
    return { cpuSeconds: this.#cpu - this.#cpu0, peakRssBytes: this.#peak };
  }
}
