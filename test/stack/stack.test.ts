// End to end against the real programs (started by stack.ts with the repo's configs): the relay
// → OpenTelemetry Collector → Tempo; the relay → Loki; Prometheus scraping everything, with the
// repo's rules and the dashboard's queries; Alertmanager. Nothing is mocked.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonLines, root, type RelayProcess } from '../relay-process.ts';
import { eventually, tempDir } from './services.ts';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;
let relay: RelayProcess;
let otelcol: string;
let port: Record<string, number>;
let promUrl: string;
let tempoUrl: string;
let lokiUrl: string;

beforeAll(async () => {
  stack = await startStack();
  ({ relay, otelcol, port, promUrl, tempoUrl, lokiUrl } = stack);
});

afterAll(async () => {
  await stack?.stop();
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
  it('scrapes the relay, the Collector, Tempo and Loki, and knows its Alertmanager', async () => {
    const up = await eventually('all targets up', async () => {
      const r = await query('up');
      const jobs = Object.fromEntries(r.data.result.map((s) => [s.metric['job'], s.value[1]]));
      return ['embedding-relay', 'otel-collector', 'tempo', 'loki', 'prometheus'].every((j) => jobs[j] === '1') ? jobs : undefined;
    }, 60_000);
    expect(up).toMatchObject({ 'embedding-relay': '1', 'otel-collector': '1', tempo: '1', loki: '1', prometheus: '1' });
    const ams = (await (await fetch(`${promUrl}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
    expect(ams.data.activeAlertmanagers.map((a) => a.url)).toEqual([`http://127.0.0.1:${port['alertmanager']}/api/v2/alerts`]);
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
    expect(groups.map((g) => g.name).sort()).toEqual(['embedding-relay.alerts', 'embedding-relay.gpu', 'embedding-relay.quality', 'embedding-relay.recording']);
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
    const line = jsonLines(relay.out.stdout).find((l) => l['model'] === 'm-tempo');
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

  it('span metrics carry exemplars whose trace-id label is the one Grafana is provisioned with', async () => {
    const labelNames = await eventually('exemplars in Prometheus', async () => {
      const end = Date.now() / 1000;
      const q = encodeURIComponent('traces_spanmetrics_latency_bucket{service="embedding-relay"}');
      const body = (await (await fetch(`${promUrl}/api/v1/query_exemplars?query=${q}&start=${end - 3600}&end=${end + 60}`)).json()) as {
        data: { exemplars: { labels: Record<string, string> }[] }[];
      };
      const ex = body.data.flatMap((d) => d.exemplars);
      return ex.length > 0 ? Object.keys(ex[0]!.labels) : undefined;
    }, 90_000);
    const ds = parse(readFileSync(join(root, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as {
      datasources: { uid: string; jsonData: { exemplarTraceIdDestinations?: { name: string }[] } }[];
    };
    const name = ds.datasources.find((d) => d.uid === 'prometheus')!.jsonData.exemplarTraceIdDestinations![0]!.name;
    expect(labelNames).toContain(name);
  });
});

describe('Loki', () => {
  it('returns the request’s log line for its trace_id, with low-cardinality labels and the documented fields', async () => {
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'sk-stack', maxRetries: 0 });
    await client.embeddings.create({ model: 'm-loki', input: 'find me in loki' });
    await new Promise((r) => setTimeout(r, 300));
    const line = jsonLines(relay.out.stdout).find((l) => l['model'] === 'm-loki')!;
    const traceId = line['trace_id'] as string;
    const q = encodeURIComponent(`{service_name="embedding-relay"} | json | trace_id="${traceId}"`);
    const streams = await eventually('the log line in Loki', async () => {
      const now = Date.now() * 1e6;
      const res = await fetch(`${lokiUrl}/loki/api/v1/query_range?query=${q}&start=${now - 3600e9}&end=${now + 60e9}&limit=10`);
      const body = (await res.json()) as { data?: { result: { stream: Record<string, string>; values: [string, string][] }[] } };
      const result = body.data?.result ?? [];
      return result.length > 0 ? result : undefined;
    }, 30_000, 500);
    expect(streams).toHaveLength(1);
    const entries = streams[0]!.values;
    expect(entries).toHaveLength(1);
    const logged = JSON.parse(entries[0]![1]) as Record<string, unknown>;
    expect(logged).toMatchObject({ event: 'embedding_request', model: 'm-loki', status: 'ok', http_status: 200, trace_id: traceId, span_id: line['span_id'], input_count: 1, output_dim: 2560 });
    // Stream labels: the two pushed ones; everything else in the stream map comes from `| json`.
    expect(streams[0]!.stream['service_name']).toBe('embedding-relay');
    expect(streams[0]!.stream['level']).toBe('info');
    const labels = (await (await fetch(`${lokiUrl}/loki/api/v1/labels`)).json()) as { data: string[] };
    expect(labels.data.sort()).toEqual(['level', 'service_name']);
  });

  it('loads the ruler rule group and evaluates it healthily', async () => {
    const group = await eventually('Loki ruler group evaluated', async () => {
      const body = (await (await fetch(`${lokiUrl}/prometheus/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation?: string }[] }[] } };
      const g = body.data.groups.find((x) => x.name === 'embedding-relay.logs');
      return g && g.rules.every((r) => r.lastEvaluation && !r.lastEvaluation.startsWith('0001')) ? g : undefined;
    }, 90_000);
    expect(group.rules.map((r) => r.name)).toEqual(['EmbeddingRelayErrorLogs']);
    for (const r of group.rules) expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
  });
});

