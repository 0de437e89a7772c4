// One load phase measured as the bench reports it: the CPU each process used (the runner, the
// upstream, the proxy) and the proxy's peak RSS, sampled while the phase runs. Shared by
// `npm run bench` (run.ts) and `npm run bench:tail` (tail.ts).
import type { Child } from '../../test/support/child.ts';
import type { LoadResult } from '../load/load.ts';
import { cpuSeconds, Usage } from '../../test/support/process-stats.ts';
import type { PhaseResult } from './result.ts';
import type { Target } from '../harness/targets/index.ts';

/** Runs one load phase while sampling the runner, the upstream and the proxy process. */
export async function measured<T extends LoadResult>(target: Target, upstream: Child, run: () => Promise<T>): Promise<T & PhaseResult> {
  const proxy = target.child ? new Usage(target.child.pid) : undefined;
  const up0 = cpuSeconds(upstream.pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run();
  const wallS = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(gen0);
  // wrk is its own process: its CPU, not the runner's.
  const genS = 'loadgenCpuS' in r && typeof r.loadgenCpuS === 'number' ? r.loadgenCpuS : (own.user + own.system) / 1e6;
  const upS = cpuSeconds(upstream.pid) - up0;
  const p = proxy?.stop();
  const pct = (s: number) => (100 * s) / wallS;
  return {
    ...r,
    ...(p ? { proxyCpuS: p.cpuSeconds, proxyCpuPer1k: (p.cpuSeconds / r.responses) * 1000, proxyPeakRssBytes: p.peakRssBytes } : {}),
    cpuPercent: { loadgen: pct(genS), upstream: pct(upS), ...(p ? { proxy: pct(p.cpuSeconds) } : {}) },
  };
}
