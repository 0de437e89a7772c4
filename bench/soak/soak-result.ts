// What a soak run produces: its options, the criteria with their verdicts, the fits and the raw
// samples (the --json file).
import type { KindCounts } from './soak-load.ts';
import type { Fit, MemorySample } from './soak-memory.ts';

export interface SoakOptions {
  durationS: number;
  rate: number;
  json: string | undefined;
  injectLeak: string | undefined;
}

export interface Criterion {
  name: string;
  measured: string;
  threshold: string;
  pass: boolean;
}

export interface SoakResult {
  date: string;
  machine: { cpus: number; node: string; loadavgAtStart: number[] };
  options: { durationS: number; rate: number; warmupS: number; injectLeak?: string };
  verdict: 'pass' | 'fail';
  criteria: Criterion[];
  rssMiB: Fit;
  fds: Fit;
  /** From the relay's own /metrics at each scrape (process.memory.usage and the V8 heap series). */
  memory: { outsideHeapMiB: Fit; heapCommittedMiB: Fit; oldGenUsedFloorMiB: Fit };
  requests: {
    sent: number;
    completed: number;
    achievedRps: number;
    unexpected: number;
    byKind: Record<string, KindCounts & { expected: readonly number[] }>;
    latencyMs: { p50: number; p99: number; max: number };
    maxSendLagMs: number;
  };
  relay: { countedByStatus: Record<string, number>; telemetryErrors: number; cpuSecondsPer1000: number; exitCode: number | null };
  scrapes: { ok: number; failed: number; maxMs: number; bytes: number };
  sink: Record<string, { requests: number; bytes: number }>;
  /** One row per second after load start: [s, VmRSS MiB, open fds, relay CPU seconds]. */
  samples: [number, number, number, number][];
  /** One row per scrape: [s, RSS, V8 heap committed, V8 heap resident, V8 heap used, V8 old-generation used] (MiB). */
  memorySamples: MemorySample[];
}
