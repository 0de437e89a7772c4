// `npm run soak`: the relay at a fixed rate for a long time (10 minutes by default), as in
// production (node --import ./dist/instrument.js dist/main.js, OTLP spans and Loki logs to a sink,
// /metrics scraped every 15 s like Prometheus), in front of the bench's pre-serialised upstream.
// The load is a planned mix: mostly `small` (200), invalid JSON the relay answers 400 itself,
// requests to the upstream's `errors` scenario (exactly one in five answered 503 by the upstream) and
// to a scenario the upstream does not know (404 from the upstream). Every second the relay's VmRSS
// and open file descriptors are sampled, and at every scrape the relay's own memory series (RSS and
// the V8 heap per space). After a warm-up (20 % of the run, at most 60 s) least-squares lines are
// fitted (soak-memory.ts), and the run passes when (see bench/README.md, "Soak", and the criteria below):
//   - with a window ≥ 5 min: V8 heap committed and the old generation's used floors grow
//     ≤ 1 MiB/min, memory outside the V8 heap ≤ 16 MiB in all (RSS itself is not judged); in a
//     shorter run (60 s in CI), where V8 is still sizing its heap, fitted RSS growth ≤ 64 MiB
//   - fds at the end ≤ fds after the warm-up + 5, and never more than that + 10
//   - zero unexpected errors: connection errors, resets, timeouts (10 s) or a status not planned for
//     the kind; the upstream's 503s exactly one in five of the `errors` kind; the load kept pace
//   - the relay's own gen_ai_client_operation_duration_seconds_count, per status code, equals what
//     the client received; no telemetry errors; every scrape answered; spans and logs reached the sink
//   - the relay exits 0 on SIGTERM at the end
//   node bench/soak/soak.ts [--duration S] [--rate N] [--json FILE] [--inject-leak heap:N|native:N]
//   (exit code 1 when a criterion fails)
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { killAll, killAllAndWait } from '../../test/support/child.ts';
import { cpuSeconds, openFds, statusBytes } from '../proxy/process-stats.ts';
import { Progress } from '../load/progress.ts';
import { MODEL, requestBody, SCENARIO_HEADER } from '../proxy/scenario.ts';
import { scenarioNamed } from '../proxy/scenarios/index.ts';
import { errorCount, MixedLoad, type KindCounts, type RequestKind } from './soak-load.ts';
import { sumBy, sumValues } from '../../test/support/prometheus-text.ts';
import { floors, linearFit, memorySample, type Fit, type MemorySample } from './soak-memory.ts';
import { num, table } from '../proxy/table.ts';
import { Scraper, scrapeText } from '../proxy/scraper.ts';
import { startTarget, type Target } from '../proxy/targets.ts';
import { startServices } from '../proxy/services.ts';

const USAGE = `Usage: node bench/soak/soak.ts [options]     (npm run soak -- [options] builds dist/ first)

  --duration S   seconds of load [600]
  --rate N       requests per second, all kinds together [200]
  --json FILE    write the samples, the fits and the verdict as JSON
  --inject-leak KIND:BYTES
                 load bench/soak/leak.ts into the relay: every request keeps BYTES on the V8
                 heap (heap) or outside it (native). To see the soak fail; never for a verdict
  --help`;

const SCRAPE_INTERVAL_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;
/** Slope limit for the V8 heap series, MiB/min. */
const MEMORY_SLOPE_LIMIT = 1;
/** Bound on the fitted growth of the memory outside the V8 heap, MiB (see the criteria). */
const OUTSIDE_HEAP_GROWTH_LIMIT = 16;
/** Bucket for the old generation's floor: a few major GCs at this load. */
const FLOOR_BUCKET_S = 120;

function slopeCriterion(name: string, f: Fit): Criterion {
  return {
    name: `${name}, slope`,
    measured: `${f.slopePerMin.toFixed(3)} MiB/min (${f.atWarmupEnd.toFixed(1)} → ${f.atEnd.toFixed(1)} MiB)`,
    threshold: `≤ ${MEMORY_SLOPE_LIMIT} MiB/min`,
    pass: f.slopePerMin <= MEMORY_SLOPE_LIMIT,
  };
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

interface SoakOptions {
  durationS: number;
  rate: number;
  json: string | undefined;
  injectLeak: string | undefined;
}

function options(argv: string[]): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      json: { type: 'string' },
      'inject-leak': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const positive = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
    return n;
  };
  const injectLeak = values['inject-leak'];
  if (injectLeak !== undefined && !/^(heap|native):\d+$/.test(injectLeak))
    throw new Error(`--inject-leak must be heap:BYTES or native:BYTES, got "${injectLeak}"`);
  return { durationS: positive('duration', values.duration, 600), rate: positive('rate', values.rate, 200), json: values.json, injectLeak };
}

function requestKinds(): RequestKind[] {
  const json = (scenario: string) => ({ 'content-type': 'application/json', [SCENARIO_HEADER]: scenario });
  const small = scenarioNamed('small')!;
  const errors = scenarioNamed('errors')!;
  return [
    {
      name: 'small',
      path: '/v1/embeddings',
      headers: json('small'),
      body: requestBody(small),
      weight: 83,
      expected: [200],
      connections: 8,
    },
    // The relay answers these itself (400 invalid_json): they never reach the upstream.
    {
      name: 'invalid-json',
      path: '/v1/embeddings',
      headers: json('small'),
      body: Buffer.from(`{"model":"${MODEL}","input":["cut off`),
      weight: 5,
      expected: [400],
      connections: 2,
    },
    // The upstream answers 503 to exactly one in five (the rest: `typical`'s 400 KB body).
    {
      name: 'upstream-503',
      path: '/v1/embeddings',
      headers: json('errors'),
      body: requestBody(errors),
      weight: 10,
      expected: [200, 503],
      connections: 4,
    },
    // The upstream answers 404 (unknown scenario); the relay passes it on.
    {
      name: 'upstream-404',
      path: '/v1/embeddings',
      headers: json('no-such-scenario'),
      body: requestBody(small),
      weight: 2,
      expected: [404],
      connections: 1,
    },
  ];
}

async function soak(opts: SoakOptions): Promise<SoakResult> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const { durationS, rate } = opts;
  const warmupS = Math.min(0.2 * durationS, 60);
  const here = new URL('.', import.meta.url).pathname;
  const machine = { cpus: cpus().length, node: process.version, loadavgAtStart: loadavg().map((x) => Number(x.toFixed(2))) };
  log(
    `soak: ${durationS} s at ${rate} req/s through the relay (warm-up ${warmupS} s not fitted); ` +
      `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadavgAtStart.join(' ')}`,
  );

  const services = await startServices(['small', 'errors'], ['relay']);
  const { upstreamPort, sinkPorts } = services;
  if (opts.injectLeak) {
    process.env['SOAK_INJECT_LEAK'] = opts.injectLeak; // read by bench/soak/leak.ts inside the relay
    const [kind, bytes] = opts.injectLeak.split(':');
    log(`  INJECTED LEAK (bench/soak/leak.ts): the relay keeps ${bytes} bytes per request (${kind}); this run must fail`);
  }
  const relay: Target = await startTarget('relay', {
    upstreamPort,
    nginx: undefined,
    sinkPorts,
    relayNodeArgs: opts.injectLeak ? ['--import', `${here}leak.ts`] : [],
  });
  const pid = relay.child!.pid;
  const metricsUrl = relay.metricsUrl!;
  log(`  upstream :${upstreamPort}, sink :${sinkPorts['relay']}, relay ${relay.origin} (pid ${pid}), ${metricsUrl}`);

  const kinds = requestKinds();
  const load = new MixedLoad(relay.origin, kinds, rate, REQUEST_TIMEOUT_MS);
  const samples: [number, number, number, number][] = [];
  const memorySamples: MemorySample[] = [];
  const cpu0 = cpuSeconds(pid);
  const start = performance.now();
  const progress = new Progress('soak');
  const tty = process.stderr.isTTY === true;
  let lastCompleted = 0;
  const sample = () => {
    const s = Math.round((performance.now() - start) / 1000);
    const rss = statusBytes(pid, 'VmRSS') / MiB;
    const fds = openFds(pid);
    samples.push([s, Number(rss.toFixed(2)), fds, Number((cpuSeconds(pid) - cpu0).toFixed(2))]);
    const done = load.completed;
    const unexpected = unexpectedSoFar(load.counts(), kinds);
    const line =
      `${String(s).padStart(4)}/${durationS} s  ${String(done - lastCompleted).padStart(4)} req/s  sent ${load.sent}  ` +
      `RSS ${rss.toFixed(1)} MiB  fds ${fds}  unexpected ${unexpected}  scrapes ${scraper.stats.scrapes}/${scraper.stats.scrapes + scraper.stats.failures}` +
      (s < warmupS ? '  (warm-up)' : '');
    lastCompleted = done;
    progress.update(line);
    if (!tty && s > 0 && s % 30 === 0) log(`  soak  ${line}`);
  };

  load.start();
  // Every 15 s from load start, and once right away (memory samples come from these scrapes).
  const scraper = new Scraper(metricsUrl, {
    intervalMs: SCRAPE_INTERVAL_MS,
    onText: (text, t0) => {
      const m = memorySample(Math.round((t0 - start) / 1000), text);
      if (m) memorySamples.push(m);
    },
    onError: (err) => log(`  scrape failed: ${err.message}`),
  });
  scraper.active = true;
  void scraper.scrapeNow();
  const sampler = setInterval(sample, 1000);
  sample();
  await new Promise((r) => setTimeout(r, durationS * 1000));
  clearInterval(sampler);
  sample();
  const sendingS = (performance.now() - start) / 1000;
  await load.stop();
  const scrapes = scraper.stop();
  progress.done(`load stopped after ${sendingS.toFixed(1)} s: ${load.sent} requests sent, all answered or failed`);

  // The relay counts a request when its response has ended; give it a moment, then read its account.
  await new Promise((r) => setTimeout(r, 500));
  let countedByStatus: Record<string, number> = {};
  let telemetryErrors = Number.NaN;
  try {
    const text = await scrapeText(metricsUrl);
    countedByStatus = sumBy(text, 'gen_ai_client_operation_duration_seconds_count', 'http_response_status_code');
    telemetryErrors = sumValues(sumBy(text, 'embedding_relay_telemetry_errors_total', 'stage'));
  } catch (err) {
    scrapes.failures++;
    log(`  final scrape failed: ${(err as Error).message}`);
  }
  const relayCpu = cpuSeconds(pid) - cpu0;
  // SIGTERM: the relay flushes its logs and spans to the sink, then exits.
  await relay.stop();
  const exitCode = await relay.child!.exited;
  const sinkStats =
    ((await (await fetch(`http://127.0.0.1:${sinkPorts['stats']}/stats`)).json()) as Record<string, SoakResult['sink']>)['relay'] ?? {};
  await services.stop();

  // Fits over the samples after the warm-up.
  const after = samples.filter(([s]) => s >= warmupS);
  const windowMin = (after.at(-1)![0] - after[0]![0]) / 60;
  const rssFit = linearFit(
    after.map(([s, rss]) => [s / 60, rss]),
    windowMin,
  );
  const fdFit = linearFit(
    after.map(([s, , fds]) => [s / 60, fds]),
    windowMin,
  );
  // The memory the relay reports, split: RSS = V8 heap resident + everything outside the heap.
  const mem = memorySamples.filter(([s]) => s >= warmupS);
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
  const memory = {
    outsideHeapMiB: memFit((m) => m[1] - m[3]),
    heapCommittedMiB: memFit((m) => m[2]),
    oldGenUsedFloorMiB: linearFit(
      oldFloors.map(([s, v]) => [s / 60, v]),
      oldFloors.length > 1 ? (oldFloors.at(-1)![0] - oldFloors[0]![0]) / 60 : 0,
    ),
  };

  const counts = load.counts();
  const byKind = Object.fromEntries(kinds.map((k) => [k.name, { ...counts[k.name]!, expected: k.expected }]));
  const unexpected = unexpectedSoFar(counts, kinds);
  const received: Record<string, number> = {};
  for (const c of Object.values(counts))
    for (const [status, n] of Object.entries(c.statuses)) received[status] = (received[status] ?? 0) + n;
  const e = counts['upstream-503']!;
  const reachedUpstream = (e.statuses['200'] ?? 0) + (e.statuses['503'] ?? 0);
  const planned503 = Math.floor(reachedUpstream / 5);
  const lat = load.latency.percentiles();
  const completed = load.completed;

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
  const longWindow = windowMin >= 5;
  const RSS_GROWTH_LIMIT = 64;
  const fdEndLimit = fdFit.atWarmupEnd + 5;
  const fdMaxLimit = fdFit.atWarmupEnd + 10;
  const statusKeys = [...new Set([...Object.keys(received), ...Object.keys(countedByStatus)])].sort();
  const countsMatch = statusKeys.every((k) => (received[k] ?? 0) === (countedByStatus[k] ?? 0));
  const fmtStatuses = (r: Record<string, number>) =>
    Object.entries(r)
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  const otlp = Object.entries(sinkStats)
    .filter(([p]) => p === '/v1/traces')
    .reduce((n, [, c]) => n + c.requests, 0);
  const loki = Object.entries(sinkStats)
    .filter(([p]) => p.endsWith('/loki/api/v1/push'))
    .reduce((n, [, c]) => n + c.requests, 0);

  const criteria: Criterion[] = [
    ...(longWindow
      ? [
          {
            name: 'memory outside the V8 heap (RSS − heap resident), fitted growth',
            measured: `${memory.outsideHeapMiB.growth.toFixed(2)} MiB over ${memWindowMin.toFixed(1)} min (${memory.outsideHeapMiB.atWarmupEnd.toFixed(1)} → ${memory.outsideHeapMiB.atEnd.toFixed(1)} MiB, slope ${memory.outsideHeapMiB.slopePerMin.toFixed(3)} MiB/min)`,
            threshold: `≤ ${OUTSIDE_HEAP_GROWTH_LIMIT} MiB`,
            pass: memory.outsideHeapMiB.growth <= OUTSIDE_HEAP_GROWTH_LIMIT,
          },
          slopeCriterion('V8 heap committed', memory.heapCommittedMiB),
          slopeCriterion(`V8 old generation used, ${FLOOR_BUCKET_S / 60}-min floors`, memory.oldGenUsedFloorMiB),
          {
            name: 'memory samples from /metrics after warm-up',
            measured: String(mem.length),
            threshold: `≥ ${Math.floor((0.9 * (durationS - warmupS)) / (SCRAPE_INTERVAL_MS / 1000))}`,
            pass: mem.length >= Math.floor((0.9 * (durationS - warmupS)) / (SCRAPE_INTERVAL_MS / 1000)),
          },
        ]
      : [
          {
            name: 'RSS fitted growth after warm-up (window < 5 min)',
            measured: `${rssFit.growth.toFixed(2)} MiB over ${windowMin.toFixed(1)} min (slope ${rssFit.slopePerMin.toFixed(2)} MiB/min)`,
            threshold: `≤ ${RSS_GROWTH_LIMIT} MiB`,
            pass: rssFit.growth <= RSS_GROWTH_LIMIT,
          },
        ]),
    {
      name: 'open fds at the end',
      measured: `${fdFit.atEnd} (${fdFit.atWarmupEnd} after warm-up, slope ${fdFit.slopePerMin.toFixed(2)}/min)`,
      threshold: `≤ ${fdEndLimit}`,
      pass: fdFit.atEnd <= fdEndLimit,
    },
    { name: 'open fds, most after warm-up', measured: String(fdFit.max), threshold: `≤ ${fdMaxLimit}`, pass: fdFit.max <= fdMaxLimit },
    {
      name: 'unexpected errors (conn errors, timeouts, unplanned statuses)',
      measured: String(unexpected),
      threshold: '0',
      pass: unexpected === 0,
    },
    {
      name: 'upstream 503s (exactly 1 in 5 of upstream-503)',
      measured: `${e.statuses['503'] ?? 0} of ${reachedUpstream}`,
      threshold: String(planned503),
      pass: (e.statuses['503'] ?? 0) === planned503,
    },
    {
      name: 'load kept pace',
      measured: `${load.sent} sent, ${completed} completed, worst send lag ${load.maxSendLagMs.toFixed(0)} ms${load.saturated ? ', SATURATED' : ''}`,
      threshold: `≥ ${Math.floor(0.99 * rate * durationS)} sent, all completed, never a second behind`,
      pass: !load.saturated && load.sent >= Math.floor(0.99 * rate * durationS) && completed === load.sent,
    },
    {
      name: "relay's request count by status (/metrics)",
      measured: fmtStatuses(countedByStatus) || '—',
      threshold: `= received: ${fmtStatuses(received)}`,
      pass: countsMatch && sumValues(countedByStatus) === load.sent,
    },
    { name: 'relay telemetry errors', measured: num(telemetryErrors, 0), threshold: '0', pass: telemetryErrors === 0 },
    {
      name: '/metrics scrapes every 15 s',
      measured: `${scrapes.scrapes} ok, ${scrapes.failures} failed, slowest ${scrapes.maxMs.toFixed(0)} ms`,
      threshold: '0 failed',
      pass: scrapes.failures === 0 && scrapes.scrapes >= Math.floor(durationS / 15),
    },
    {
      name: 'spans and logs reached the sink',
      measured: `${otlp} OTLP trace exports, ${loki} Loki pushes`,
      threshold: '> 0 each',
      pass: otlp > 0 && loki > 0,
    },
    { name: 'relay exit on SIGTERM', measured: String(exitCode), threshold: '0', pass: exitCode === 0 },
  ];

  return {
    date: new Date().toISOString(),
    machine,
    options: { durationS, rate, warmupS, ...(opts.injectLeak ? { injectLeak: opts.injectLeak } : {}) },
    verdict: criteria.every((c) => c.pass) ? 'pass' : 'fail',
    criteria,
    rssMiB: rssFit,
    fds: fdFit,
    memory,
    requests: {
      sent: load.sent,
      completed,
      achievedRps: completed / sendingS,
      unexpected,
      byKind,
      latencyMs: { p50: lat.p50, p99: lat.p99, max: lat.max },
      maxSendLagMs: load.maxSendLagMs,
    },
    relay: { countedByStatus, telemetryErrors, cpuSecondsPer1000: (relayCpu / Math.max(1, completed)) * 1000, exitCode },
    scrapes: { ok: scrapes.scrapes, failed: scrapes.failures, maxMs: scrapes.maxMs, bytes: scrapes.bytes },
    sink: sinkStats,
    samples,
    memorySamples,
  };
}

/** Connection errors, timeouts and responses with a status not planned for their kind. */
function unexpectedSoFar(counts: Record<string, KindCounts>, kinds: RequestKind[]): number {
  let n = 0;
  for (const k of kinds) {
    const c = counts[k.name]!;
    n += c.timeouts + errorCount(c);
    for (const [status, count] of Object.entries(c.statuses)) if (!k.expected.includes(Number(status))) n += count;
  }
  return n;
}

function summary(r: SoakResult): string {
  const kindRows = Object.entries(r.requests.byKind).map(([name, c]) => [
    name,
    String(c.sent),
    Object.entries(c.statuses)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ') || '—',
    c.expected.join('/'),
    String(c.timeouts),
    Object.entries(c.errors)
      .map(([m, n]) => `${m}: ${n}`)
      .join('; ') || '0',
  ]);
  const fitRows = [
    [
      'VmRSS (MiB)',
      num(r.rssMiB.atWarmupEnd, 1),
      num(r.rssMiB.atEnd, 1),
      `${num(r.rssMiB.min, 1)} – ${num(r.rssMiB.max, 1)}`,
      num(r.rssMiB.slopePerMin, 3),
      num(r.rssMiB.growth, 2),
    ],
    [
      'open fds',
      String(r.fds.atWarmupEnd),
      String(r.fds.atEnd),
      `${r.fds.min} – ${r.fds.max}`,
      num(r.fds.slopePerMin, 3),
      num(r.fds.growth, 2),
    ],
    ...(
      [
        ['outside the V8 heap (MiB)', r.memory.outsideHeapMiB],
        ['V8 heap committed (MiB)', r.memory.heapCommittedMiB],
        ['V8 old generation used, floors (MiB)', r.memory.oldGenUsedFloorMiB],
      ] as const
    ).map(([name, f]) => [
      name,
      num(f.atWarmupEnd, 1),
      num(f.atEnd, 1),
      `${num(f.min, 1)} – ${num(f.max, 1)}`,
      num(f.slopePerMin, 3),
      num(f.growth, 2),
    ]),
  ];
  return [
    '',
    `Soak: ${r.options.durationS} s at ${r.options.rate} req/s (${r.requests.achievedRps.toFixed(1)} achieved), warm-up ${r.options.warmupS} s; ` +
      `latency p50 ${num(r.requests.latencyMs.p50)} ms, p99 ${num(r.requests.latencyMs.p99)} ms, max ${num(r.requests.latencyMs.max)} ms; ` +
      `relay CPU ${num(r.relay.cpuSecondsPer1000, 2)} s per 1000 requests`,
    '',
    table(['request kind', 'sent', 'statuses received', 'planned', 'timeouts', 'connection errors'], kindRows, (c) => c === 1 || c === 4),
    '',
    table(['after warm-up', 'at warm-up end', 'at end', 'range', 'slope /min', 'fitted growth'], fitRows),
    '',
    table(
      ['criterion', 'measured', 'threshold', 'result'],
      r.criteria.map((c) => [c.name, c.measured, c.threshold, c.pass ? 'pass' : 'FAIL']),
      () => false,
    ),
    '',
    `verdict: ${r.verdict.toUpperCase()}`,
  ].join('\n');
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nsoak: ${signal}, stopping child processes\n`);
    void killAllAndWait().finally(() => process.exit(130));
  });
}

let opts: ReturnType<typeof options>;
try {
  opts = options(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (opts === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  const result = await soak(opts);
  process.stdout.write(`${summary(result)}\n`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(result, null, 1)}\n`);
  process.exitCode = result.verdict === 'pass' ? 0 : 1;
} catch (err) {
  process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
  killAll();
  process.exitCode = 1;
}
