// Test harness: the real relay wiring (startRelay), real telemetry SDK (startTelemetry) with an
// in-memory span exporter, the real /metrics endpoint, and a capture of the JSON log lines.
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startRelay, type RunningRelay } from '../../src/server/app.ts';
import { DEFAULTS, type Config } from '../../src/config/load.ts';
import { createLogging } from '../../src/telemetry/logger.ts';
import { startAdminServer } from '../../src/server/admin-server.ts';
import { startSimulator } from '../../src/server/simulator-server.ts';
import type { SimulatorOptions } from '../../src/simulator/simulator.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { startTelemetry, type Telemetry } from '../../src/telemetry/sdk.ts';
import { parsePrometheusText, type Sample } from './prometheus-text.ts';
import { toolPath } from '../tools/tools.ts';

export const spans = new InMemorySpanExporter();
let telemetry: Telemetry | undefined;

export async function setupTelemetry(): Promise<Telemetry> {
  telemetry ??= await startTelemetry({
    serviceName: 'embedding-relay-test',
    serveMetrics: (metrics) => startAdminServer('127.0.0.1', 0, metrics),
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    env: {},
  });
  return telemetry;
}

/** Allocates and drops enough short-lived garbage for at least one scavenge, then waits for the GC
 *  PerformanceObserver (instrumentation-runtime-node) to report it, so v8js_gc_duration_seconds exists. */
export async function makeGarbage(): Promise<void> {
  let kept = 0;
  for (let i = 0; i < 200_000; i++) kept += new Array(16).fill(i).length;
  if (kept !== 3_200_000) throw new Error(`garbage loop ran ${kept} elements`);
  await new Promise((r) => setTimeout(r, 50));
}

export async function scrapeText(): Promise<string> {
  const t = await setupTelemetry();
  const res = await fetch(t.metricsUrl!);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

export async function scrape(): Promise<Sample[]> {
  return parsePrometheusText(await scrapeText());
}

/** JSON log lines written by the relay's pino logger. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    cb();
  }
  requests(): Record<string, unknown>[] {
    return this.lines.filter((l) => l['event'] === 'embedding_request');
  }
  /** The lines of requests that are no GenAI operation (passed-on routes, unknown paths). */
  httpRequests(): Record<string, unknown>[] {
    return this.lines.filter((l) => l['event'] === 'http_request');
  }
}

export const SIM_DEFAULTS: SimulatorOptions = {
  model: 'Qwen/Qwen3-Embedding-4B',
  dimensions: 2560,
  seed: 7,
  latencyMs: 0,
  latencyPerTokenMs: 0,
  failRate: 0,
};

export async function simulator(overrides: Partial<SimulatorOptions> = {}, port = 0): Promise<RunningServer> {
  return startSimulator({ ...SIM_DEFAULTS, ...overrides }, '127.0.0.1', port);
}

export async function relay(config: Partial<Config>, logs = new LogCapture()): Promise<{ relay: RunningRelay; logs: LogCapture }> {
  await setupTelemetry();
  const full: Config = { ...DEFAULTS, host: '127.0.0.1', port: 0, ...config };
  const { logger } = createLogging({ level: 'info', serviceName: 'embedding-relay-test', lokiUrl: undefined, destination: logs });
  return { relay: await startRelay(full, { logger }), logs };
}

/** Spans finished so far with this name. */
export const spansNamed = (name: string): ReadableSpan[] => spans.getFinishedSpans().filter((s) => s.name === name);

/** `promtool check metrics` over a real scrape (promtool provisioned by test/tools/; never skipped). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync(toolPath('promtool'), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool could not run (${run.error.message})`);
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
