// Running a soak: the upstream and the telemetry sink, the relay as in production, the planned mix
// at a fixed rate for the whole duration with the relay sampled every second and scraped every
// 15 s, then the relay's own account of what it served and its exit on SIGTERM. What it observed
// is judged in soak-verdict.ts.
import { cpus, loadavg } from 'node:os';
import { sumBy, sumValues } from '../../test/support/prometheus-text.ts';
import { cpuSeconds, openFds, statusBytes } from '../../test/support/process-stats.ts';
import { type ScrapeStats, Scraper, scrapeText } from '../harness/scraper.ts';
import { type BenchServices, startServices } from '../harness/services.ts';
import { startTarget, type Target } from '../harness/targets/index.ts';
import { Progress } from '../load/progress.ts';
import { requestKinds, unexpectedSoFar } from './soak-kinds.ts';
import { MixedLoad, type RequestKind } from './soak-load.ts';
import { type MemorySample, memorySample } from './soak-memory.ts';
import type { SoakOptions, SoakResult } from './soak-result.ts';

export const SCRAPE_INTERVAL_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;

type Log = (line: string) => void;

/** Everything a run observed, before it is judged. */
export interface Observations {
  warmupS: number;
  machine: SoakResult['machine'];
  kinds: RequestKind[];
  load: MixedLoad;
  /** Seconds from load start to load stop. */
  sendingS: number;
  samples: SoakResult['samples'];
  memorySamples: MemorySample[];
  scrapes: ScrapeStats;
  /** The relay's own account at the end (/metrics). */
  countedByStatus: Record<string, number>;
  telemetryErrors: number;
  relayCpuS: number;
  exitCode: number | null;
  sinkStats: SoakResult['sink'];
}

export async function runSoak(opts: SoakOptions, log: Log): Promise<Observations> {
  const { durationS, rate } = opts;
  const warmupS = Math.min(0.2 * durationS, 60);
  const machine = { cpus: cpus().length, node: process.version, loadavgAtStart: loadavg().map((x) => Number(x.toFixed(2))) };
  log(
    `soak: ${durationS} s at ${rate} req/s through the relay (warm-up ${warmupS} s not fitted); ` +
      `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadavgAtStart.join(' ')}`,
  );
  const services = await startServices(['small', 'errors'], ['relay']);
  const relay = await startRelay(opts, services, log);
  const kinds = requestKinds();
  const load = new MixedLoad(relay.origin, kinds, rate, REQUEST_TIMEOUT_MS);
  const cpu0 = cpuSeconds(relay.child!.pid);
  const driven = await drive(relay, load, kinds, { durationS, warmupS, cpu0 }, log);
  const account = await finalAccount(relay, services, driven.scrapes, log);
  return { warmupS, machine, kinds, load, ...driven, ...account, relayCpuS: account.cpuS - cpu0 };
}

async function startRelay(opts: SoakOptions, services: BenchServices, log: Log): Promise<Target> {
  const { upstreamPort, sinkPorts } = services;
  if (opts.injectLeak) {
    process.env['SOAK_INJECT_LEAK'] = opts.injectLeak; // read by bench/soak/leak.ts inside the relay
    const [kind, bytes] = opts.injectLeak.split(':');
    log(`  INJECTED LEAK (bench/soak/leak.ts): the relay keeps ${bytes} bytes per request (${kind}); this run must fail`);
  }
  const here = new URL('.', import.meta.url).pathname;
  const relay = await startTarget('relay', {
    upstreamPort,
    nginx: undefined,
    sinkPorts,
    relayNodeArgs: opts.injectLeak ? ['--import', `${here}leak.ts`] : [],
  });
  log(`  upstream :${upstreamPort}, sink :${sinkPorts['relay']}, relay ${relay.origin} (pid ${relay.child!.pid}), ${relay.metricsUrl}`);
  return relay;
}

/** The load for the whole duration: every second a sample of the relay's RSS, fds and CPU (and a
 *  progress line), every 15 s from load start a scrape (the memory samples come from these). */
async function drive(
  relay: Target,
  load: MixedLoad,
  kinds: RequestKind[],
  run: { durationS: number; warmupS: number; cpu0: number },
  log: Log,
): Promise<Pick<Observations, 'sendingS' | 'samples' | 'memorySamples' | 'scrapes'>> {
  const pid = relay.child!.pid;
  const samples: SoakResult['samples'] = [];
  const memorySamples: MemorySample[] = [];
  const start = performance.now();
  const progress = new Progress('soak');
  const tty = process.stderr.isTTY === true;
  load.start();
  const scraper = new Scraper(relay.metricsUrl!, {
    intervalMs: SCRAPE_INTERVAL_MS,
    onText: (text, t0) => {
      const m = memorySample(Math.round((t0 - start) / 1000), text);
      if (m) memorySamples.push(m);
    },
    onError: (err) => log(`  scrape failed: ${err.message}`),
  });
  scraper.active = true;
  void scraper.scrapeNow();
  let lastCompleted = 0;
  const sample = () => {
    const s = Math.round((performance.now() - start) / 1000);
    const rss = statusBytes(pid, 'VmRSS') / MiB;
    const fds = openFds(pid);
    samples.push([s, Number(rss.toFixed(2)), fds, Number((cpuSeconds(pid) - run.cpu0).toFixed(2))]);
    const { scrapes, failures } = scraper.stats;
    const line =
      `${String(s).padStart(4)}/${run.durationS} s  ${String(load.completed - lastCompleted).padStart(4)} req/s  sent ${load.sent}  ` +
      `RSS ${rss.toFixed(1)} MiB  fds ${fds}  unexpected ${unexpectedSoFar(load.counts(), kinds)}  scrapes ${scrapes}/${scrapes + failures}` +
      (s < run.warmupS ? '  (warm-up)' : '');
    lastCompleted = load.completed;
    progress.update(line);
    if (!tty && s > 0 && s % 30 === 0) log(`  soak  ${line}`);
  };
  const sampler = setInterval(sample, 1000);
  sample();
  await new Promise((r) => setTimeout(r, run.durationS * 1000));
  clearInterval(sampler);
  sample();
  const sendingS = (performance.now() - start) / 1000;
  await load.stop();
  const scrapes = scraper.stop();
  progress.done(`load stopped after ${sendingS.toFixed(1)} s: ${load.sent} requests sent, all answered or failed`);
  return { sendingS, samples, memorySamples, scrapes };
}

/** The relay's own count of what it served and its telemetry errors, its CPU time, its exit on
 *  SIGTERM (after flushing its logs and spans), and what reached the sink. */
async function finalAccount(
  relay: Target,
  services: BenchServices,
  scrapes: ScrapeStats,
  log: Log,
): Promise<Pick<Observations, 'countedByStatus' | 'telemetryErrors' | 'exitCode' | 'sinkStats'> & { cpuS: number }> {
  // The relay counts a request when its response has ended; give it a moment, then read its account.
  await new Promise((r) => setTimeout(r, 500));
  let countedByStatus: Record<string, number> = {};
  let telemetryErrors = Number.NaN;
  try {
    const text = await scrapeText(relay.metricsUrl!);
    countedByStatus = sumBy(text, 'gen_ai_client_operation_duration_seconds_count', 'http_response_status_code');
    telemetryErrors = sumValues(sumBy(text, 'embedding_relay_telemetry_errors_total', 'stage'));
  } catch (err) {
    scrapes.failures++;
    log(`  final scrape failed: ${(err as Error).message}`);
  }
  const cpuS = cpuSeconds(relay.child!.pid);
  await relay.stop();
  const exitCode = await relay.child!.exited;
  const stats = (await (await fetch(`http://127.0.0.1:${services.sinkPorts['stats']}/stats`)).json()) as Record<string, SoakResult['sink']>;
  await services.stop();
  return { countedByStatus, telemetryErrors, exitCode, sinkStats: stats['relay'] ?? {}, cpuS };
}
