// Loaded into the relay by the bench only (node --import bench/harness/loop-probe.ts …): the relay's
// event-loop delay at 1 ms resolution, finer than the runtime metrics' own gauge. On SIGUSR2 it
// appends {p50, p99, max, mean} in ms since the previous signal as one JSON line to the file named
// by BENCH_LOOP_PROBE_FILE, and starts over, so the runner reads one line per load phase.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env['BENCH_LOOP_PROBE_FILE'];
if (file) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  process.on('SIGUSR2', () => {
    const line = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean), samples: h.count };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    h.reset();
  });
}
