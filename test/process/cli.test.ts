// The shipped entry point as a real process: `node --import ./dist/instrument.js dist/main.js`
// (what `npm start` runs). `npm test` builds dist/ first.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { embed, entry, freePort, jsonLines, node, root, startRelayProcess, type RelayProcess } from '../support/relay-process.ts';
import { startTelemetrySink, type SinkExport, type TelemetrySink } from '../support/telemetry-sink.ts';

describe('CLI', () => {
  it('fails fast with an exact message on a bad value', () => {
    const run = spawnSync(node, [...entry, '--port=abc'], { cwd: root, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('embedding-relay: Invalid --port="abc": expected an integer from 0 to 65535.');
    const env = spawnSync(node, entry, {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], RELAY_UPSTREAM_URL: 'localhost:8000' },
    });
    expect(env.status).toBe(2);
    expect(env.stderr.trim()).toBe(
      'embedding-relay: Invalid RELAY_UPSTREAM_URL="localhost:8000": expected an absolute http:// or https:// URL.',
    );
  });

  it('--help lists the options and exits 0', () => {
    const run = spawnSync(node, [...entry, '--help'], { cwd: root, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--upstream-url  (RELAY_UPSTREAM_URL)  [unset]');
    expect(run.stdout).toContain('--max-body-bytes  (RELAY_MAX_BODY_BYTES)  [16777216]');
  });

  it('keeps stdout for JSON log lines even with OTEL_LOG_LEVEL=debug (SDK diagnostics go to stderr)', async () => {
    const p = await startRelayProcess({ OTEL_LOG_LEVEL: 'debug', OTEL_TRACES_EXPORTER: 'none' });
    try {
      expect((await embed(p.url, 'm-debug')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      expect(await p.stop()).toBe(0);
    }
    expect(p.out.stderr).toContain('Registered a global for metrics'); // debug output exists...
    const lines = jsonLines(p.out.stdout); // ...and every stdout line is still JSON
    expect(lines.filter((l) => l['model'] === 'm-debug')).toHaveLength(1);
  });
});

describe('OTEL_SDK_DISABLED=true', () => {
  it('still relays and logs, with no metrics endpoint and no trace ids', async () => {
    // A port it is told to use, to show nothing listens there.
    const p = await startRelayProcess({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) });
    try {
      expect(p.out.stderr).toContain(
        'Telemetry disabled (OTEL_SDK_DISABLED=true, or started without --import ./dist/instrument.js): no metrics, no spans.',
      );
      expect((await embed(p.url, 'm-off')).status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 200));
      const line = jsonLines(p.out.stdout).find((l) => l['model'] === 'm-off');
      expect(line).toMatchObject({ event: 'embedding_request', http_status: 200, output_dim: 16 });
      expect(line).not.toHaveProperty('trace_id');
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });
});

describe('shutdown with no Collector listening', () => {
  // An export already retrying keeps the event loop alive for its whole timeout (10 s by default), so the
  // exit must not wait for the loop to empty: `docker stop` gives 10 s before SIGKILL (found by test:docker).
  it('exits promptly while an export is retrying against it', async () => {
    const dead = await freePort();
    const p = await startRelayProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${dead}`, OTEL_BSP_SCHEDULE_DELAY: '50' });
    expect((await embed(p.url, 'm-retrying')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500)); // the batch has left and is being retried
    const t0 = Date.now();
    expect(await p.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
  }, 20_000);

  it('exits promptly: the span flush is bounded', async () => {
    const dead = await freePort();
    const p = await startRelayProcess({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${dead}`, OTEL_BSP_SCHEDULE_DELAY: '60000' });
    expect((await embed(p.url, 'm-dead-collector')).status).toBe(200);
    const t0 = Date.now();
    expect(await p.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(jsonLines(p.out.stdout).filter((l) => l['model'] === 'm-dead-collector')).toHaveLength(1);
  });
});

describe('spans that cannot be exported are counted, not silently lost', () => {
  it('a dead Collector shows up as otel_sdk_processor_span_processed_total{error_type} on /metrics', async () => {
    const dead = await freePort();
    const p = await startRelayProcess({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${dead}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
    try {
      for (let i = 0; i < 5; i++) expect((await embed(p.url, 'm-dropped')).status).toBe(200);
      const url = `http://127.0.0.1:${p.metricsPort}/metrics`;
      const failed = async () =>
        parsePrometheusText(await (await fetch(url)).text())
          .filter((s) => s.name === 'otel_sdk_processor_span_processed_total' && (s.labels['error_type'] ?? '') !== '')
          .reduce((sum, s) => sum + s.value, 0);
      const deadline = Date.now() + 5_000;
      while ((await failed()) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // 5 requests = 10 spans (the relay's SERVER span and the upstream CLIENT span), all failed.
      expect(await failed()).toBe(10);
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/otel_sdk_processor_span_queue_capacity\{[^}]*\} 2048/);
      // The tracer's per-span counts are dropped by a view (sdk.ts): three records a span, no news.
      expect(text).not.toMatch(/^otel_sdk_span_/m);
    } finally {
      expect(await p.stop()).toBe(0);
    }
    // Several batches failed; the operator got one concise line, not a JSON dump per batch.
    const warnings = p.out.stderr.split('\n').filter((l) => l.includes('telemetry export failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `^embedding-relay: warning: telemetry export failed: .*(ECONNREFUSED|${dead}).* counted in otel_sdk_processor_span_processed_total\\{error_type\\}`,
      ),
    );
    expect(p.out.stderr).not.toContain('{"stack"');
  });
});

describe('admin port', () => {
  it('answers /healthz and /readyz next to /metrics, open even when the API port requires a key', async () => {
    const p = await startRelayProcess({ RELAY_API_KEYS: 'admin-test-key', OTEL_TRACES_EXPORTER: 'none' });
    try {
      const admin = `http://127.0.0.1:${p.metricsPort}`;
      const health = await fetch(`${admin}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${admin}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', upstream: { reachable: true } });
      expect((await fetch(`${admin}/nothing`)).status).toBe(404);
      expect((await fetch(`${p.url}/v1/models`)).status).toBe(401);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });
});

describe('shutdown after a Prometheus scrape', () => {
  it("exits without waiting for the scraper's idle keep-alive connection", async () => {
    const p = await startRelayProcess({ OTEL_TRACES_EXPORTER: 'none' });
    const res = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`, { headers: { connection: 'keep-alive' } });
    expect(res.status).toBe(200);
    await res.text();
    const t0 = Date.now();
    expect(await p.stop()).toBe(0);
    // Measured: 0.4 s; 3.0 s before the metrics server unref'd its sockets (exit waited for the scraper to drop the idle connection).
    expect(Date.now() - t0).toBeLessThan(2_500);
  });
});

describe('relay process on its embedded simulator', () => {
  let sink: TelemetrySink;
  let exports: SinkExport[];
  let p: RelayProcess;

  beforeAll(async () => {
    sink = await startTelemetrySink();
    exports = sink.exports;
    p = await startRelayProcess({
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      LOKI_URL: sink.url,
      OTEL_SERVICE_NAME: 'relay-under-test',
      // Spans leave only on the shutdown flush: proves SIGTERM flushes.
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
  });

  afterAll(async () => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await sink.close();
  });

  it('prints how to call it and says the upstream is a simulator', () => {
    expect(p.out.stderr).toContain('the built-in SIMULATOR');
    expect(p.out.stderr).toContain(`curl -s ${p.url}/v1/embeddings`);
    expect(p.out.stderr).toContain(`new OpenAI({ baseURL: '${p.url}/v1'`);
  });

  it('serves embeddings, metrics and logs, then drains and flushes spans on SIGTERM', async () => {
    const res = await embed(p.url, 'm-cli');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(2);

    const metrics = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{[^}]*gen_ai_provider_name="simulator"[^}]*gen_ai_request_model="m-cli"[^}]*\} 1/,
    );
    expect(metrics).toContain('service_name="relay-under-test"');
    expect(metrics).not.toContain('process_command_args');

    await new Promise((r) => setTimeout(r, 200));
    const line = jsonLines(p.out.stdout).find((l) => l['model'] === 'm-cli');
    expect(line).toMatchObject({ event: 'embedding_request', service: 'relay-under-test', http_status: 200, output_dim: 16 });
    expect(line!['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(exports.filter((e) => e.path === '/v1/traces')).toHaveLength(0);

    // The Loki queue pushes in 1 s batches, with low-cardinality labels only.
    const deadline = Date.now() + 5_000;
    while (!exports.some((e) => e.path === '/loki/api/v1/push') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const pushes = exports.filter((e) => e.path === '/loki/api/v1/push');
    expect(pushes.length).toBeGreaterThan(0);
    const streams = pushes.flatMap(
      (x) => (JSON.parse(x.body.toString()) as { streams: { stream: Record<string, string>; values: [string, string][] }[] }).streams,
    );
    const entry = streams
      .flatMap((st) => st.values.map(([ts, text]) => ({ labels: st.stream, ts, line: JSON.parse(text) as Record<string, unknown> })))
      .find((e) => e.line['model'] === 'm-cli');
    expect(entry).toBeDefined();
    expect(entry!.labels).toEqual({ service_name: 'relay-under-test', level: 'info' });
    expect(entry!.line).toMatchObject({
      event: 'embedding_request',
      trace_id: line!['trace_id'],
      span_id: line!['span_id'],
      http_status: 200,
    });
    expect(entry!.ts).toBe(`${line!['time'] as number}000000`); // nanoseconds from the pino time
    // The push is the relay's own call (fetch, on the undici instrumentation's channels): no HTTP
    // client metric and no CLIENT span of it; the upstream call has both.
    const after = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
    const clientSeries = after.split('\n').filter((l) => l.startsWith('http_client_request_duration_seconds_count{'));
    expect(clientSeries.length).toBeGreaterThan(0);
    expect(clientSeries.filter((l) => l.includes(`server_port="${new URL(sink.url).port}"`))).toEqual([]);

    expect(await p.stop()).toBe(0);
    expect(p.out.stderr).toContain('SIGTERM received, draining');
    expect(p.out.stderr).not.toMatch(/warn|error/i);
    const traces = exports.filter((e) => e.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.type).toBe('application/x-protobuf');
    const all = Buffer.concat(traces.map((t) => t.body));
    // Protobuf carries strings verbatim: the span name, attribute keys and the trace id bytes.
    expect(all.includes('embeddings m-cli')).toBe(true);
    expect(all.includes('gen_ai.request.model')).toBe(true);
    expect(all.includes(Buffer.from(line!['trace_id'] as string, 'hex'))).toBe(true);
    expect(all.includes('/loki/api/v1/push')).toBe(false);
  });
});
