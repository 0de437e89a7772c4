// The runner's side of bench/harness/loop-probe.ts: one relay's event-loop delay per load phase.
// sample() signals the relay (SIGUSR2) and waits for the line it appends: the delay since the
// previous sample. Call it once before a phase (to start over) and once after (the phase's).
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export const LOOP_PROBE_ENV = 'BENCH_LOOP_PROBE_FILE';
export const LOOP_PROBE_MODULE = new URL('./loop-probe.ts', import.meta.url).pathname;

export class LoopProbe {
  readonly #pid: number;
  readonly #file: string;

  constructor(pid: number, file: string) {
    this.#pid = pid;
    this.#file = file;
  }

  #lines(): string[] {
    return existsSync(this.#file) ? readFileSync(this.#file, 'utf8').split('\n').filter(Boolean) : [];
  }

  async sample(): Promise<LoopDelay | undefined> {
    const before = this.#lines().length;
    try {
      process.kill(this.#pid, 'SIGUSR2');
    } catch {
      return undefined;
    }
    for (let i = 0; i < 100; i++) {
      await sleep(10);
      const lines = this.#lines();
      if (lines.length > before) return JSON.parse(lines.at(-1)!) as LoopDelay;
    }
    return undefined;
  }
}
