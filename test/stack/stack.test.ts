// End to end against the real programs: relay (a process configured only by OTEL_*/RELAY_* env)
// → OpenTelemetry Collector built by ocb from the repo's manifest, with the repo's
// otel-collector.yaml; Prometheus (Debian) with the repo's prometheus.yml and rules, scraping
// the relay and the Collector. Configs change only in hosts and ports (rewrite.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, root, startRelayProcess, type RelayProcess } from '../relay-process.ts';
import { rewriteHostsAndPorts } from './rewrite.ts';
import { eventually, otelcolBinary, startService, systemBinary, tempDir, tempoBinary, type Service } from './services.ts';

const services: Service[] = [];
let relay: RelayProcess;
let otelcol: string;
const port: Record<string, number> = {};
let promUrl: string;

let tempoUrl: string;

beforeAll(async () => {
  otelcol = otelcolBinary();
  const tempo = tempoBinary();
  const prometheus = systemBinary('prometheus', 'prometheus');
  for (const name of ['otlpGrpc', 'otlpHttp', 'health', 'collectorMetrics', 'tempoGrpc', 'tempoOtlpHttp', 'tempoInternalGrpc', 'prometheus', 'alertmanager', 'tempo', 'loki']) {
    port[name] = await freePort();
  }
  promUrl = `http://127.0.0.1:${port['prometheus']}`;
  tempoUrl = `http://127.0.0.1:${port['tempo']}`;

  // Tempo first, so the Collector's exporter finds it.
  const tempoDir = tempDir('tempo');
  writeFileSync(
    join(tempoDir, 'tempo.yaml'),
    rewriteHostsAndPorts(readFileSync(join(root, 'tempo/tempo.yaml'), 'utf8'), {
      'http_listen_address: 0.0.0.0': 'http_listen_address: 127.0.0.1',
      'http_listen_port: 3200': `http_listen_port: ${port['tempo']}`,
      'grpc_listen_address: 0.0.0.0': 'grpc_listen_address: 127.0.0.1',
      'grpc_listen_port: 9095': `grpc_listen_port: ${port['tempoInternalGrpc']}`,
      '0.0.0.0:4317': `127.0.0.1:${port['tempoGrpc']}`,
      '0.0.0.0:4318': `127.0.0.1:${port['tempoOtlpHttp']}`,
      'prometheus:9090': `127.0.0.1:${port['prometheus']}`,
    }, 'tempo/tempo.yaml'),
  );
  services.push(
    await startService('tempo', tempo, [`-config.file=${join(tempoDir, 'tempo.yaml')}`, '-config.expand-env=true'], `${tempoUrl}/ready`, 120_000, {
      TEMPO_DATA_DIR: join(tempoDir, 'data'),
    }),
  );

  const dir = tempDir('stack');
  const collectorConfig = join(dir, 'otel-collector.yaml');
  writeFileSync(
    collectorConfig,
    rewriteHostsAndPorts(readFileSync(join(root, 'otel-collector.yaml'), 'utf8'), {
      '0.0.0.0:4317': `127.0.0.1:${port['otlpGrpc']}`,
      '0.0.0.0:4318': `127.0.0.1:${port['otlpHttp']}`,
      '0.0.0.0:13133': `127.0.0.1:${port['health']}`,
      'host: 0.0.0.0': 'host: 127.0.0.1',
      'port: 8888': `port: ${port['collectorMetrics']}`,
      'tempo:4317': `127.0.0.1:${port['tempoGrpc']}`,
    }, 'otel-collector.yaml'),
  );
  services.push(await startService('otelcol', otelcol, ['--config', collectorConfig], `http://127.0.0.1:${port['health']}/`));

  relay = await startRelayProcess({
    OTEL_SERVICE_NAME: 'embedding-relay',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port['otlpHttp']}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    RELAY_PROVIDER_NAME: 'simulator',
  });

  const promDir = tempDir('prometheus');
  copyFileSync(join(root, 'prometheus/embedding-relay.rules.yml'), join(promDir, 'embedding-relay.rules.yml'));
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    rewriteHostsAndPorts(readFileSync(join(root, 'prometheus/prometheus.yml'), 'utf8'), {
      'relay:9464': `127.0.0.1:${relay.metricsPort}`,
      'otel-collector:8888': `127.0.0.1:${port['collectorMetrics']}`,
      'tempo:3200': `127.0.0.1:${port['tempo']}`,
      'loki:3100': `127.0.0.1:${port['loki']}`,
      'alertmanager:9093': `127.0.0.1:${port['alertmanager']}`,
      'localhost:9090': `127.0.0.1:${port['prometheus']}`,
    }, 'prometheus/prometheus.yml'),
  );
  services.push(
    await startService('prometheus', prometheus, [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port['prometheus']}`,
      // As in docker-compose.yml: Tempo's metrics-generator remote-writes span metrics with exemplars.
      '--web.enable-remote-write-receiver',
      '--enable-feature=exemplar-storage',
    ], `${promUrl}/-/ready`),
  );
});

afterAll(async () => {
  await relay?.stop();
  for (const s of services.reverse()) await s.stop();
});

interface PromResult {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}
const query = async (expr: string): Promise<PromResult> =>
  (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as PromResult;

describe('OpenTelemetry Collector', () => {
  it('otelcol validate accepts otel-collector.yaml, and rejects a broken copy', () => {
    expect(execFileSync(otelcol, ['validate', '--config', join(root, 'otel-collector.yaml')], { encoding: 'utf8', stdio: 'pipe' })).toBe('');
    const broken = join(tempDir('broken'), 'c.yaml');
    writeFileSync(broken, readFileSync(join(root, 'otel-collector.yaml'), 'utf8').replace('processors: [memory_limiter, batch]', 'processors: [memory_limiter, batchh]'));
    expect(() => execFileSync(otelcol, ['validate', '--config', broken], { stdio: 'pipe' })).toThrow(/batchh/);
  });

  it('receives the relay’s spans over OTLP/HTTP', async () => {
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'sk-stack', maxRetries: 0 });
    for (let i = 0; i < 5; i++) await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: [`stack test ${i}`, 'second'] });
    const accepted = await eventually('the Collector to accept spans', async () => {
      const text = await (await fetch(`http://127.0.0.1:${port['collectorMetrics']}/metrics`)).text();
      const m = /^otelcol_receiver_accepted_spans(?:_total)?\{[^}]*transport="http"[^}]*\} (\d+)/m.exec(text);
      return m && Number(m[1]) >= 10 ? Number(m[1]) : undefined;
    }, 30_000);
    expect(accepted).toBeGreaterThanOrEqual(10); // 5 relay spans + 5 upstream client spans
  });
});

describe('Prometheus', () => {
  it('scrapes the relay and the Collector', async () => {
    const up = await eventually('relay and collector targets up', async () => {
      const r = await query('up');
      const jobs = Object.fromEntries(r.data.result.map((s) => [s.metric['job'], s.value[1]]));
      return jobs['embedding-relay'] === '1' && jobs['otel-collector'] === '1' ? jobs : undefined;
    }, 60_000);
    expect(up).toMatchObject({ 'embedding-relay': '1', 'otel-collector': '1' });
  });

  it('evaluates every rule expression without error; the rate and latency ones return data', async () => {
    const rules = parse(readFileSync(join(root, 'prometheus/embedding-relay.rules.yml'), 'utf8')) as {
      groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    // rate() needs the counter to grow between two scrapes (15 s apart): keep traffic flowing,
    // including a failure, until Prometheus sees it.
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'sk-stack', maxRetries: 0 });
    await eventually('request rate in Prometheus', async () => {
      await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: ['keep', 'traffic', 'flowing'] });
      await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: 'x', dimensions: 99_999 }).catch(() => undefined);
      const r = await query('sum(rate(gen_ai_client_operation_duration_seconds_count{job="embedding-relay"}[5m])) > 0');
      return r.data.result.length > 0 ? true : undefined;
    }, 90_000);
    for (const rule of all) {
      const r = await query(rule.expr);
      expect(r.status, `${rule.record ?? rule.alert}: ${r.error}`).toBe('success');
    }
    for (const record of ['embedding:requests:rate5m', 'embedding:latency_seconds:p50_5m', 'embedding:latency_seconds:p99_5m', 'embedding:error_ratio:rate5m', 'embedding:relay_overhead_seconds:p99_5m', 'embedding:input_tokens:rate5m']) {
      const expr = all.find((r) => r.record === record)!.expr;
      const r = await query(expr);
      expect(r.data.result.length, `${record} returned no data`).toBeGreaterThan(0);
      expect(Number.isFinite(Number(r.data.result[0]!.value[1])), `${record} = ${r.data.result[0]!.value[1]}`).toBe(true);
    }
  });

  it('loads the rule groups and evaluates them healthily', async () => {
    const groups = await eventually('every rule evaluated', async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } };
      const rules = body.data.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001')) ? body.data.groups : undefined;
    }, 90_000);
    expect(groups.map((g) => g.name).sort()).toEqual(['embedding-relay.alerts', 'embedding-relay.recording']);
    for (const rule of groups.flatMap((g) => g.rules)) expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe('ok');
  });
});

describe('Grafana dashboard', () => {
  interface Target { expr?: string; datasource?: { type: string } }
  interface Panel { title: string; type: string; targets?: Target[] }
  const dashboard = JSON.parse(readFileSync(join(root, 'grafana/dashboards/embedding-relay.json'), 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; query: { query: string } }[] };
  };
  /** Grafana's variables, as Grafana would substitute them with "All" selected. */
  const substitute = (expr: string) =>
    expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '15m').replaceAll('$__interval', '15s').replaceAll('$instance', '.*').replaceAll('$model', '.*');

  it('every Prometheus expression evaluates without error, and the traffic/latency panels return data', async () => {
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).filter((t) => t.datasource?.type === 'prometheus').map((t) => ({ panel: p.title, expr: t.expr! })));
    expect(targets.length).toBeGreaterThan(15);
    for (const t of targets) {
      const r = await query(substitute(t.expr));
      expect(r.status, `${t.panel}: ${r.error}`).toBe('success');
    }
    for (const title of ['QPS', 'P99 latency', 'Latency P50 / P90 / P95 / P99', 'Requests by outcome (status, error.type)', 'Relay overhead', 'Batch size', 'Vectors by dimension (dimension consistency)', 'In flight']) {
      const panel = dashboard.panels.find((p) => p.title === title)!;
      const r = await query(substitute(panel.targets![0]!.expr!));
      expect(r.data.result.length, `panel "${title}" has no data`).toBeGreaterThan(0);
    }
  });

  it('template variables resolve to the relay instance and the model', async () => {
    const values: Record<string, string[]> = {};
    for (const v of dashboard.templating.list) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(v.query.query)!;
      const body = (await (await fetch(`${promUrl}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1]!)}`)).json()) as { data: string[] };
      values[v.name] = body.data;
    }
    expect(values['instance']).toEqual([`127.0.0.1:${relay.metricsPort}`]);
    expect(values['model']).toContain('Qwen/Qwen3-Embedding-4B');
  });
});

describe('Tempo', () => {
  interface OtlpTrace {
    batches?: { resource: { attributes: Attr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
    trace?: { resourceSpans: { resource: { attributes: Attr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
  }
  interface Attr { key: string; value: Record<string, unknown> }
  interface OtlpSpan { name: string; kind: string; spanId: string; parentSpanId?: string; attributes?: Attr[] }
  const attr = (s: OtlpSpan, key: string) => {
    const v = s.attributes?.find((a) => a.key === key)?.value;
    return v === undefined ? undefined : (v['stringValue'] ?? v['intValue'] ?? v['boolValue'] ?? v['arrayValue']);
  };
  let traceId: string;

  it('returns the trace by id: the relay span with GenAI attributes and the upstream CLIENT span', async () => {
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'sk-stack', maxRetries: 0 });
    await client.embeddings.create({ model: 'm-tempo', input: ['find me in tempo', 'twice'], dimensions: 128 });
    await new Promise((r) => setTimeout(r, 300));
    const line = relay.out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['model'] === 'm-tempo');
    traceId = line!['trace_id'] as string;
    const spans = await eventually('the trace in Tempo', async () => {
      const res = await fetch(`${tempoUrl}/api/traces/${traceId}`, { headers: { accept: 'application/json' } });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as OtlpTrace;
      const rs = body.batches ?? body.trace?.resourceSpans ?? [];
      const all = rs.flatMap((b) => b.scopeSpans.flatMap((ss) => ss.spans));
      return all.length >= 2 ? all : undefined;
    }, 60_000);
    const server = spans.find((s) => s.name === 'embeddings m-tempo')!;
    expect(server.kind).toMatch(/SERVER/);
    expect(attr(server, 'gen_ai.operation.name')).toBe('embeddings');
    expect(attr(server, 'gen_ai.request.model')).toBe('m-tempo');
    expect(attr(server, 'gen_ai.provider.name')).toBe('simulator');
    expect(String(attr(server, 'gen_ai.embeddings.dimension.count'))).toBe('128');
    expect(String(attr(server, 'embedding.batch.size'))).toBe('2');
    const upstream = spans.find((s) => s.kind.includes('CLIENT') && s.parentSpanId === server.spanId);
    expect(upstream, 'upstream CLIENT span').toBeDefined();
    expect(attr(upstream!, 'http.request.method')).toBe('POST');
  });

  it('finds the trace with a TraceQL search on gen_ai.request.model', async () => {
    const q = encodeURIComponent('{ span.gen_ai.request.model = "m-tempo" }');
    const found = await eventually('TraceQL search result', async () => {
      const end = Math.ceil(Date.now() / 1000) + 60;
      const res = await fetch(`${tempoUrl}/api/search?q=${q}&start=${end - 3600}&end=${end}&limit=20`);
      const body = (await res.json()) as { traces?: { traceID: string }[] };
      const ids = (body.traces ?? []).map((t) => t.traceID.padStart(32, '0'));
      return ids.includes(traceId) ? ids : undefined;
    }, 60_000);
    expect(found).toContain(traceId);
  });

  it('remote-writes span metrics (metrics-generator) into Prometheus', async () => {
    const series = await eventually('traces_spanmetrics_* in Prometheus', async () => {
      const r = await query('sum by (service, span_name) (traces_spanmetrics_calls_total{service="embedding-relay"})');
      return r.data.result.length > 0 ? r.data.result.map((x) => x.metric['span_name']) : undefined;
    }, 90_000);
    expect(series.some((name) => name?.startsWith('embeddings '))).toBe(true);
  });
});

