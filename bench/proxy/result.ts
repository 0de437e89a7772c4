// The shape of `--json` output: everything measured, from which the tables and the chart are drawn.
import type { LoadResult } from '../load/load.ts';
import type { Options } from './options.ts';
import type { RelaySelfReport, ScrapeStats } from '../harness/scraper.ts';
import type { TargetName } from '../harness/targets/index.ts';
import type { TtfbResult } from './ttfb.ts';

export interface PhaseResult extends LoadResult {
  /** (a) only: what drove it. */
  loadgen?: 'wrk' | 'autocannon';
  /** Fixed-rate phases only. */
  targetRps?: number;
  maxSendLagMs?: number;
  saturated?: boolean;
  /** The proxy process (nginx or relay): CPU seconds, per 1000 responses, and peak VmRSS. */
  proxyCpuS?: number;
  proxyCpuPer1k?: number;
  proxyPeakRssBytes?: number;
  /** Share of one core each process used during the phase (load generator = the runner). */
  cpuPercent: { loadgen: number; upstream: number; proxy?: number };
}

/** A (d) phase: the paced phase plus what the relay said about itself meanwhile. */
export interface FixedPhase extends PhaseResult {
  /** The relay's event-loop delay in ms during the phase (bench/harness/loop-probe.ts). */
  loopDelayMs?: { p50: number; p99: number; max: number; mean: number };
  /** embedding_relay_overhead_seconds over the phase: median (histogram_quantile) and mean, in ms. */
  overhead?: { p50Ms: number; meanMs: number; count: number };
}

export interface Telemetry {
  otlpRequests: number;
  otlpBytes: number;
  lokiRequests: number;
  lokiBytes: number;
  /** JSON log lines the relay wrote to stdout (drained by the runner). */
  stdoutBytes: number;
  scrape?: ScrapeStats;
  /** What the relay's own metrics said at the end of the scenario. */
  self?: RelaySelfReport;
}

export interface TargetResult {
  target: TargetName;
  /** (a) max throughput. */
  max: PhaseResult;
  /** (b) fixed rate at rateShare × direct's max. */
  rate?: PhaseResult;
  /** (c) fixed rate at rateShare × the slowest target's max (run when that is lower than (b)). */
  low?: PhaseResult;
  ttfb?: TtfbResult;
  /** (d) the scenario's fixed rates, in order. */
  fixed?: FixedPhase[];
  /** Every request the target received in this scenario (check, warm-up, phases). */
  requests: number;
  /** VmHWM of the proxy process at the end of the scenario. */
  proxyHwmBytes?: number;
  telemetry?: Telemetry;
}

export interface ScenarioResult {
  name: string;
  summary: string;
  requestBytes: number;
  responseBytes: number;
  /** The fixed rate used: rateShare × direct max req/s. */
  rateRps: number;
  /** The (c) rate: rateShare × the slowest target's max req/s; undefined when (c) was not needed. */
  lowRateRps: number | undefined;
  targets: TargetResult[];
}

export interface BenchResult {
  date: string;
  wallS: number;
  machine: { cpus: number; cpuModel: string; node: string; nginx: string | undefined; loadAvgStart: number[]; loadAvgEnd: number[] };
  options: Options;
  scenarios: ScenarioResult[];
}

export type Shape = 'max' | 'rate' | 'low';

/** A fixed-rate phase that did not keep up (stopped, or achieved < 95 % of the rate): its latency is queueing. */
export const saturated = (p: PhaseResult | undefined): boolean =>
  p !== undefined && p.targetRps !== undefined && (p.saturated === true || p.rps < 0.95 * p.targetRps);
