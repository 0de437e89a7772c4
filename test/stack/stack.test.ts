// End to end against real programs (started by stack.ts with the repo's configs, as
// docker-compose.yml + docker-compose.apache.yml run them): the relay → OpenTelemetry Collector →
// Jaeger (OTLP, in Tempo's place) and → span metrics with exemplars → Prometheus; the relay →
// VictoriaLogs (Loki push API, in Loki's place); Prometheus with the repo's rules and the
// dashboard's queries; Alertmanager. Nothing is mocked; nothing AGPL is built or run.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import { jsonLines, root, type RelayProcess } from '../support/relay-process.ts';
import {
  datasources,
  grafanaLogQueries,
  grafanaTraceQueries,
  logQlFields,
  traceQlConditions,
  type TraceQlCondition,
} from '../support/shipped-queries.ts';
import { attrValue, type OtlpTraces, withGrafanaVariables } from '../support/otlp-json.ts';
import { eventually, tempDir } from './services.ts';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;
let relay: RelayProcess;
let otelcol: string;
let port: Record<string, number>;
let promUrl: string;
let jaegerUrl: string;
let logsUrl: string;
let client: OpenAI;

// Inbound keys from a file, each naming its caller: the stack's own client is `stack`; `search` and
// `ingest` are the two named callers of the last describe.
const KEYS = { stack: 'sk-stack', search: 'sk-stack-search-2c81f0', ingest: 'sk-stack-ingest-7d4e19' };

beforeAll(async () => {
  const keyFile = join(tempDir('keys'), 'keys');
  writeFileSync(
    keyFile,
    Object.entries(KEYS)
      .map(([caller, key]) => `${caller}:${key}\n`)
      .join(''),
  );
  stack = await startStack({ RELAY_API_KEYS_FILE: keyFile });
  ({ relay, otelcol, port, promUrl, jaegerUrl, logsUrl } = stack);
  client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: 'sk-stack', maxRetries: 0 });
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

/** One embeddings call; returns the trace_id and span_id of the relay's log line for it. */
async function embedAndFindIds(
  model: string,
  input: string | string[],
  extra: { dimensions?: number } = {},
): Promise<{ traceId: string; spanId: string; line: Record<string, unknown> }> {
  await client.embeddings.create({ model, input, ...extra });
  const line = await eventually(
    `the relay's log line for ${model}`,
    async () => jsonLines(relay.out.stdout).find((l) => l['model'] === model),
    5_000,
    100,
  );
  return { traceId: line['trace_id'] as string, spanId: line['span_id'] as string, line };
}

describe('OpenTelemetry Collector', () => {
  it('otelcol validate accepts otel-collector.yaml, and rejects a broken copy', () => {
    expect(execFileSync(otelcol, ['validate', '--config', join(root, 'otel-collector.yaml')], { encoding: 'utf8', stdio: 'pipe' })).toBe(
      '',
    );
    const broken = join(tempDir('broken'), 'c.yaml');
    writeFileSync(
      broken,
      readFileSync(join(root, 'otel-collector.yaml'), 'utf8').replace(
        'processors: [memory_limiter, batch]',
        'processors: [memory_limiter, batchh]',
      ),
    );
    expect(() => execFileSync(otelcol, ['validate', '--config', broken], { stdio: 'pipe' })).toThrow(/batchh/);
  });

  it('receives the relay’s spans over OTLP/HTTP', async () => {
    for (let i = 0; i < 5; i++) await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: [`stack test ${i}`, 'second'] });
    const accepted = await eventually(
      'the Collector to accept spans',
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port['collectorMetrics']}/metrics`)).text();
        const m = /^otelcol_receiver_accepted_spans(?:_total)?\{[^}]*transport="http"[^}]*\} (\d+)/m.exec(text);
        return m && Number(m[1]) >= 10 ? Number(m[1]) : undefined;
      },
      30_000,
    );
    expect(accepted).toBeGreaterThanOrEqual(10); // 5 relay spans + 5 upstream client spans
  });
});

describe('Prometheus', () => {
  it('scrapes the relay, the Collector and its span metrics, Jaeger and VictoriaLogs, and knows its Alertmanager', async () => {
    const want = ['embedding-relay', 'otel-collector', 'span-metrics', 'jaeger', 'victorialogs', 'prometheus'];
    const up = await eventually(
      'all targets up',
      async () => {
        const r = await query('up');
        const jobs = Object.fromEntries(r.data.result.map((s) => [s.metric['job'], s.value[1]]));
        return want.every((j) => jobs[j] === '1') ? jobs : undefined;
      },
      60_000,
    );
    expect(Object.keys(up).sort()).toEqual([...want].sort());
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
    await eventually(
      'request rate in Prometheus',
      async () => {
        await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: ['keep', 'traffic', 'flowing'] });
        await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: 'x', dimensions: 99_999 }).catch(() => undefined);
        const r = await query('sum(rate(gen_ai_client_operation_duration_seconds_count{job="embedding-relay"}[5m])) > 0');
        return r.data.result.length > 0 ? true : undefined;
      },
      90_000,
    );
    for (const rule of all) {
      const r = await query(rule.expr);
      expect(r.status, `${rule.record ?? rule.alert}: ${r.error}`).toBe('success');
    }
    for (const record of [
      'embedding:requests:rate5m',
      'embedding:latency_seconds:p50_5m',
      'embedding:latency_seconds:p99_5m',
      'embedding:error_ratio:rate5m',
      'embedding:relay_overhead_seconds:p99_5m',
      'embedding:input_tokens:rate5m',
    ]) {
      const expr = all.find((r) => r.record === record)!.expr;
      const r = await query(expr);
      expect(r.data.result.length, `${record} returned no data`).toBeGreaterThan(0);
      expect(Number.isFinite(Number(r.data.result[0]!.value[1])), `${record} = ${r.data.result[0]!.value[1]}`).toBe(true);
    }
  });

  it('loads the rule groups and evaluates them healthily', async () => {
    const groups = await eventually(
      'every rule evaluated',
      async () => {
        const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
          data: { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
        };
        const rules = body.data.groups.flatMap((g) => g.rules);
        return rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001')) ? body.data.groups : undefined;
      },
      90_000,
    );
    expect(groups.map((g) => g.name).sort()).toEqual([
      'embedding-relay.alerts',
      'embedding-relay.gpu',
      'embedding-relay.quality',
      'embedding-relay.recording',
      'sloth-slo-alerts-embedding-relay-availability',
      'sloth-slo-alerts-embedding-relay-latency',
      'sloth-slo-meta-recordings-embedding-relay-availability',
      'sloth-slo-meta-recordings-embedding-relay-latency',
      'sloth-slo-sli-recordings-embedding-relay-availability',
      'sloth-slo-sli-recordings-embedding-relay-latency',
    ]);
    for (const rule of groups.flatMap((g) => g.rules)) expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe('ok');
  });
});

describe('Span metrics (the Collector’s span_metrics connector → Prometheus)', () => {
  it('Prometheus has the relay’s SERVER spans as traces_span_metrics_calls_total', async () => {
    const names = await eventually(
      'traces_span_metrics_calls_total in Prometheus',
      async () => {
        await client.embeddings.create({ model: 'm-spanmetrics', input: 'count me' });
        const r = await query('sum by (span_name, span_kind) (traces_span_metrics_calls_total{service_name="embedding-relay"})');
        const found = r.data.result.map((x) => `${x.metric['span_kind']} ${x.metric['span_name']}`);
        return found.includes('SPAN_KIND_SERVER embeddings m-spanmetrics') ? found : undefined;
      },
      90_000,
    );
    expect(names).toContain('SPAN_KIND_SERVER embeddings m-spanmetrics');
  });

  it('exemplars carry the trace_id label Grafana is provisioned with, and that trace is in Jaeger', async () => {
    const name = (datasources().find((d) => d.uid === 'prometheus')!.jsonData as { exemplarTraceIdDestinations: { name: string }[] })
      .exemplarTraceIdDestinations[0]!.name;
    const { traceId } = await embedAndFindIds('m-exemplar', 'exemplar please');
    const exemplar = await eventually(
      'an exemplar for m-exemplar in Prometheus',
      async () => {
        const end = Date.now() / 1000;
        const q = encodeURIComponent(
          'traces_span_metrics_duration_seconds_bucket{service_name="embedding-relay", span_name="embeddings m-exemplar"}',
        );
        const body = (await (await fetch(`${promUrl}/api/v1/query_exemplars?query=${q}&start=${end - 3600}&end=${end + 60}`)).json()) as {
          data: { exemplars: { labels: Record<string, string> }[] }[];
        };
        return body.data.flatMap((d) => d.exemplars).find((e) => e.labels[name] === traceId);
      },
      90_000,
    );
    expect(exemplar.labels).toMatchObject({ [name]: traceId });
    expect(exemplar.labels['span_id']).toMatch(/^[0-9a-f]{16}$/);
    const res = await fetch(`${jaegerUrl}/api/v3/traces/${traceId}`);
    expect(res.status).toBe(200);
  });

  it('the dashboard’s exemplar series reads the span metrics', async () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'grafana/dashboards/embedding-relay.json'), 'utf8')) as {
      panels: { targets?: { expr?: string; exemplar?: boolean }[] }[];
    };
    const exemplarTargets = dashboard.panels.flatMap((p) => p.targets ?? []).filter((t) => t.exemplar === true);
    expect(exemplarTargets.length).toBeGreaterThan(0);
    for (const t of exemplarTargets) {
      const r = await query(t.expr!.replaceAll('$__rate_interval', '5m'));
      expect(r.status, t.expr).toBe('success');
      expect(r.data.result.length, `no data for ${t.expr}`).toBeGreaterThan(0);
    }
  });
});

describe('Grafana dashboard (its PromQL, against the real Prometheus)', () => {
  interface Target {
    expr?: string;
    datasource?: { type: string };
  }
  interface Panel {
    title: string;
    type: string;
    targets?: Target[];
  }
  const dashboard = JSON.parse(readFileSync(join(root, 'grafana/dashboards/embedding-relay.json'), 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; query: { query: string } }[] };
  };
  it('every Prometheus expression evaluates without error, and the traffic/latency panels return data', async () => {
    const targets = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).filter((t) => t.datasource?.type === 'prometheus').map((t) => ({ panel: p.title, expr: t.expr! })),
    );
    expect(targets.length).toBeGreaterThan(15);
    for (const t of targets) {
      const r = await query(withGrafanaVariables(t.expr));
      expect(r.status, `${t.panel}: ${r.error}`).toBe('success');
    }
    for (const title of [
      'QPS',
      'P99 latency',
      'Latency P50 / P90 / P95 / P99',
      'Requests by outcome (status, error.type)',
      'Relay overhead',
      'Batch size',
      'Vectors by dimension (dimension consistency)',
      'In flight',
    ]) {
      const panel = dashboard.panels.find((p) => p.title === title)!;
      const r = await query(withGrafanaVariables(panel.targets![0]!.expr!));
      expect(r.data.result.length, `panel "${title}" has no data`).toBeGreaterThan(0);
    }
  });

  it('the rerank row has data once rerank and score calls went through (the SIMULATOR answers them)', async () => {
    const call = (path: string, body: unknown) =>
      fetch(`${relay.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.stack}` },
        body: JSON.stringify(body),
      }).then((r) => {
        expect(r.status).toBe(200);
        return r.arrayBuffer();
      });
    for (let i = 0; i < 3; i++) {
      await call('/v1/rerank', { model: 'm-rerank', query: 'llamas', documents: ['a llama', 'a panda', 'llama wool'], top_n: 2 });
      await call('/v1/score', { model: 'm-rerank', text_1: 'llamas', text_2: ['a llama', 'a panda'] });
    }
    for (const title of [
      'Rerank and score requests by outcome',
      'Rerank and score latency P50 / P95 / P99',
      'Documents per rerank (P50 / P99)',
      'Rerank and score anomalies by kind',
    ]) {
      const panel = dashboard.panels.find((p) => p.title === title)!;
      await eventually(
        `panel "${title}" has data`,
        async () => {
          const r = await query(withGrafanaVariables(panel.targets![0]!.expr!));
          expect(r.status, `${title}: ${r.error}`).toBe('success');
          return r.data.result.length > 0 ? r : undefined;
        },
        60_000,
      );
    }
  });

  it('template variables resolve to the relay instance and the model', async () => {
    const values: Record<string, string[]> = {};
    for (const v of dashboard.templating.list) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(v.query.query)!;
      const body = (await (await fetch(`${promUrl}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1]!)}`)).json()) as {
        data: string[];
      };
      values[v.name] = body.data;
    }
    expect(values['instance']).toEqual([`127.0.0.1:${relay.metricsPort}`]);
    expect(values['model']).toContain('Qwen/Qwen3-Embedding-4B');
  });
});

describe('Jaeger (OTLP traces, in Tempo’s place)', () => {
  let traceId: string;
  let trace: OtlpTraces;

  it('returns the trace by id: the relay’s SERVER span with GenAI attributes and its upstream CLIENT child', async () => {
    ({ traceId } = await embedAndFindIds('m-jaeger', ['find me in jaeger', 'twice'], { dimensions: 128 }));
    trace = await eventually(
      'the trace in Jaeger',
      async () => {
        const res = await fetch(`${jaegerUrl}/api/v3/traces/${traceId}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as OtlpTraces;
        const n = body.result.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length;
        return n >= 2 ? body : undefined;
      },
      60_000,
    );
    const spans = trace.result.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const server = spans.find((s) => s.name === 'embeddings m-jaeger')!;
    expect(server.kind).toBe(2); // SPAN_KIND_SERVER
    expect(attrValue(server.attributes, 'gen_ai.operation.name')).toBe('embeddings');
    expect(attrValue(server.attributes, 'gen_ai.request.model')).toBe('m-jaeger');
    expect(attrValue(server.attributes, 'gen_ai.provider.name')).toBe('simulator');
    expect(attrValue(server.attributes, 'gen_ai.embeddings.dimension.count')).toBe('128');
    expect(attrValue(server.attributes, 'embedding.batch.size')).toBe('2');
    expect(attrValue(trace.result.resourceSpans[0]!.resource.attributes, 'service.name')).toBe('embedding-relay');
    const upstream = spans.find((s) => s.kind === 3 && s.parentSpanId === server.spanId);
    expect(upstream, 'upstream CLIENT span').toBeDefined();
    expect(attrValue(upstream!.attributes, 'http.request.method')).toBe('POST');
  });

  it('finds the trace by an attribute search on gen_ai.request.model', async () => {
    const tags = encodeURIComponent(JSON.stringify({ 'gen_ai.request.model': 'm-jaeger' }));
    const found = await eventually(
      'the attribute search result',
      async () => {
        const body = (await (await fetch(`${jaegerUrl}/api/traces?service=embedding-relay&tags=${tags}&lookback=1h&limit=20`)).json()) as {
          data: { traceID: string }[];
        };
        const ids = body.data.map((t) => t.traceID.padStart(32, '0'));
        return ids.includes(traceId) ? ids : undefined;
      },
      30_000,
    );
    expect(found).toEqual([traceId]);
  });

  it('every TraceQL condition Grafana is provisioned with holds on the real trace', () => {
    const resource = trace.result.resourceSpans[0]!.resource.attributes;
    const server = trace.result.resourceSpans
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      .find((s) => s.name === 'embeddings m-jaeger')!;
    const conditions: TraceQlCondition[] = grafanaTraceQueries().flatMap((q) =>
      traceQlConditions(q.query).map((c) => ({ ...c, where: q.where })),
    );
    expect(conditions.length).toBeGreaterThan(1);
    for (const c of conditions) {
      const actual = attrValue(c.scope === 'resource' ? resource : server.attributes, c.attribute);
      expect(actual, `${c.where}: ${c.scope}.${c.attribute}`).toBeDefined();
      if (c.value !== undefined) expect(actual, `${c.where}: ${c.scope}.${c.attribute}`).toBe(c.value);
    }
  });
});

describe('VictoriaLogs (Loki push API, in Loki’s place)', () => {
  interface LogRow {
    _msg: string;
    _stream: string;
    [field: string]: string;
  }
  const logsql = async (q: string): Promise<LogRow[]> => {
    const res = await fetch(`${logsUrl}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query: q }) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`LogsQL ${q}: HTTP ${res.status} ${text}`);
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogRow);
  };
  let row: LogRow;
  let logged: Record<string, unknown>;

  it('returns the request’s log line for its trace_id, with the documented fields and only the two stream labels', async () => {
    const { traceId, spanId } = await embedAndFindIds('m-logs', 'find me in the logs');
    const rows = await eventually(
      'the log line in VictoriaLogs',
      async () => {
        const r = await logsql(`{service_name="embedding-relay"} "${traceId}"`);
        return r.length > 0 ? r : undefined;
      },
      30_000,
      500,
    );
    expect(rows).toHaveLength(1);
    row = rows[0]!;
    logged = JSON.parse(row._msg) as Record<string, unknown>;
    expect(logged).toMatchObject({
      event: 'embedding_request',
      model: 'm-logs',
      status: 'ok',
      http_status: 200,
      trace_id: traceId,
      span_id: spanId,
      input_count: 1,
      output_dim: 2560,
    });
    expect(row._stream).toBe('{level="info",service_name="embedding-relay"}');
    // The documented way to query fields: unpack the JSON line, then filter.
    const unpacked = await logsql(
      `{service_name="embedding-relay"} | unpack_json fields (trace_id, model) | filter trace_id:="${traceId}"`,
    );
    expect(unpacked.map((r) => r['model'])).toEqual(['m-logs']);
    const names = (await (await fetch(`${logsUrl}/select/logsql/stream_field_names?query=*`)).json()) as { values: { value: string }[] };
    expect(names.values.map((v) => v.value).sort()).toEqual(['level', 'service_name']);
  });

  it('serves its own UI (docker-compose.apache.yml points users at it)', async () => {
    const res = await fetch(`${logsUrl}/select/vmui/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<!DOCTYPE html>');
  });

  it('a 5xx is logged at level="error", the stream the Loki ruler alert counts', async () => {
    await client.embeddings
      .create({ model: 'm-logs-error', input: 'fail' }, { headers: { 'x-simulator-fault': '503' } })
      .catch(() => undefined);
    const rows = await eventually(
      'the error line in VictoriaLogs',
      async () => {
        const r = await logsql(
          '{service_name="embedding-relay", level="error"} | unpack_json fields (model) | filter model:="m-logs-error"',
        );
        return r.length > 0 ? r : undefined;
      },
      30_000,
      500,
    );
    expect(JSON.parse(rows[0]!._msg)).toMatchObject({ status: 'error', http_status: 503 });
  });

  it('every LogQL query of Grafana and the Loki ruler uses only stream labels and fields the real line has', () => {
    const queries = grafanaLogQueries();
    expect(queries.map((q) => q.where).sort()).toEqual([
      'dashboard: Relay logs',
      'datasource tempo: tracesToLogsV2',
      'loki/rules/fake/embedding-relay.yml: EmbeddingRelayErrorLogs',
    ]);
    const streamLabels = Object.fromEntries([...row._stream.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    for (const q of queries) {
      const { labels, fields } = logQlFields(q.query);
      expect(labels.length, q.where).toBeGreaterThan(0);
      for (const l of labels) expect(Object.keys(streamLabels), `${q.where}: stream label ${l}`).toContain(l);
      for (const f of fields) expect(Object.keys(logged), `${q.where}: | json field ${f}`).toContain(f);
    }
  });
});

describe('Named callers (openai-node with two named keys) and the Callers and SLOs rows', () => {
  const model = 'm-callers';
  const as = (apiKey: string) => new OpenAI({ baseURL: `${relay.url}/v1`, apiKey, maxRetries: 0 });
  it('requests, tokens and errors are labelled by caller; Jaeger’s spans and VictoriaLogs’ lines name it; no key anywhere; a wrong key is 401', async () => {
    const [search, ingest] = [as(KEYS.search), as(KEYS.ingest)];
    for (let i = 0; i < 3; i++) await search.embeddings.create({ model, input: 'one two' });
    await ingest.embeddings.create({ model, input: ['a', 'b c'] });
    await expect(ingest.embeddings.create({ model, input: 'x' }, { headers: { [FAULT_HEADER]: '503' } })).rejects.toMatchObject({
      status: 503,
    });
    await expect(as('sk-stack-nobody').embeddings.create({ model, input: 'x' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    // Prometheus, from its scrape of /metrics: requests, tokens (the SIMULATOR counts words) and errors by caller.
    const byCaller = async (expr: string) =>
      Object.fromEntries((await query(expr)).data.result.map((r) => [r.metric['embedding_caller'] ?? '', Number(r.value[1])]));
    const sel = `job="embedding-relay", gen_ai_request_model="${model}"`;
    await eventually(
      'the callers’ requests in Prometheus',
      async () => {
        const n = await byCaller(`sum by (embedding_caller) (gen_ai_client_operation_duration_seconds_count{${sel}})`);
        return n['search'] === 3 && n['ingest'] === 2 ? n : undefined;
      },
      60_000,
    );
    expect(await byCaller(`sum by (embedding_caller) (gen_ai_client_token_usage_sum{${sel}, gen_ai_token_type="input"})`)).toEqual({
      search: 6,
      ingest: 3,
    });
    expect(await byCaller(`sum by (embedding_caller) (gen_ai_client_operation_duration_seconds_count{${sel}, error_type!=""})`)).toEqual({
      ingest: 1,
    });

    // Jaeger: the SERVER spans carry embedding.caller, found by an attribute search.
    const traces = async (caller: string) => {
      const tags = encodeURIComponent(JSON.stringify({ 'embedding.caller': caller, 'gen_ai.request.model': model }));
      const res = await fetch(`${jaegerUrl}/api/traces?service=embedding-relay&tags=${tags}&lookback=1h&limit=20`);
      return (await res.json()) as { data: { traceID: string }[] };
    };
    const found = await eventually(
      'the callers’ traces in Jaeger',
      async () => {
        const [s, i] = [(await traces('search')).data.length, (await traces('ingest')).data.length];
        return s === 3 && i === 2 ? { search: s, ingest: i } : undefined;
      },
      60_000,
    );
    expect(found).toEqual({ search: 3, ingest: 2 });

    // VictoriaLogs: the request lines name the caller; the 401 names none.
    const logsql = async (q: string) =>
      (await (await fetch(`${logsUrl}/select/logsql/query`, { method: 'POST', body: new URLSearchParams({ query: q }) })).text())
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse((JSON.parse(l) as { _msg: string })._msg) as Record<string, unknown>);
    const lines = await eventually(
      'the callers’ log lines in VictoriaLogs',
      async () => {
        const rows = await logsql(`{service_name="embedding-relay"} | unpack_json fields (model) | filter model:="${model}"`);
        return rows.length >= 5 ? rows : undefined;
      },
      60_000,
      500,
    );
    expect(lines.map((l) => l['caller']).sort()).toEqual(['ingest', 'ingest', 'search', 'search', 'search']);
    expect(jsonLines(relay.out.stdout).find((l) => l['http_status'] === 401 && l['caller'] === undefined)).toBeDefined();

    const everywhere = [
      relay.out.stdout,
      relay.out.stderr,
      await (await fetch(`${promUrl}/api/v1/series?match[]=${encodeURIComponent(`{job="embedding-relay"}`)}`)).text(),
      JSON.stringify(await traces('search')),
      JSON.stringify(lines),
    ].join('\n');
    for (const key of Object.values(KEYS)) expect(everywhere).not.toContain(key);
  });

  it('every panel of the Callers and SLOs rows returns data from the real Prometheus', async () => {
    // Rates and Sloth's ratios need counters that rise between two scrapes (a series' first sample is
    // no increase), so a caller keeps sending while the panels are read, whatever ran before.
    const search = as(KEYS.search);
    let sending = true;
    const trickle = (async () => {
      while (sending) {
        await search.embeddings.create({ model, input: 'again' });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    try {
      const dashboard = JSON.parse(readFileSync(join(root, 'grafana/dashboards/embedding-relay.json'), 'utf8')) as {
        panels: { title: string; type: string; gridPos: { y: number }; targets?: { expr?: string }[] }[];
      };
      const rowY = (title: string) => dashboard.panels.find((p) => p.type === 'row' && p.title.startsWith(title))!.gridPos.y;
      const [from, to] = [rowY('Callers'), rowY('Overload')];
      const panels = dashboard.panels.filter((p) => p.type !== 'row' && p.gridPos.y > from && p.gridPos.y < to);
      expect(panels.map((p) => p.title)).toEqual(
        expect.arrayContaining([
          'Requests by caller',
          'Top callers by input tokens (last 24 h)',
          'Error budget left (30 days)',
          'Burn rate (5 m)',
        ]),
      );
      for (const panel of panels) {
        await eventually(
          `panel "${panel.title}" has data`,
          async () => {
            const r = await query(withGrafanaVariables(panel.targets![0]!.expr!));
            expect(r.status, `${panel.title}: ${r.error}`).toBe('success');
            return r.data.result.length > 0 ? r : undefined;
          },
          90_000,
        );
      }
      // The SLO rows read Sloth's rules, per operation and model: the callers' model has its budget.
      const left = await eventually(
        `the availability budget of ${model}`,
        async () => {
          const r = await query(`slo:period_error_budget_remaining:ratio{sloth_slo="availability", gen_ai_request_model="${model}"}`);
          return r.data.result.length > 0 ? r.data.result : undefined;
        },
        90_000,
      );
      // A number (no NaN from an idle window) of at most 1 (untouched); how much is spent depends on which
      // scrapes the young series had.
      const ratio = (v: string) => Number.isFinite(Number(v)) && Number(v) <= 1;
      expect(left.map((r) => [r.metric['gen_ai_operation_name'], ratio(r.value[1])])).toEqual([['embeddings', true]]);
    } finally {
      sending = false;
      await trickle;
    }
  });
});
