// `npm run bench:tail`: where the relay's latency tail comes from. The relay on one scenario (`typical`,
// or --scenario NAME) at one
// fixed rate (paced evenly, as in `npm run bench`), once as it ships and once per variant that
// takes one suspect away (scrapes, span export, Loki shipping, the vector checks, …), each a fresh
// process after its own warm-up, with `direct` measured first and last at the same rate. Each row:
// latency added vs direct, the relay's event-loop delay (bench/harness/loop-probe.ts), CPU per 1000
// requests, peak RSS, and V8's GC pauses from the relay's own metrics. --profile DIR also runs the
// shipped relay under --cpu-prof and prints where its busy time went (profile-summary.ts).
// Prints Markdown; --json FILE keeps the raw rows.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killAll } from '../../test/support/child.ts';
import { parsePrometheusText, total } from '../../test/support/prometheus-text.ts';
import { fixedRate, type PacedResult } from '../load/pacer.ts';
import { measured } from './measured.ts';
import { summarize } from './profile-summary.ts';
import { requestBody, SCENARIO_HEADER } from '../harness/scenario.ts';
import { scenarioNamed } from '../harness/scenarios/index.ts';
import { Scraper, scrapeText } from '../harness/scraper.ts';
import { num, signed, table } from '../harness/table.ts';
import { startTarget, type Target } from '../harness/targets/index.ts';
import { startServices } from '../harness/services.ts';

process.on('exit', killAll);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Variant {
  name: string;
  what: string;
  /** Run the relay from this checkout (--before DIR). */
  root?: string;
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  otelOff?: boolean;
  scrape?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'shipped', what: 'as it ships (package.json config.nodeFlags): full telemetry, /metrics scraped every second' },
  { name: 'no-scrape', what: 'nobody scrapes /metrics', scrape: false },
  { name: 'no-spans', what: 'OTEL_TRACES_EXPORTER=none (no spans built or exported)', env: { OTEL_TRACES_EXPORTER: 'none' } },
  { name: 'no-loki', what: 'LOKI_URL unset (no Loki queue, no pushes)', env: { LOKI_URL: undefined } },
  { name: 'check-every', what: 'RELAY_VECTOR_CHECK_RATE=1 (norm and duplicates on every response)', env: { RELAY_VECTOR_CHECK_RATE: '1' } },
  { name: 'check-none', what: 'RELAY_VECTOR_CHECK_RATE=0 (broken-vector checks only)', env: { RELAY_VECTOR_CHECK_RATE: '0' } },
  { name: 'bsp-64', what: "span batches of 64 (the relay ships the SDK's 512)", env: { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64' } },
  { name: 'semi-2', what: '--max-semi-space-size=2', nodeArgs: ['--max-semi-space-size=2'] },
  {
    name: 'malloc-mmap',
    what: 'MALLOC_MMAP_THRESHOLD_=32768 MALLOC_TRIM_THRESHOLD_=131072 (glibc returns freed socket buffers)',
    env: { MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_TRIM_THRESHOLD_: '131072' },
  },
  { name: 'semi-4', what: '--max-semi-space-size=4 (a quarter of the shipped young generation)', nodeArgs: ['--max-semi-space-size=4'] },
  { name: 'otel-off', what: 'OTEL_SDK_DISABLED=true (no spans, no metrics; logs still shipped)', otelOff: true },
];

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '400' },
    scenario: { type: 'string', default: 'typical' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    variants: { type: 'string' },
    profile: { type: 'string' },
    before: { type: 'string' },
    json: { type: 'string' },
  },
});
const rate = Number(values.rate);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
if (values.before) {
  // The same relay from another checkout (built: its dist/), e.g. `git worktree add /tmp/before <commit>`.
  const root = values.before.endsWith('/') ? values.before : `${values.before}/`;
  VARIANTS.splice(1, 0, { name: 'before', what: `the relay built in ${root} (as it shipped there)`, root });
}
const chosen = values.variants ? VARIANTS.filter((v) => values.variants!.split(',').includes(v.name)) : VARIANTS;

const scenario = scenarioNamed(values.scenario);
if (scenario === undefined) throw new Error(`--scenario: no scenario "${values.scenario}"`);
const req = {
  path: '/v1/embeddings',
  headers: { 'content-type': 'application/json', [SCENARIO_HEADER]: scenario.name },
  body: requestBody(scenario),
};
const services = await startServices([scenario.name], ['relay', 'relay-otel-off']);
const { upstream, upstreamPort, sinkPorts } = services;

interface Row {
  variant: string;
  what: string;
  result: PacedResult;
  cpuPer1k: number;
  peakRssMiB: number;
  loop: { p50: number; p99: number; max: number } | undefined;
  gc: { pauses: number; totalMs: number } | undefined;
}

/** V8 GC pauses so far, from v8js_gc_duration_seconds (instrumentation-runtime-node). */
async function gcSoFar(t: Target): Promise<{ pauses: number; totalMs: number } | undefined> {
  if (!t.metricsUrl) return undefined;
  const samples = parsePrometheusText(await scrapeText(t.metricsUrl));
  return { pauses: total(samples, 'v8js_gc_duration_seconds_count'), totalMs: total(samples, 'v8js_gc_duration_seconds_sum') * 1000 };
}

async function phase(t: Target, what: string): Promise<{ result: PacedResult; cpuPer1k: number; peakRssMiB: number }> {
  const result = await measured(t, upstream, () =>
    fixedRate({ ...req, origin: t.origin }, rate, durationS, 32, `${what.padEnd(12)} ${rate} req/s`),
  );
  return { result, cpuPer1k: result.proxyCpuPer1k ?? 0, peakRssMiB: (result.proxyPeakRssBytes ?? 0) / 1048576 };
}

async function runVariant(v: Variant, nodeArgs: string[] = []): Promise<Row> {
  const t = await startTarget(v.otelOff ? 'relay-otel-off' : 'relay', {
    upstreamPort,
    nginx: undefined,
    sinkPorts,
    relayNodeArgs: [...(v.nodeArgs ?? []), ...nodeArgs],
    relayEnv: v.env ?? {},
    ...(v.root ? { relayRoot: v.root } : {}),
  });
  const scraper = t.metricsUrl && v.scrape !== false ? new Scraper(t.metricsUrl) : undefined;
  try {
    if (scraper) scraper.active = true;
    await fixedRate({ ...req, origin: t.origin }, rate, warmupS, 32, `${v.name.padEnd(12)} warm-up`);
    const gc0 = await gcSoFar(t);
    await t.loopProbe?.sample();
    const p = await phase(t, v.name);
    const loop = await t.loopProbe?.sample();
    const gc1 = await gcSoFar(t);
    const gc = gc0 && gc1 ? { pauses: gc1.pauses - gc0.pauses, totalMs: gc1.totalMs - gc0.totalMs } : undefined;
    return { variant: v.name, what: v.what, ...p, loop, gc };
  } finally {
    scraper?.stop();
    await t.stop();
  }
}

async function direct(): Promise<PacedResult> {
  const t = await startTarget('direct', { upstreamPort, nginx: undefined, sinkPorts });
  await fixedRate({ ...req, origin: t.origin }, rate, warmupS, 32, 'direct       warm-up');
  return (await phase(t, 'direct')).result;
}

try {
  log(
    `bench:tail: ${scenario.name} at ${rate} req/s, ${warmupS} s warm-up, ${durationS} s per phase; Node ${process.version}, ${cpus().length} CPUs`,
  );
  const d0 = await direct();
  const rows: Row[] = [];
  for (const v of chosen) rows.push(await runVariant(v));
  const d1 = await direct();
  const base = { p50: (d0.latencyMs.p50 + d1.latencyMs.p50) / 2, p99: (d0.latencyMs.p99 + d1.latencyMs.p99) / 2 };
  const out: string[] = [
    `### Where the tail comes from: \`${scenario.name}\` at ${rate} req/s, one variant per row (${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? ''})\n`,
    `direct: p50 ${num(d0.latencyMs.p50)} / ${num(d1.latencyMs.p50)} ms, p99 ${num(d0.latencyMs.p99)} / ${num(d1.latencyMs.p99)} ms (first / last run); **+p50/+p99** are against their mean. ` +
      "**loop**: the relay's event-loop delay p50 / p99 / max in ms. **GC**: V8 pauses during the phase, count / total ms.\n",
    table(
      ['variant', 'what changes', 'achieved', '+p50', '+p99', 'loop p50 / p99 / max', 'CPU s/1k', 'peak RSS MiB', 'GC pauses / ms'],
      rows.map((r) => [
        r.variant,
        r.what,
        `${num(r.result.rps, 0)}${r.result.saturated ? ' saturated' : ''}`,
        r.result.saturated ? '—' : signed(r.result.latencyMs.p50 - base.p50),
        r.result.saturated ? '—' : signed(r.result.latencyMs.p99 - base.p99),
        r.loop ? `${num(r.loop.p50)} / ${num(r.loop.p99)} / ${num(r.loop.max, 1)}` : '—',
        num(r.cpuPer1k, 2),
        num(r.peakRssMiB, 0),
        r.gc ? `${r.gc.pauses} / ${num(r.gc.totalMs, 0)}` : '—',
      ]),
      (c) => c > 1,
    ),
  ];
  if (values.profile) {
    const dir = values.profile;
    mkdirSync(dir, { recursive: true });
    const before = new Set(readdirSync(dir));
    await runVariant(VARIANTS[0]!, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250']);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
    if (file) {
      const { busyMs, shares } = summarize(join(dir, file));
      out.push(
        '',
        `#### CPU profile of the shipped relay (warm-up and phase, ${busyMs.toFixed(0)} ms busy on the main thread; ${join(dir, file)})\n`,
        table(
          ['concern', 'share of busy time', 'ms'],
          shares.map((s) => [s.category, `${(100 * s.share).toFixed(1)} %`, s.ms.toFixed(0)]),
          (c) => c > 0,
        ),
      );
    }
  }
  console.log(out.join('\n'));
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ rate, durationS, direct: [d0, d1], rows }, null, 2)}\n`);
} finally {
  await services.stop();
}
