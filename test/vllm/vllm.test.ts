// The relay in front of real vLLM (the CPU build, a tiny Qwen3 built locally; nothing mocked), with
// the stack of the stack tests around it: the Collector, Jaeger, Prometheus scraping the relay and
// vLLM. What real vLLM sends is what the relay must read right: bodies through the relay equal
// bodies straight from vLLM; usage equals vLLM's own counters; vLLM's extra encodings (embed_dtype,
// endianness, bytes), raw vectors (use_activation: false) and its error messages are understood;
// one trace runs from the client through the relay into vLLM's llm_request spans; the dashboard's
// vLLM row has data. `npm run test:vllm` (setup.sh provisions vLLM; a failed install fails the run).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyleftPackages } from '../support/python-licences.ts';
import { find, parsePrometheusText, seriesLines, total } from '../support/prometheus-text.ts';
import { freePort, jsonLines, logLineFor, logMark, root, startRelayProcess, type RelayProcess } from '../support/relay-process.ts';
import { attrValue, type OtlpSpan, type OtlpTraces, withGrafanaVariables } from '../support/otlp-json.ts';
import { eventually, type Service } from '../stack/services.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { MODEL_DIMENSION, provisionVllm, RERANK_MODEL, SERVED_MODEL, startVllm } from './vllm-server.ts';

let stack: Stack;
let vllm: Service;
let direct: string; // vLLM's base URL
let relay: RelayProcess;
/** A second relay, with the norm check off (RELAY_VECTOR_NORM_CHECK=false), for what it learns. */
let relayNoNorm: RelayProcess;
let venv: string;
/** The cross-encoder's vLLM (classify runner), and a relay in front of it. */
let reranker: Service;
let rerankDirect: string;
let rerankRelay: RelayProcess;

beforeAll(async () => {
  const provisioned = provisionVllm();
  venv = dirname(dirname(provisioned.python));
  const vllmPort = await freePort();
  direct = `http://127.0.0.1:${vllmPort}`;
  stack = await startStack(
    { RELAY_UPSTREAM_URL: `${direct}/v1`, RELAY_PROVIDER_NAME: 'vllm', RELAY_VECTOR_CHECK_RATE: '1' },
    { vllmMetrics: `127.0.0.1:${vllmPort}` },
  );
  relay = stack.relay;
  const rerankPort = await freePort();
  rerankDirect = `http://127.0.0.1:${rerankPort}`;
  [vllm, reranker] = await Promise.all([
    startVllm(provisioned, { port: vllmPort, otlpTracesEndpoint: `http://127.0.0.1:${stack.port['otlpHttp']}/v1/traces` }),
    startVllm(provisioned, { port: rerankPort, crossEncoder: true }),
  ]);
  rerankRelay = await startRelayProcess({
    RELAY_UPSTREAM_URL: `${rerankDirect}/v1`,
    RELAY_PROVIDER_NAME: 'vllm',
    OTEL_TRACES_EXPORTER: 'none',
  });
  relayNoNorm = await startRelayProcess({
    RELAY_UPSTREAM_URL: `${direct}/v1`,
    RELAY_PROVIDER_NAME: 'vllm',
    RELAY_VECTOR_NORM_CHECK: 'false',
    OTEL_TRACES_EXPORTER: 'none',
  });
});

afterAll(async () => {
  await rerankRelay?.stop();
  await reranker?.stop();
  await relayNoNorm?.stop();
  await vllm?.stop();
  await stack?.stop();
});

interface Answer {
  status: number;
  type: string;
  metadata: string | null;
  body: Buffer;
}

let traceSeq = 0;
/** A W3C traceparent with a fresh trace id (to find the relay's log line and the trace). */
function traceparent(): { header: string; traceId: string } {
  const traceId = `${(Date.now() % 0xffffffff).toString(16).padStart(8, '0')}${(++traceSeq).toString(16).padStart(24, '0')}`;
  return { header: `00-${traceId}-00000000000000a1-01`, traceId };
}

/** vLLM's `metadata` header grows with the batch (about 110 bytes per input): read answers with a
 *  header limit above Node's default 16 KiB, as Python clients have. */
const bigHeaders = new Agent({ maxHeaderSize: 1024 * 1024 });

async function post(base: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}/v1/embeddings`, {
    dispatcher: bigHeaders,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    metadata: res.headers.get('metadata'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

/** The same request through the relay and straight to vLLM, and the relay's log line for it. */
async function both(
  body: Record<string, unknown>,
  via: RelayProcess = relay,
): Promise<{ viaRelay: Answer; viaVllm: Answer; line: Record<string, unknown>; traceId: string }> {
  const { header, traceId } = traceparent();
  const viaRelay = await post(via.url, body, { traceparent: header });
  const viaVllm = await post(direct, body);
  return { viaRelay, viaVllm, line: await lineForTrace(via, traceId), traceId };
}

/** The relay's log line for the request of trace `traceId` (the client's traceparent), once written. */
const lineForTrace = (via: RelayProcess, traceId: string) =>
  eventually(
    `the relay's log line for trace ${traceId}`,
    async () => jsonLines(via.out.stdout).find((l) => l['trace_id'] === traceId),
    10_000,
    50,
  );

/** JSON text without what differs on every call (id, created): a response body or vLLM's metadata header. */
function withoutIds(text: string): unknown {
  const json = JSON.parse(text) as Record<string, unknown>;
  delete json['id'];
  delete json['created'];
  return json;
}
const stable = (a: Answer): unknown => withoutIds(a.body.toString());
const stableMeta = (m: string | null): unknown => withoutIds(m!);

const texts = (n: number) => Array.from({ length: n }, (_, i) => `document ${i}: the relay sends vectors to the search index`);
const scrape = async (url: string) => parsePrometheusText(await (await fetch(url)).text());

describe('the vLLM venv', () => {
  // NVIDIA's and Intel's proprietary runtime wheels are not copyleft.
  it('holds no AGPL/GPL/LGPL/SSPL/BUSL package', () => {
    const { packages, offenders } = copyleftPackages(venv);
    expect(packages).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  });
});

describe('identical bodies through the relay and straight from vLLM', () => {
  it.each([
    ['one string, float', { input: 'hello world' }],
    ['a batch of strings, float', { input: ['hello world', 'the blue ocean', 'one two three'] }],
    ['base64', { input: ['hello world', 'the blue ocean'], encoding_format: 'base64' }],
    ['token ids', { input: [5, 17, 42, 99] }],
    [
      'arrays of token ids',
      {
        input: [
          [5, 17, 42],
          [7, 8],
        ],
      },
    ],
    ['dimensions (Matryoshka)', { input: ['hello world', 'the blue ocean'], dimensions: 32 }],
    ['a large batch (256 inputs)', { input: texts(256) }],
  ])('%s', async (_, extra) => {
    const { viaRelay, viaVllm, line } = await both({ model: SERVED_MODEL, ...extra });
    expect(viaVllm.status).toBe(200);
    expect(viaRelay.status).toBe(200);
    expect(stable(viaRelay)).toEqual(stable(viaVllm));
    const dims = (extra as { dimensions?: number }).dimensions ?? MODEL_DIMENSION;
    expect(line).toMatchObject({ status: 'ok', http_status: 200, output_dim: dims });
    expect(line['anomalies']).toBeUndefined();
  });
});

describe('usage: the relay’s input tokens are vLLM’s', () => {
  it('gen_ai.usage.input_tokens = usage.prompt_tokens = the change in vllm:prompt_tokens_total', async () => {
    const before = total(await scrape(`${direct}/metrics`), 'vllm:prompt_tokens_total');
    const { viaRelay, line } = await both({ model: SERVED_MODEL, input: texts(8) });
    const usage = (JSON.parse(viaRelay.body.toString()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    expect(usage).toBeGreaterThan(8);
    expect(line['input_tokens']).toBe(usage);
    // Both calls of `both` reached vLLM: twice the tokens.
    const after = total(await scrape(`${direct}/metrics`), 'vllm:prompt_tokens_total');
    expect(after - before).toBe(2 * usage);
  });
});

describe('vLLM’s extra encodings (embed_dtype, endianness) are decoded, not misread', () => {
  // Before: 4 bytes per component assumed, so float16 read as 64 dimensions, fp8 as 32, with false
  // dimension_mismatch and norm_out_of_range.
  it.each(['float16', 'bfloat16', 'fp8_e4m3', 'fp8_e5m2', 'float32'])(
    'base64 with embed_dtype %s: 128 dimensions, no anomaly',
    async (dtype) => {
      const { viaRelay, viaVllm, line } = await both({
        model: SERVED_MODEL,
        input: ['hello world', 'the blue ocean'],
        encoding_format: 'base64',
        embed_dtype: dtype,
      });
      expect(stable(viaRelay)).toEqual(stable(viaVllm));
      expect(line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION, vector_count: 2 });
      expect(line['anomalies']).toBeUndefined();
    },
  );

  it.each(['float32', 'float16', 'bfloat16'])('base64, %s, endianness big: no false norm_out_of_range', async (dtype) => {
    const { viaRelay, viaVllm, line } = await both({
      model: SERVED_MODEL,
      input: ['hello world'],
      encoding_format: 'base64',
      embed_dtype: dtype,
      endianness: 'big',
    });
    expect(stable(viaRelay)).toEqual(stable(viaVllm));
    expect(line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION });
    expect(line['anomalies']).toBeUndefined();
  });

  it('with the norm check off, a float16 answer first does not teach the relay a wrong dimension', async () => {
    const model = SERVED_MODEL;
    const first = await both({ model, input: ['hello world'], encoding_format: 'base64', embed_dtype: 'float16' }, relayNoNorm);
    expect(first.line).toMatchObject({ output_dim: MODEL_DIMENSION });
    const second = await both({ model, input: ['hello world'] }, relayNoNorm);
    expect(second.line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION });
    expect(second.line['anomalies']).toBeUndefined();
    const vectors = find(await scrape(`http://127.0.0.1:${relayNoNorm.metricsPort}/metrics`), 'embedding_vectors_total');
    expect(vectors.map((s) => s.labels['embedding_dimension'])).toEqual([String(MODEL_DIMENSION)]);
  });
});

describe('encoding_format bytes / bytes_only (a binary body) are relayed and inspected', () => {
  it('bytes: the same body and metadata header as vLLM; dimension, count and usage from the metadata', async () => {
    const { viaRelay, viaVllm, line } = await both({
      model: SERVED_MODEL,
      input: ['hello world', 'the blue ocean'],
      encoding_format: 'bytes',
      embed_dtype: 'float16',
    });
    expect(viaVllm.status).toBe(200);
    expect(viaRelay.status).toBe(200);
    expect(viaRelay.type).toBe('application/octet-stream');
    expect(viaRelay.body.equals(viaVllm.body)).toBe(true);
    expect(stableMeta(viaRelay.metadata)).toEqual(stableMeta(viaVllm.metadata));
    const usage = (JSON.parse(viaRelay.metadata!) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    expect(line).toMatchObject({
      status: 'ok',
      http_status: 200,
      output_dim: MODEL_DIMENSION,
      vector_count: 2,
      input_tokens: usage,
      encoding_format: 'bytes',
    });
    expect(line['anomalies']).toBeUndefined();
  });

  it('bytes with 256 inputs: a metadata header of about 30 KB, over Node’s 16 KiB default, still gets through', async () => {
    const { viaRelay, viaVllm, line } = await both({ model: SERVED_MODEL, input: texts(256), encoding_format: 'bytes' });
    expect(viaVllm.metadata!.length).toBeGreaterThan(16 * 1024);
    expect(viaRelay.status).toBe(200);
    expect(viaRelay.body.equals(viaVllm.body)).toBe(true);
    expect(line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION, vector_count: 256 });
  });

  it('bytes_only (no metadata): cut by the request’s embed_dtype and input count', async () => {
    const { viaRelay, viaVllm, line } = await both({
      model: SERVED_MODEL,
      input: ['hello world', 'the blue ocean', 'one two'],
      encoding_format: 'bytes_only',
      embed_dtype: 'bfloat16',
      endianness: 'big',
    });
    expect(viaRelay.status).toBe(200);
    expect(viaRelay.body.equals(viaVllm.body)).toBe(true);
    expect(line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION, vector_count: 3 });
    expect(line['anomalies']).toBeUndefined();
  });
});

describe('raw vectors the client asked for (use_activation: false)', () => {
  it('are not flagged norm_out_of_range; normalised ones still are checked', async () => {
    const raw = await both({ model: SERVED_MODEL, input: ['hello world', 'the blue ocean'], use_activation: false });
    const norm = (JSON.parse(raw.viaRelay.body.toString()) as { data: { embedding: number[] }[] }).data.map((d) =>
      Math.hypot(...d.embedding),
    );
    expect(Math.min(...norm)).toBeGreaterThan(1.1); // really raw
    expect(raw.line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION });
    expect(raw.line['anomalies']).toBeUndefined();
  });
});

describe('upstream errors keep vLLM’s reason', () => {
  it('context length exceeded: the client gets vLLM’s body; the log and the span say why', async () => {
    const { viaRelay, viaVllm, line, traceId } = await both({ model: SERVED_MODEL, input: 'hello '.repeat(600) });
    expect(viaRelay.status).toBe(400);
    expect(stable(viaRelay)).toEqual(stable(viaVllm));
    expect(line['error_type']).toBe('400');
    expect(line['error_message']).toMatch(/^The upstream answered HTTP 400: This model's maximum context length is 512 tokens/);
    const span = await serverSpan(traceId);
    expect(attrValue(span.attributes, 'embedding.upstream.error.message')).toMatch(/^This model's maximum context length is 512 tokens/);
  });

  it('token id out of vocabulary is told apart', async () => {
    const { viaRelay, line } = await both({ model: SERVED_MODEL, input: [999_999] });
    expect(viaRelay.status).toBe(400);
    expect(line['error_message']).toBe('The upstream answered HTTP 400: Token id 999999 is out of vocabulary');
  });
});

describe('where the relay and vLLM disagree on what is valid (the upstream decides)', () => {
  it.each([
    ['an empty string', ''],
    ['an empty string in a batch', ['hello', '']],
  ])('%s goes to vLLM, and vLLM’s answer comes back', async (_, input) => {
    const { viaRelay, viaVllm, line } = await both({ model: SERVED_MODEL, input });
    expect(viaRelay.status).toBe(viaVllm.status);
    expect(stable(viaRelay)).toEqual(stable(viaVllm));
    if (viaVllm.status !== 200) expect(line['error_message']).toContain((stable(viaVllm) as { error: { message: string } }).error.message);
  });

  it('over RELAY_MAX_BATCH (default 2048) the relay answers 400 and names the setting; vLLM itself takes 2500', async () => {
    const input = Array.from({ length: 2500 }, (_, i) => `w${i}`);
    const refused = await post(relay.url, { model: SERVED_MODEL, input });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ error: { code: 'batch_too_large' } });
    expect(refused.body.toString()).toContain('RELAY_MAX_BATCH');
    expect((await post(direct, { model: SERVED_MODEL, input })).status).toBe(200);
  });
});

/** The trace from Jaeger once it has at least `min` spans. */
async function traceOf(traceId: string, min: number): Promise<{ service: string; span: OtlpSpan }[]> {
  return eventually(
    `the trace ${traceId} in Jaeger with ${min} spans`,
    async () => {
      const res = await fetch(`${stack.jaegerUrl}/api/v3/traces/${traceId}`);
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as OtlpTraces;
      const spans = body.result.resourceSpans.flatMap((r) =>
        r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ service: attrValue(r.resource.attributes, 'service.name')!, span }))),
      );
      return spans.length >= min ? spans : undefined;
    },
    60_000,
    500,
  );
}
const serverSpan = async (traceId: string) =>
  (await traceOf(traceId, 2)).find((s) => s.span.kind === 2 && s.service === 'embedding-relay')!.span;

describe('one trace from the client to vLLM', () => {
  it('relay SERVER → relay CLIENT → vLLM llm_request, one per input item', async () => {
    const { traceId } = await both({ model: SERVED_MODEL, input: ['hello world', 'the blue ocean', 'one two three'] });
    const spans = await traceOf(traceId, 5);
    const server = spans.find((s) => s.service === 'embedding-relay' && s.span.kind === 2)!.span;
    expect(server.name).toBe(`embeddings ${SERVED_MODEL}`);
    expect(server.parentSpanId).toBe('00000000000000a1');
    const client = spans.find((s) => s.service === 'embedding-relay' && s.span.kind === 3)!.span;
    expect(client.parentSpanId).toBe(server.spanId);
    const vllmSpans = spans.filter((s) => s.service === 'vllm').map((s) => s.span);
    expect(vllmSpans.map((s) => s.name)).toEqual(['llm_request', 'llm_request', 'llm_request']);
    for (const s of vllmSpans) expect(s.parentSpanId).toBe(client.spanId);
  });
});

/** A POST to any route, as JSON text. */
async function postTo(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const genAiSeries = async () => seriesLines(await scrape(`http://127.0.0.1:${relay.metricsPort}/metrics`), 'gen_ai_');

describe('the retrieval tier: rerank and score through the relay, vLLM’s other routes passed on', () => {
  const documents = ['the llama is a camelid of the Andes', 'a panda is a bear', 'guanacos live in South America'];

  it.each([
    ['/v1/rerank', 'rerank', { query: 'animals of Peru', documents, top_n: 2 }],
    ['/v2/rerank', 'rerank', { query: 'animals of Peru', documents }],
    ['/score', 'score', { text_1: 'animals of Peru', text_2: documents }],
  ])(
    '%s: the same body as vLLM’s; tokens are vLLM’s usage and its own counter; one trace client → relay → vLLM',
    async (path, operation, body) => {
      const request = { model: SERVED_MODEL, ...body };
      const before = total(await scrape(`${direct}/metrics`), 'vllm:prompt_tokens_total');
      const { header, traceId } = traceparent();
      const viaRelay = await postTo(relay.url, path, request, { traceparent: header });
      const viaVllm = await postTo(direct, path, request);
      expect([viaRelay.status, viaVllm.status]).toEqual([200, 200]);
      expect(withoutIds(viaRelay.text)).toEqual(withoutIds(viaVllm.text));
      const usage = (JSON.parse(viaRelay.text) as { usage: { prompt_tokens?: number; total_tokens: number } }).usage;
      const tokens = usage.prompt_tokens ?? usage.total_tokens;
      expect(tokens).toBeGreaterThan(3);
      const after = total(await scrape(`${direct}/metrics`), 'vllm:prompt_tokens_total');
      expect(after - before).toBe(2 * tokens);
      const line = await lineForTrace(relay, traceId);
      expect(line).toMatchObject({ event: `${operation}_request`, status: 'ok', input_tokens: tokens, documents: 3 });
      expect(line['anomalies']).toBeUndefined();
      const spans = await traceOf(traceId, 3);
      const server = spans.find((s) => s.service === 'embedding-relay' && s.span.kind === 2)!.span;
      expect(server.name).toBe(`${operation} ${SERVED_MODEL}`);
      expect(attrValue(server.attributes, 'gen_ai.usage.input_tokens')).toBe(String(tokens));
      const client = spans.find((s) => s.service === 'embedding-relay' && s.span.kind === 3)!.span;
      expect(client.parentSpanId).toBe(server.spanId);
      expect(spans.filter((s) => s.service === 'vllm').every((s) => s.span.parentSpanId === client.spanId)).toBe(true);
      const m = await scrape(`http://127.0.0.1:${relay.metricsPort}/metrics`);
      expect(total(m, 'gen_ai_client_token_usage_count', { gen_ai_operation_name: operation })).toBeGreaterThan(0);
    },
  );

  it.each([
    ['/v1/rerank', 'rerank', { query: 'animals of Peru', documents, top_n: 2 }],
    ['/rerank', 'rerank', { query: 'animals of Peru', documents }],
    ['/v2/rerank', 'rerank', { query: 'animals of Peru', documents }],
    ['/v1/score', 'score', { text_1: 'animals of Peru', text_2: documents }],
  ])(
    'a cross-encoder (Qwen3ForSequenceClassification, classify runner), %s: the same body; tokens are vLLM’s',
    async (path, operation, body) => {
      const request = { model: RERANK_MODEL, ...body };
      const before = total(await scrape(`${rerankDirect}/metrics`), 'vllm:prompt_tokens_total');
      const since = logMark(rerankRelay);
      const viaRelay = await postTo(rerankRelay.url, path, request);
      const viaVllm = await postTo(rerankDirect, path, request);
      expect([viaRelay.status, viaVllm.status]).toEqual([200, 200]);
      expect(withoutIds(viaRelay.text)).toEqual(withoutIds(viaVllm.text));
      const tokens = (JSON.parse(viaRelay.text) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
      expect(total(await scrape(`${rerankDirect}/metrics`), 'vllm:prompt_tokens_total') - before).toBe(2 * tokens);
      const line = await logLineFor(rerankRelay, RERANK_MODEL, since);
      expect(line).toMatchObject({
        event: `${operation}_request`,
        status: 'ok',
        input_tokens: tokens,
        documents: 3,
        response_model: RERANK_MODEL,
      });
      expect(line['anomalies']).toBeUndefined();
    },
  );

  it('/tokenize and /pooling are relayed unchanged; an admin route is refused naming the setting; GET / leaves gen_ai_* alone', async () => {
    const before = await genAiSeries();
    for (const [path, body] of [
      ['/tokenize', { model: SERVED_MODEL, prompt: 'hello world' }],
      ['/pooling', { model: SERVED_MODEL, input: 'hello world' }],
    ] as const) {
      const viaRelay = await postTo(relay.url, path, body);
      const viaVllm = await postTo(direct, path, body);
      expect([path, viaRelay.status]).toEqual([path, viaVllm.status]);
      expect([path, viaRelay.status]).toEqual([path, 200]);
      expect(withoutIds(viaRelay.text)).toEqual(withoutIds(viaVllm.text));
    }
    const admin = await postTo(relay.url, '/reset_prefix_cache', {});
    expect(admin.status).toBe(404);
    expect(admin.text).toContain('RELAY_PASSTHROUGH_ROUTES');
    expect((await fetch(`${relay.url}/`)).status).toBe(404);
    expect(await genAiSeries()).toEqual(before);
    const m = await scrape(`http://127.0.0.1:${relay.metricsPort}/metrics`);
    expect(total(m, 'http_server_request_duration_seconds_count', { http_route: '/tokenize' })).toBeGreaterThan(0);
  });
});

describe('Prometheus scrapes vLLM; the dashboard’s vLLM row has data', () => {
  interface Panel {
    title: string;
    type: string;
    gridPos: { y: number };
    targets?: { expr?: string }[];
  }
  const panels = (JSON.parse(readFileSync(join(root, 'grafana/dashboards/embedding-relay.json'), 'utf8')) as { panels: Panel[] }).panels;
  const query = async (expr: string) =>
    (await (await fetch(`${stack.promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      status: string;
      error?: string;
      data: { result: unknown[] };
    };

  it('every query of the "Model server (vLLM)" row returns data', async () => {
    const row = panels.find((p) => p.type === 'row' && p.title === 'Model server (vLLM)');
    expect(row, 'the dashboard has a "Model server (vLLM)" row').toBeDefined();
    const next = panels.filter((p) => p.type === 'row' && p.gridPos.y > row!.gridPos.y).map((p) => p.gridPos.y);
    const end = next.length > 0 ? Math.min(...next) : Infinity;
    const targets = panels
      .filter((p) => p.type !== 'row' && p.gridPos.y > row!.gridPos.y && p.gridPos.y < end)
      .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr! })));
    expect(targets.length).toBeGreaterThanOrEqual(4);
    // Traffic for rates over two scrapes of each target (15 s apart).
    const deadline = Date.now() + 90_000;
    for (const t of targets) {
      await eventually(
        `data for "${t.panel}": ${t.expr}`,
        async () => {
          if (Date.now() < deadline) await post(relay.url, { model: SERVED_MODEL, input: ['keep the rates alive'] });
          const r = await query(withGrafanaVariables(t.expr, '2m'));
          if (r.status !== 'success') throw new Error(r.error);
          return r.data.result.length > 0 ? r : undefined;
        },
        90_000,
        2_000,
      );
    }
  });
});

describe('vLLM down', () => {
  it('502 upstream_unreachable, and /readyz 503', async () => {
    await vllm.stop();
    const res = await post(relay.url, { model: SERVED_MODEL, input: 'hello' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'upstream_unreachable' } });
    await eventually('/readyz 503', async () => ((await fetch(`${relay.url}/readyz`)).status === 503 ? true : undefined), 10_000, 500);
  });
});
