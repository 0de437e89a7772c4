// Judging a soak run (the criteria in soak.ts's header and bench/README.md, "Soak"): least-squares
// fits over the samples after the warm-up, the request counts against the plan and against the
// relay's own account, and one criterion each, pass or fail.
import { sumValues } from '../../test/support/prometheus-text.ts';
import { num } from '../harness/table.ts';
import { unexpectedSoFar } from './soak-kinds.ts';
import { type Fit, floors, linearFit, type MemorySample } from './soak-memory.ts';
import type { Criterion, SoakOptions, SoakResult } from './soak-result.ts';
import { type Observations, SCRAPE_INTERVAL_MS } from './soak-run.ts';

/** Slope limit for the V8 heap series, MiB/min. */
const MEMORY_SLOPE_LIMIT = 1;
/** Bound on the fitted growth of the memory outside the V8 heap, MiB (see the criteria). */
const OUTSIDE_HEAP_GROWTH_LIMIT = 16;
/** Bound on the fitted RSS growth of a run shorter than 5 min, MiB (see the criteria). */
const RSS_GROWTH_LIMIT = 64;
/** Bucket for the old generation's floor: a few major GCs at this load. */
const FLOOR_BUCKET_S = 120;

export function judge(o: Observations, opts: SoakOptions): SoakResult {
  const fits = fitsOf(o);
  const totals = totalsOf(o);
  const criteria = [...memoryCriteria(o, fits, opts), ...loadCriteria(o, fits, totals, opts), ...relayCriteria(o, totals, opts)];
  const lat = o.load.latency.percentiles();
  return {
    date: new Date().toISOString(),
    machine: o.machine,
    options: {
      durationS: opts.durationS,
      rate: opts.rate,
      warmupS: o.warmupS,
      ...(opts.injectLeak ? { injectLeak: opts.injectLeak } : {}),
    },
    verdict: criteria.every((c) => c.pass) ? 'pass' : 'fail',
    criteria,
    rssMiB: fits.rss,
    fds: fits.fds,
    memory: fits.memory,
    requests: {
      sent: o.load.sent,
      completed: o.load.completed,
      achievedRps: o.load.completed / o.sendingS,
      unexpected: totals.unexpected,
      byKind: totals.byKind,
      latencyMs: { p50: lat.p50, p99: lat.p99, max: lat.max },
      maxSendLagMs: o.load.maxSendLagMs,
    },
    relay: {
      countedByStatus: o.countedByStatus,
      telemetryErrors: o.telemetryErrors,
      cpuSecondsPer1000: (o.relayCpuS / Math.max(1, o.load.completed)) * 1000,
      exitCode: o.exitCode,
    },
    scrapes: { ok: o.scrapes.scrapes, failed: o.scrapes.failures, maxMs: o.scrapes.maxMs, bytes: o.scrapes.bytes },
    sink: o.sinkStats,
    samples: o.samples,
    memorySamples: o.memorySamples,
  };
}

interface Fits {
  windowMin: number;
  rss: Fit;
  fds: Fit;
  /** The memory samples after the warm-up, and their window. */
  mem: MemorySample[];
  memWindowMin: number;
  memory: SoakResult['memory'];
}

/** Fits over the samples after the warm-up. The memory the relay reports is split: RSS = V8 heap
 *  resident + everything outside the heap. */
function fitsOf(o: Observations): Fits {
  const after = o.samples.filter(([s]) => s >= o.warmupS);
  const windowMin = (after.at(-1)![0] - after[0]![0]) / 60;
  const mem = o.memorySamples.filter(([s]) => s >= o.warmupS);
  const memWindowMin = mem.length > 1 ? (mem.at(-1)![0] - mem[0]![0]) / 60 : 0;
  const memFit = (pick: (m: MemorySample) => number) =>
    linearFit(
      mem.map((m) => [m[0] / 60, pick(m)]),
      memWindowMin,
    );
  const oldFloors = floors(
    mem.map((m) => [m[0], m[5]]),
    FLOOR_BUCKET_S,
  );
  return {
    windowMin,
    rss: linearFit(
      after.map(([s, rss]) => [s / 60, rss]),
      windowMin,
    ),
    fds: linearFit(
      after.map(([s, , fds]) => [s / 60, fds]),
      windowMin,
    ),
    mem,
    memWindowMin,
    memory: {
      outsideHeapMiB: memFit((m) => m[1] - m[3]),
      heapCommittedMiB: memFit((m) => m[2]),
      oldGenUsedFloorMiB: linearFit(
        oldFloors.map(([s, v]) => [s / 60, v]),
        oldFloors.length > 1 ? (oldFloors.at(-1)![0] - oldFloors[0]![0]) / 60 : 0,
      ),
    },
  };
}

interface Totals {
  byKind: SoakResult['requests']['byKind'];
  unexpected: number;
  /** Responses the load generator received, by status. */
  received: Record<string, number>;
  upstream503s: number;
  reachedUpstream: number;
}

function totalsOf(o: Observations): Totals {
  const counts = o.load.counts();
  const received: Record<string, number> = {};
  for (const c of Object.values(counts))
    for (const [status, n] of Object.entries(c.statuses)) received[status] = (received[status] ?? 0) + n;
  const e = counts['upstream-503']!;
  return {
    byKind: Object.fromEntries(o.kinds.map((k) => [k.name, { ...counts[k.name]!, expected: k.expected }])),
    unexpected: unexpectedSoFar(counts, o.kinds),
    received,
    upstream503s: e.statuses['503'] ?? 0,
    reachedUpstream: (e.statuses['200'] ?? 0) + (e.statuses['503'] ?? 0),
  };
}

// Leak criteria (bench/README.md, "Soak"). RSS itself is not judged: V8 commits its young
// generation up front (new_space: 128 MiB with Node 24's defaults) and the kernel makes those pages
// resident only as the scavenger first writes them, so RSS climbs in steps of several MiB for many
// minutes with no leak at all, bounded by the committed heap. Instead, from the relay's own
// /metrics, with a window of 5 min or more:
//   - the V8 heap committed (what the heap can make resident): slope ≤ 1 MiB/min;
//   - the floor of the old generation's used bytes (where retained objects pile up): slope ≤ 1 MiB/min
//     (1 MiB/min at 200 req/s is about 90 bytes per request);
//   - memory outside the V8 heap (RSS − heap resident: native buffers, sockets, the Loki thread):
//     fitted growth ≤ 16 MiB. This series also steps: malloc's high-water marks, and 10–25 % of
//     each young-generation step (V8's physical size under-counts it, or malloc'd heap metadata
//     comes with it). Up to 10 MiB in 10 clean minutes and bounded, where a leak's growth grows
//     with the run. So a 10-minute run catches a native leak above ~2 MiB/min, a 30-minute one
//     above ~0.6 MiB/min.
// A shorter window (the 60-s CI run) is still inside V8's heap sizing: only a gross leak is judged,
// by the fitted RSS growth (64 MiB over 48 s at 200 req/s is about 7 KiB per request).
function memoryCriteria(o: Observations, f: Fits, opts: SoakOptions): Criterion[] {
  if (f.windowMin < 5) {
    return [
      {
        name: 'RSS fitted growth after warm-up (window < 5 min)',
        measured: `${f.rss.growth.toFixed(2)} MiB over ${f.windowMin.toFixed(1)} min (slope ${f.rss.slopePerMin.toFixed(2)} MiB/min)`,
        threshold: `≤ ${RSS_GROWTH_LIMIT} MiB`,
        pass: f.rss.growth <= RSS_GROWTH_LIMIT,
      },
    ];
  }
  const outside = f.memory.outsideHeapMiB;
  const samplesWanted = Math.floor((0.9 * (opts.durationS - o.warmupS)) / (SCRAPE_INTERVAL_MS / 1000));
  return [
    {
      name: 'memory outside the V8 heap (RSS − heap resident), fitted growth',
      measured: `${outside.growth.toFixed(2)} MiB over ${f.memWindowMin.toFixed(1)} min (${outside.atWarmupEnd.toFixed(1)} → ${outside.atEnd.toFixed(1)} MiB, slope ${outside.slopePerMin.toFixed(3)} MiB/min)`,
      threshold: `≤ ${OUTSIDE_HEAP_GROWTH_LIMIT} MiB`,
      pass: outside.growth <= OUTSIDE_HEAP_GROWTH_LIMIT,
    },
    slopeCriterion('V8 heap committed', f.memory.heapCommittedMiB),
    slopeCriterion(`V8 old generation used, ${FLOOR_BUCKET_S / 60}-min floors`, f.memory.oldGenUsedFloorMiB),
    {
      name: 'memory samples from /metrics after warm-up',
      measured: String(f.mem.length),
      threshold: `≥ ${samplesWanted}`,
      pass: f.mem.length >= samplesWanted,
    },
  ];
}

function slopeCriterion(name: string, f: Fit): Criterion {
  return {
    name: `${name}, slope`,
    measured: `${f.slopePerMin.toFixed(3)} MiB/min (${f.atWarmupEnd.toFixed(1)} → ${f.atEnd.toFixed(1)} MiB)`,
    threshold: `≤ ${MEMORY_SLOPE_LIMIT} MiB/min`,
    pass: f.slopePerMin <= MEMORY_SLOPE_LIMIT,
  };
}

/** File descriptors, unexpected outcomes, the upstream's planned 503s, and the load's own pace. */
function loadCriteria(o: Observations, f: Fits, t: Totals, opts: SoakOptions): Criterion[] {
  const { load } = o;
  const fdEndLimit = f.fds.atWarmupEnd + 5;
  const fdMaxLimit = f.fds.atWarmupEnd + 10;
  const planned503 = Math.floor(t.reachedUpstream / 5);
  const sentWanted = Math.floor(0.99 * opts.rate * opts.durationS);
  return [
    {
      name: 'open fds at the end',
      measured: `${f.fds.atEnd} (${f.fds.atWarmupEnd} after warm-up, slope ${f.fds.slopePerMin.toFixed(2)}/min)`,
      threshold: `≤ ${fdEndLimit}`,
      pass: f.fds.atEnd <= fdEndLimit,
    },
    { name: 'open fds, most after warm-up', measured: String(f.fds.max), threshold: `≤ ${fdMaxLimit}`, pass: f.fds.max <= fdMaxLimit },
    {
      name: 'unexpected errors (conn errors, timeouts, unplanned statuses)',
      measured: String(t.unexpected),
      threshold: '0',
      pass: t.unexpected === 0,
    },
    {
      name: 'upstream 503s (exactly 1 in 5 of upstream-503)',
      measured: `${t.upstream503s} of ${t.reachedUpstream}`,
      threshold: String(planned503),
      pass: t.upstream503s === planned503,
    },
    {
      name: 'load kept pace',
      measured: `${load.sent} sent, ${load.completed} completed, worst send lag ${load.maxSendLagMs.toFixed(0)} ms${load.saturated ? ', SATURATED' : ''}`,
      threshold: `≥ ${sentWanted} sent, all completed, never a second behind`,
      pass: !load.saturated && load.sent >= sentWanted && load.completed === load.sent,
    },
  ];
}

/** The relay's own account against what the client received, its telemetry, its exit. */
function relayCriteria(o: Observations, t: Totals, opts: SoakOptions): Criterion[] {
  const statusKeys = [...new Set([...Object.keys(t.received), ...Object.keys(o.countedByStatus)])].sort();
  const countsMatch = statusKeys.every((k) => (t.received[k] ?? 0) === (o.countedByStatus[k] ?? 0));
  const requestsTo = (match: (path: string) => boolean) =>
    Object.entries(o.sinkStats)
      .filter(([path]) => match(path))
      .reduce((n, [, c]) => n + c.requests, 0);
  const otlp = requestsTo((p) => p === '/v1/traces');
  const loki = requestsTo((p) => p.endsWith('/loki/api/v1/push'));
  const { scrapes } = o;
  return [
    {
      name: "relay's request count by status (/metrics)",
      measured: statusList(o.countedByStatus) || '—',
      threshold: `= received: ${statusList(t.received)}`,
      pass: countsMatch && sumValues(o.countedByStatus) === o.load.sent,
    },
    { name: 'relay telemetry errors', measured: num(o.telemetryErrors, 0), threshold: '0', pass: o.telemetryErrors === 0 },
    {
      name: '/metrics scrapes every 15 s',
      measured: `${scrapes.scrapes} ok, ${scrapes.failures} failed, slowest ${scrapes.maxMs.toFixed(0)} ms`,
      threshold: '0 failed',
      pass: scrapes.failures === 0 && scrapes.scrapes >= Math.floor(opts.durationS / 15),
    },
    {
      name: 'spans and logs reached the sink',
      measured: `${otlp} OTLP trace exports, ${loki} Loki pushes`,
      threshold: '> 0 each',
      pass: otlp > 0 && loki > 0,
    },
    { name: 'relay exit on SIGTERM', measured: String(o.exitCode), threshold: '0', pass: o.exitCode === 0 },
  ];
}

const statusList = (r: Record<string, number>) =>
  Object.entries(r)
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
