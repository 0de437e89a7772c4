// `npm run bench`: the relay next to nginx, LiteLLM and the bare upstream, same load, one run.
// Per scenario: start nginx, the relay (full telemetry), the relay with OTEL_SDK_DISABLED and
// LiteLLM in front of one pre-serialised upstream; check they all return the upstream's bytes
// (LiteLLM: its vectors); then per target a warm-up and (a) max throughput with fixed connections
// (autocannon); then per target (b) a paced fixed rate at 50 % of the direct path's max, and, when
// some target cannot sustain that, (c) one at 50 % of the slowest target's max, so every target's
// added latency is measured below saturation (LiteLLM: (c) only, at 50 % of its own max); (d) the
// scenario's fixed rates with the relay's event-loop delay and its own overhead metric; for `large`
// also time-to-first-byte.
// Prints Markdown tables; --json writes the raw results, --chart an SVG of the added latency.
// A full run takes about 16 minutes on a 2-core machine (LiteLLM included); --quick about 2 (see bench/README.md).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { killAll, killAllAndWait, type Child } from '../../test/support/child.ts';
import { chart } from './chart.ts';
import { maxThroughput, type LoadRequest } from '../load/load.ts';
import { findNginx, nginxVersion } from '../harness/targets/nginx.ts';
import { parseOptions, USAGE, type Options } from './options.ts';
import { fixedRate } from '../load/pacer.ts';
import { measured } from './measured.ts';
import { statusBytes } from '../../test/support/process-stats.ts';
import { report } from './report.ts';
import { saturated, type BenchResult, type FixedPhase, type ScenarioResult, type TargetResult, type Telemetry } from './result.ts';
import { requestBody, SCENARIO_HEADER, type Scenario } from '../harness/scenario.ts';
import { scenarioNamed } from '../harness/scenarios/index.ts';
import { overheadBetween, overheadHistogram, relaySelfReport, Scraper, type RelaySelfReport } from '../harness/scraper.ts';
import { startTarget, type Target, type TargetSetup } from '../harness/targets/index.ts';
import { startServices } from '../harness/services.ts';
import { timeToFirstByte } from './ttfb.ts';
import { wrkThroughput } from '../load/wrk.ts';
import { LOADGEN_CPU, pinTree, PROXY_CPU } from '../../test/support/pin.ts';

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
    void killAllAndWait().finally(() => process.exit(130));
  });
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Idle time before each request of the second time-to-first-byte series. */
const TTFB_GAP_MS = 50;

/** (c) runs at a low rate: in a full run long enough for about 400 samples (at most twice the phase duration). */
const lowDurationS = (rps: number, opts: Options) =>
  opts.quick ? opts.durationS : Math.min(2 * opts.durationS, Math.max(opts.durationS, 400 / rps));

interface SinkCounts {
  [name: string]: { [path: string]: { requests: number; bytes: number } };
}

async function sinkCounts(port: number): Promise<SinkCounts> {
  return (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as SinkCounts;
}

function telemetryDelta(before: SinkCounts, after: SinkCounts, name: string): Omit<Telemetry, 'stdoutBytes'> {
  const t = { otlpRequests: 0, otlpBytes: 0, lokiRequests: 0, lokiBytes: 0 };
  for (const [path, c] of Object.entries(after[name] ?? {})) {
    const b = before[name]?.[path] ?? { requests: 0, bytes: 0 };
    if (path.endsWith('/loki/api/v1/push')) {
      t.lokiRequests += c.requests - b.requests;
      t.lokiBytes += c.bytes - b.bytes;
    } else {
      t.otlpRequests += c.requests - b.requests;
      t.otlpBytes += c.bytes - b.bytes;
    }
  }
  return t;
}

const sameVectors = (a: Buffer, b: Buffer) => {
  const vectors = (body: Buffer) =>
    JSON.stringify(
      (JSON.parse(body.toString('utf8')) as { data: { index: number; embedding: unknown }[] }).data.map((d) => [d.index, d.embedding]),
    );
  return vectors(a) === vectors(b);
};

/** One request per target: each must answer exactly the bytes the upstream answers (LiteLLM: the
 *  same vectors). Returns their size. */
async function check(targets: Target[], req: Omit<LoadRequest, 'origin'>, scenario: Scenario): Promise<number> {
  const answers = await Promise.all(
    targets.map(async (t) => {
      const headers = { ...req.headers, ...t.headers };
      const res = await fetch(t.origin + req.path, { method: 'POST', headers, body: new Uint8Array(req.body) });
      return { target: t.name, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    }),
  );
  const direct = answers.find((a) => a.target === 'direct')!;
  for (const a of answers) {
    if (scenario.errorRate === 0 && a.status !== 200) {
      throw new Error(`${a.target} answered HTTP ${a.status} in ${scenario.name}: ${a.body.subarray(0, 300).toString()}`);
    }
    if (a.status !== 200 || direct.status !== 200) continue;
    // LiteLLM re-serialises the body (key order, extra usage fields): its vectors must be the same.
    const same = a.target === 'litellm' ? sameVectors(a.body, direct.body) : a.body.equals(direct.body);
    if (!same) {
      throw new Error(`${a.target} changed the response body in ${scenario.name} (${a.body.length} bytes vs ${direct.body.length} direct)`);
    }
  }
  return direct.body.length;
}

/** Everything one scenario's phases share. */
interface ScenarioRun {
  scenario: Scenario;
  opts: Options;
  req: Omit<LoadRequest, 'origin'>;
  upstream: Child;
  targets: Target[];
  results: Map<string, TargetResult>;
  /** Requests sent to each target (check, warm-up, phases). */
  sent: Map<string, number>;
  scrapers: Map<string, Scraper>;
}

/** Runs one load phase against a target, counting what it sent and scraping the relay meanwhile. */
async function onTarget<T extends { sent: number }>(run: ScenarioRun, t: Target, phase: (req: LoadRequest) => Promise<T>): Promise<T> {
  const scraper = run.scrapers.get(t.name);
  if (scraper) scraper.active = true;
  try {
    const r = await phase({ ...run.req, headers: { ...run.req.headers, ...t.headers }, origin: t.origin });
    run.sent.set(t.name, (run.sent.get(t.name) ?? 0) + r.sent);
    return r;
  } finally {
    if (scraper) scraper.active = false;
  }
}

const label = (t: Target, what: string) => `${t.name.padEnd(14)} ${what.padEnd(17)}`;

/** (a) Max throughput, each target after its own warm-up, by wrk (one C thread, on CPU 1 when
 *  pinned) or autocannon (in this process). */
async function maxPhase(run: ScenarioRun): Promise<void> {
  const { opts } = run;
  const load = (req: LoadRequest, durationS: number, what: string) =>
    opts.loadgen === 'wrk'
      ? wrkThroughput(req, opts.connections, durationS, what, opts.pin ? LOADGEN_CPU : undefined)
      : maxThroughput(req, opts.connections, durationS, what);
  for (const t of run.targets) {
    await onTarget(run, t, (req) => load(req, opts.warmupS, label(t, 'warm-up')));
    const max = await onTarget(run, t, (req) =>
      measured(t, run.upstream, () => load(req, opts.durationS, label(t, `max ${opts.connections} conns`))),
    );
    run.results.set(t.name, { target: t.name, max: { ...max, loadgen: opts.loadgen }, requests: 0 });
  }
}

/** (b) or (c): every target at one paced rate. A slow target (LiteLLM) skips (b) and runs (c) at
 *  the same share of its own max, so the others' (c) is not set by it. */
async function ratePhase(run: ScenarioRun, shape: 'rate' | 'low', rps: number | undefined): Promise<void> {
  const { opts } = run;
  for (const t of run.targets) {
    if (t.slow ? shape === 'rate' : rps === undefined) continue;
    const r = run.results.get(t.name)!;
    const own = t.slow ? Math.max(1, Math.round(r.max.rps * opts.rateShare)) : rps!;
    const durationS = shape === 'low' ? lowDurationS(own, opts) : opts.durationS;
    r[shape] = await onTarget(run, t, (req) =>
      measured(t, run.upstream, () => fixedRate(req, own, durationS, opts.connections, label(t, `${own} req/s paced`))),
    );
  }
}

/** (d) The scenario's fixed rates (issue #15's targets), every target at each, with the relay's
 *  event-loop delay and its own overhead histogram over the phase beside the latency measured. */
async function fixedPhases(run: ScenarioRun): Promise<void> {
  const { opts } = run;
  for (const rps of run.scenario.fixedRates ?? []) {
    for (const t of run.targets) {
      if (t.slow) continue; // cannot sustain these rates (LiteLLM: its own (b)/(c) phases show it)
      const before = t.metricsUrl && t.name.startsWith('relay') ? await overheadHistogram(t.metricsUrl) : undefined;
      await t.loopProbe?.sample();
      const phase: FixedPhase = await onTarget(run, t, (req) =>
        measured(t, run.upstream, () => fixedRate(req, rps, opts.durationS, opts.connections, label(t, `${rps} req/s fixed`))),
      );
      const loop = await t.loopProbe?.sample();
      if (loop) phase.loopDelayMs = { p50: loop.p50, p99: loop.p99, max: loop.max, mean: loop.mean };
      if (before && t.metricsUrl) phase.overhead = overheadBetween(before, await overheadHistogram(t.metricsUrl));
      const r = run.results.get(t.name)!;
      r.fixed = [...(r.fixed ?? []), phase];
    }
  }
}

/** The (c) rate: a share of the slowest target's max (or of the rate the direct path really
 *  achieved, if even that fell behind); undefined when every target kept up with (b). */
function lowRate(run: ScenarioRun): number | undefined {
  const slow = new Set(run.targets.filter((t) => t.slow).map((t) => t.name));
  const results = [...run.results.values()].filter((r) => !slow.has(r.target));
  if (!results.some((r) => saturated(r.rate))) return undefined;
  const ceilings = results.map((r) => r.max.rps);
  const direct = run.results.get('direct')!.rate!;
  if (saturated(direct)) ceilings.push(direct.rps);
  return Math.max(1, Math.round(Math.min(...ceilings) * run.opts.rateShare));
}

async function runScenario(
  scenario: Scenario,
  opts: Options,
  setup: TargetSetup,
  upstream: Child,
  sinkPort: number,
): Promise<ScenarioResult> {
  const body = requestBody(scenario);
  const req = { path: '/v1/embeddings', headers: { 'content-type': 'application/json', [SCENARIO_HEADER]: scenario.name }, body };
  log(`\n== ${scenario.name}: ${scenario.summary}; request body ${(body.length / 1024).toFixed(1)} KiB`);
  const sinkBefore = await sinkCounts(sinkPort);
  const run: ScenarioRun = { scenario, opts, req, upstream, targets: [], results: new Map(), sent: new Map(), scrapers: new Map() };
  try {
    for (const t of await Promise.allSettled(opts.targets.map((name) => startTarget(name, setup)))) {
      if (t.status === 'rejected') throw t.reason;
      run.targets.push(t.value);
    }
    if (opts.pin) for (const t of run.targets) if (t.child) pinTree(t.child.pid, PROXY_CPU);
    const responseBytes = await check(run.targets, req, scenario);
    for (const t of run.targets) {
      run.sent.set(t.name, 1);
      if (t.metricsUrl) run.scrapers.set(t.name, new Scraper(t.metricsUrl));
    }

    await maxPhase(run);
    // (b) A share of what the direct path sustained, paced evenly. (c) When some target fell
    // behind (b), the same share of the slowest one's max, so every target's added latency is
    // also measured below saturation.
    const rateRps = Math.max(1, Math.round(run.results.get('direct')!.max.rps * opts.rateShare));
    await ratePhase(run, 'rate', rateRps);
    const lowRateRps = lowRate(run);
    // Slow targets (LiteLLM) run (c) at their own share even when no other target needs it.
    if (lowRateRps !== undefined || run.targets.some((t) => t.slow)) await ratePhase(run, 'low', lowRateRps);
    await fixedPhases(run);

    if (scenario.ttfb) await ttfbPhase(run);

    for (const t of run.targets) {
      const r = run.results.get(t.name)!;
      r.requests = run.sent.get(t.name)!;
      if (t.child) r.proxyHwmBytes = statusBytes(t.child.pid, 'VmHWM');
    }
    return {
      name: scenario.name,
      summary: scenario.summary,
      requestBytes: body.length,
      responseBytes,
      rateRps,
      lowRateRps,
      targets: [...run.results.values()],
    };
  } finally {
    await closeScenario(run, sinkPort, sinkBefore);
  }
}

/** (e) Time to first byte on each target, back to back and after an idle gap. */
async function ttfbPhase(run: ScenarioRun): Promise<void> {
  for (const t of run.targets) {
    if (t.slow) continue; // LiteLLM: a few requests a second; 2 × 200 sequential ones would take minutes
    const ttfb = await onTarget(run, t, async (r) => {
      const x = await timeToFirstByte(r, run.opts.ttfbRequests, TTFB_GAP_MS, label(t, 'first byte'));
      return { ...x, sent: 2 * x.requests };
    });
    run.results.get(t.name)!.ttfb = {
      requests: ttfb.requests,
      gapMs: ttfb.gapMs,
      backToBack: ttfb.backToBack,
      afterGap: ttfb.afterGap,
    };
  }
}

/** Stops the targets (the relays flush their spans and logs into the sink first), then records each
 *  relay's telemetry: what reached the sink, its stdout, its scrapes and its own report. */
async function closeScenario(run: ScenarioRun, sinkPort: number, sinkBefore: Awaited<ReturnType<typeof sinkCounts>>): Promise<void> {
  const selfReports = new Map<string, RelaySelfReport | undefined>();
  for (const t of run.targets) if (t.metricsUrl && t.name.startsWith('relay')) selfReports.set(t.name, await relaySelfReport(t.metricsUrl));
  // Stopping the relays flushes their spans and logs into the sink before it is read.
  await Promise.all(run.targets.map((t) => t.stop()));
  const sinkAfter = await sinkCounts(sinkPort).catch(() => undefined);
  const scrapes = new Map([...run.scrapers].map(([name, s]) => [name, s.stop()]));
  for (const t of run.targets) {
    const r = run.results.get(t.name);
    if (!t.name.startsWith('relay') || !r) continue;
    const exit = await t.child!.exited;
    if (exit !== 0) log(`  warning: ${t.name} exited with ${exit}: ${t.child!.stderrTail().trim().split('\n').slice(-5).join(' | ')}`);
    const scrape = scrapes.get(t.name);
    const self = selfReports.get(t.name);
    r.telemetry = {
      ...(sinkAfter ? telemetryDelta(sinkBefore, sinkAfter, t.name) : { otlpRequests: 0, otlpBytes: 0, lokiRequests: 0, lokiBytes: 0 }),
      stdoutBytes: t.child!.stdoutBytes(),
      ...(scrape ? { scrape } : {}),
      ...(self ? { self } : {}),
    };
  }
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseOptions>;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    log(`bench: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const nginx = opts.targets.includes('nginx') ? findNginx() : undefined;
  if (opts.targets.includes('nginx') && !nginx) {
    log('bench: nginx is not installed (Debian: apt-get install -y nginx-light); the nginx column is skipped.');
    opts.targets = opts.targets.filter((t) => t !== 'nginx');
  }
  const result: BenchResult = {
    date: new Date().toISOString(),
    wallS: 0,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      nginx: nginx ? nginxVersion(nginx) : undefined,
      loadAvgStart: loadavg(),
      loadAvgEnd: [],
    },
    options: opts,
    scenarios: [],
  };
  log(
    `bench: ${opts.quick ? 'quick' : 'full'} run: ${opts.scenarios.join(', ')} × ${opts.targets.join(', ')}; ` +
      `${opts.warmupS} s warm-up, ${opts.durationS} s per phase, ${opts.connections} connections; ` +
      `Node ${process.version}, ${result.machine.nginx ?? 'no nginx'}, ${result.machine.cpus} CPUs, load average ${result.machine.loadAvgStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const services = await startServices(opts.scenarios, ['relay', 'relay-before', 'relay-otel-off', 'litellm']);
  const { upstream, upstreamPort, sinkPorts } = services;
  if (opts.pin) for (const pid of [process.pid, upstream.pid, services.sink.pid]) pinTree(pid, LOADGEN_CPU);
  const setup: TargetSetup = { upstreamPort, nginx, sinkPorts, ...(opts.before ? { beforeRoot: opts.before } : {}) };
  try {
    for (const name of opts.scenarios) {
      result.scenarios.push(await runScenario(scenarioNamed(name)!, opts, setup, upstream, sinkPorts['stats']!));
    }
  } finally {
    await services.stop();
  }
  result.machine.loadAvgEnd = loadavg();
  result.wallS = (performance.now() - started) / 1000;

  console.log(`\n${report(result)}`);
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
    log(`bench: raw results written to ${opts.json}`);
  }
  if (opts.chart) {
    writeFileSync(opts.chart, chart(result));
    log(`bench: latency chart written to ${opts.chart}`);
  }
}

try {
  await main();
} catch (err) {
  log(`bench: failed: ${err instanceof Error ? err.message : String(err)}`);
  killAll();
  process.exit(1);
}
