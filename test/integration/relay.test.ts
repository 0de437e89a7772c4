// Loopback integration: the real relay in front of the simulator, called with the official
// openai client and with raw fetch; asserts the client-visible result and all three telemetry
// projections (span attributes, /metrics points, the JSON log line) per scenario.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import { createSimulatorHandler, simulatedTokens } from '../../src/simulator/simulator.ts';
import { type LogCapture, promtoolCheckMetrics, relay, scrape, scrapeText, SIM_DEFAULTS, spans, spansNamed } from '../support/harness.ts';
import { find, total } from '../support/prometheus-text.ts';

let sim: RunningServer;
let simPort: number;
const upstreamHeaders: IncomingHttpHeaders[] = [];
let main: RunningRelay;
let mainLogs: LogCapture;

beforeAll(async () => {
  const handler = createSimulatorHandler(SIM_DEFAULTS);
  sim = await listen(
    createServer((req, res) => {
      upstreamHeaders.push(req.headers);
      handler(req, res);
    }),
    '127.0.0.1',
    0,
  );
  simPort = Number(new URL(sim.url).port);
  ({ relay: main, logs: mainLogs } = await relay({ upstreamUrl: `${sim.url}/v1`, providerName: 'vllm', maxBodyBytes: 64 * 1024 }));
});

afterAll(async () => {
  await main?.close(100);
  sim.server.closeAllConnections();
  await sim?.close();
});

const post = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** node:http is not instrumented in this process (fetch is, via undici), so headers set here arrive as written. */
const rawPost = (base: string, body: unknown, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      `${base}/v1/embeddings`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });

const lastLogFor = (logs: LogCapture, model: string | undefined) => {
  const lines = logs.requests().filter((l) => l['model'] === model);
  expect(lines.length).toBeGreaterThan(0);
  return lines.at(-1)!;
};

const onlySpan = (name: string, model?: string) => {
  const found = spansNamed(name).filter((s) => model === undefined || s.attributes['gen_ai.request.model'] === model);
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** Attributes every relay span carries, before request/response facts. */
const base = (port: number) => ({
  'gen_ai.operation.name': 'embeddings',
  'gen_ai.provider.name': 'vllm',
  'server.address': '127.0.0.1',
  'server.port': port,
  'http.request.method': 'POST',
  'http.route': '/v1/embeddings',
});

/** Attributes from a parsed one-text request. */
const textRequest = (model: string, text: string, extra: Record<string, unknown> = {}) => ({
  'gen_ai.request.model': model,
  'gen_ai.request.encoding_formats': ['float'],
  'embedding.batch.size': 1,
  'embedding.input.type': 'string',
  'embedding.input.chars': text.length,
  ...extra,
});
const timing = { 'embedding.upstream.duration': expect.any(Number), 'embedding.relay.overhead': expect.any(Number) };

describe('the openai client sees exactly what the upstream sends', () => {
  const cases: [string, OpenAI.EmbeddingCreateParams][] = [
    ['single float', { model: 'Qwen/Qwen3-Embedding-4B', input: 'hello world', encoding_format: 'float' }],
    ['batch float', { model: 'Qwen/Qwen3-Embedding-4B', input: ['alpha', 'beta', 'gamma'], encoding_format: 'float' }],
    ['single base64', { model: 'Qwen/Qwen3-Embedding-4B', input: 'hello world', encoding_format: 'base64' }],
    ['batch base64', { model: 'Qwen/Qwen3-Embedding-4B', input: ['alpha', 'beta'], encoding_format: 'base64' }],
    ['SDK default (asks base64, decodes)', { model: 'Qwen/Qwen3-Embedding-4B', input: ['one', 'two'] }],
    ['dimensions', { model: 'Qwen/Qwen3-Embedding-4B', input: ['truncate me'], dimensions: 256 }],
    [
      'token ids',
      {
        model: 'Qwen/Qwen3-Embedding-4B',
        input: [
          [1, 2, 3],
          [4, 5],
        ],
        encoding_format: 'float',
      },
    ],
  ];
  it.each(cases)('%s', async (_name, params) => {
    const direct = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const via = new OpenAI({ baseURL: `${main.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const [a, b] = await Promise.all([direct.embeddings.create(params), via.embeddings.create(params)]);
    expect(b).toEqual(a);
    expect(b.data).toHaveLength(Array.isArray(params.input) && typeof params.input[0] !== 'number' ? params.input.length : 1);
    if (params.dimensions) expect(b.data[0]!.embedding).toHaveLength(params.dimensions);
  });

  it('relays status, body bytes and headers unchanged', async () => {
    const body = { model: 'Qwen/Qwen3-Embedding-4B', input: ['same bytes'], encoding_format: 'base64' };
    const [a, b] = await Promise.all([post(sim.url, body), post(main.url, body)]);
    expect(b.status).toBe(a.status);
    expect(b.headers.get('content-type')).toBe(a.headers.get('content-type'));
    expect(b.headers.get('x-embedding-simulator')).toBe('true');
    expect(Buffer.from(await b.arrayBuffer()).equals(Buffer.from(await a.arrayBuffer()))).toBe(true);
  });

  it('/readyz answers 200 while the upstream answers, and its probe leaves no span', async () => {
    const before = spans.getFinishedSpans().length;
    const res = await fetch(`${main.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', upstream: { reachable: true, status: 200 } });
    // Only the test's own fetch (instrumented in this process) made a span; the probe did not.
    const added = spans.getFinishedSpans().slice(before);
    expect(added.filter((sp) => sp.attributes['server.port'] === simPort)).toEqual([]);
  });

  it('/readyz floods share one upstream probe (reused for 1 s), so open probes cannot starve the pool', async () => {
    await new Promise((res) => setTimeout(res, 1_100)); // past the previous test's cached probe
    upstreamHeaders.length = 0;
    const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${main.url}/readyz`).then((res) => res.status)));
    expect(answers).toEqual(Array(30).fill(200));
    expect(upstreamHeaders.filter((h) => h['x-embedding-relay-probe'] === 'readyz')).toHaveLength(1);
  });

  it('passes GET /v1/models through', async () => {
    const via = new OpenAI({ baseURL: `${main.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const models = [];
    for await (const m of via.models.list()) models.push(m.id);
    expect(models).toEqual(['Qwen/Qwen3-Embedding-4B']);
  });
});

describe('success: span, metrics and log line agree', () => {
  const model = 'm-success';
  const input = ['the quick brown fox', '你好，世界'];
  const tokens = input.reduce((n, t) => n + simulatedTokens(t).length, 0);

  it('records every projection of one request', async () => {
    upstreamHeaders.length = 0;
    const parentTrace = '0af7651916cd43dd8448eb211c80319c';
    const res = await rawPost(
      main.url,
      { model, input, dimensions: 64 },
      {
        traceparent: `00-${parentTrace}-b7ad6b7169203331-01`,
        authorization: 'Bearer sk-client',
      },
    );
    expect(res.status).toBe(200);

    const span = onlySpan(`embeddings ${model}`);
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(parentTrace); // continues the client's trace
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      ...base(simPort),
      'gen_ai.request.model': model,
      'gen_ai.request.encoding_formats': ['float'],
      'embedding.batch.size': 2,
      'embedding.input.type': 'string_array',
      'embedding.input.chars': input[0]!.length + input[1]!.length,
      'embedding.request.dimensions': 64,
      'http.response.status_code': 200,
      'gen_ai.response.model': model,
      'gen_ai.embeddings.dimension.count': 64,
      'embedding.vector.count': 2,
      'gen_ai.usage.input_tokens': tokens,
      'embedding.usage.estimated': false,
      'embedding.upstream.duration': expect.any(Number),
      'embedding.relay.overhead': expect.any(Number),
    });

    // The upstream call is a CLIENT child span, and the upstream received its traceparent.
    const client = spans
      .getFinishedSpans()
      .filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === span.spanContext().spanId);
    expect(client).toHaveLength(1);
    expect(client[0]!.name).toBe('POST');
    expect(client[0]!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.full': `http://127.0.0.1:${simPort}/v1/embeddings`,
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': simPort,
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
    });
    expect(client[0]!.status.code).toBe(SpanStatusCode.UNSET);
    // It covers the call until the upstream's body ended (instrumentation-undici ends it at the
    // body's trailers), which the SERVER span outlasts.
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(client[0]!.duration)).toBeGreaterThan(0);
    expect(ms(client[0]!.endTime)).toBeLessThanOrEqual(ms(span.endTime));
    expect(upstreamHeaders).toHaveLength(1);
    expect(upstreamHeaders[0]!.traceparent).toBe(`00-${parentTrace}-${client[0]!.spanContext().spanId}-01`);
    expect(upstreamHeaders[0]!.authorization).toBe('Bearer sk-client');

    const m = await scrape();
    const labels = {
      gen_ai_request_model: model,
      gen_ai_provider_name: 'vllm',
      gen_ai_operation_name: 'embeddings',
      server_port: String(simPort),
    };
    expect(total(m, 'gen_ai_client_operation_duration_seconds_count', { ...labels, http_response_status_code: '200' })).toBe(1);
    expect(
      find(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: model }).every(
        (s) => s.labels['error_type'] === undefined,
      ),
    ).toBe(true);
    expect(total(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input', embedding_usage_estimated: 'false' })).toBe(
      tokens,
    );
    expect(total(m, 'gen_ai_client_token_usage_bucket', { ...labels, le: '64' })).toBe(1);
    expect(total(m, 'embedding_batch_size_sum', labels)).toBe(2);
    expect(total(m, 'embedding_vectors_total', { ...labels, embedding_dimension: '64' })).toBe(2);
    expect(total(m, 'embedding_relay_overhead_seconds_count', labels)).toBe(1);
    expect(total(m, 'http_server_active_requests')).toBe(0);
    expect(
      total(m, 'http_client_request_duration_seconds_count', {
        http_request_method: 'POST',
        http_response_status_code: '200',
        server_port: String(simPort),
        url_scheme: 'http',
      }),
    ).toBeGreaterThanOrEqual(1);

    const log = lastLogFor(mainLogs, model);
    expect(log).toMatchObject({
      level: 30,
      service: 'embedding-relay-test',
      event: 'embedding_request',
      model,
      status: 'ok',
      http_status: 200,
      input_count: 2,
      input_tokens: tokens,
      input_tokens_estimated: false,
      output_dim: 64,
      vector_count: 2,
      encoding_format: 'float',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(log['time']).toEqual(expect.any(Number));
    expect(log['duration_ms']).toBeGreaterThan(0);
    expect(log['upstream_ms']).toBeGreaterThan(0);
    expect(log['upstream_ms'] as number).toBeLessThanOrEqual(log['duration_ms'] as number);
    expect(log).not.toHaveProperty('error_type');
    expect(log).not.toHaveProperty('inputs'); // input text is not logged by default
    expect(JSON.stringify(mainLogs.lines)).not.toContain('sk-client');
  });

  it('reports base64 dimensions as bytes / 4', async () => {
    const res = await post(main.url, { model: 'm-b64', input: ['a', 'b', 'c'], encoding_format: 'base64', dimensions: 1000 });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const span = onlySpan('embeddings m-b64');
    expect(span.attributes['gen_ai.embeddings.dimension.count']).toBe(1000);
    expect(span.attributes['gen_ai.request.encoding_formats']).toEqual(['base64']);
    expect(total(await scrape(), 'embedding_vectors_total', { gen_ai_request_model: 'm-b64', embedding_dimension: '1000' })).toBe(3);
    expect(lastLogFor(mainLogs, 'm-b64')).toMatchObject({ output_dim: 1000, vector_count: 3, encoding_format: 'base64' });
  });
});

describe('failures are recorded like any other request', () => {
  it('upstream 4xx passes through with its status and body', async () => {
    const model = 'm-4xx';
    const body = { model, input: 'x', dimensions: 4000 };
    const [direct, via] = await Promise.all([post(sim.url, body), post(main.url, body)]);
    expect(via.status).toBe(400);
    const text = await via.text();
    expect(text).toBe(await direct.text());
    const reason = (JSON.parse(text) as { error: { message: string } }).error.message;

    const span = onlySpan(`embeddings ${model}`);
    expect(span.status.code).toBe(SpanStatusCode.UNSET); // a client error is not a server failure
    expect(span.attributes).toEqual({
      ...base(simPort),
      ...textRequest(model, 'x', { 'embedding.request.dimensions': 4000 }),
      ...timing,
      'http.response.status_code': 400,
      'error.type': '400',
      // The upstream's reason, kept (a 4xx leaves the status unset, so it rides on an attribute).
      'embedding.upstream.error.message': reason,
    });
    const m = await scrape();
    expect(
      total(m, 'gen_ai_client_operation_duration_seconds_count', {
        gen_ai_request_model: model,
        error_type: '400',
        http_response_status_code: '400',
      }),
    ).toBe(1);
    expect(find(m, 'gen_ai_client_token_usage_count', { gen_ai_request_model: model })).toHaveLength(0);
    expect(lastLogFor(mainLogs, model)).toMatchObject({
      level: 40,
      status: 'error',
      http_status: 400,
      error_type: '400',
      error_message: `The upstream answered HTTP 400: ${reason}`,
    });
  });

  it('upstream 5xx passes through and marks the span as an error', async () => {
    const model = 'm-5xx';
    const res = await post(main.url, { model, input: 'x' }, { [FAULT_HEADER]: '503' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('simulated_fault');
    const span = onlySpan(`embeddings ${model}`);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status.message).toBe('The upstream answered HTTP 503: SIMULATOR: injected fault (HTTP 503).');
    expect(span.attributes).toEqual({
      ...base(simPort),
      ...textRequest(model, 'x'),
      ...timing,
      'http.response.status_code': 503,
      'error.type': '503',
      'embedding.upstream.error.message': 'SIMULATOR: injected fault (HTTP 503).',
    });
    expect(
      total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: model, error_type: '503' }),
    ).toBe(1);
    expect(lastLogFor(mainLogs, model)).toMatchObject({ level: 50, status: 'error', http_status: 503, error_type: '503' });
  });

  it('missing usage: no token metric, unless estimation is on (then marked estimated)', async () => {
    const model = 'm-no-usage';
    const res = await post(main.url, { model, input: ['four score'] }, { [FAULT_HEADER]: 'no-usage' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage?: unknown }).usage).toBeUndefined();
    const span = onlySpan(`embeddings ${model}`);
    expect(span.attributes).toEqual({
      ...base(simPort),
      'gen_ai.request.model': model,
      'gen_ai.request.encoding_formats': ['float'],
      'embedding.batch.size': 1,
      'embedding.input.type': 'string_array',
      'embedding.input.chars': 'four score'.length,
      ...timing,
      'http.response.status_code': 200,
      'gen_ai.response.model': model,
      'gen_ai.embeddings.dimension.count': 2560,
      'embedding.vector.count': 1,
    });
    expect(find(await scrape(), 'gen_ai_client_token_usage_count', { gen_ai_request_model: model })).toHaveLength(0);
    const log = lastLogFor(mainLogs, model);
    expect(log).toMatchObject({ status: 'ok', http_status: 200, output_dim: 2560 });
    expect(log).not.toHaveProperty('input_tokens');

    const { relay: estimating, logs } = await relay({ upstreamUrl: `${sim.url}/v1`, providerName: 'vllm', estimateTokens: true });
    try {
      const text = 'x'.repeat(40);
      const r2 = await post(estimating.url, { model: 'm-estimated', input: text }, { [FAULT_HEADER]: 'no-usage' });
      await r2.arrayBuffer();
      const est = onlySpan('embeddings m-estimated');
      expect(est.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 10, 'embedding.usage.estimated': true });
      expect(
        total(await scrape(), 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'm-estimated', embedding_usage_estimated: 'true' }),
      ).toBe(10);
      expect(lastLogFor(logs, 'm-estimated')).toMatchObject({ input_tokens: 10, input_tokens_estimated: true });
    } finally {
      await estimating.close(100);
    }
  });

  it('invalid JSON → 400 invalid_json, recorded under _OTHER', async () => {
    const res = await post(main.url, '{"model": "m", "input": [');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    const span = spansNamed('embeddings').filter((s) => s.attributes['error.type'] === 'invalid_json');
    expect(span).toHaveLength(1);
    expect(span[0]!.attributes).toEqual({ ...base(simPort), 'http.response.status_code': 400, 'error.type': 'invalid_json' });
    expect(
      total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
        gen_ai_request_model: '_OTHER',
        error_type: 'invalid_json',
        http_response_status_code: '400',
      }),
    ).toBe(1);
    expect(body.error['message']).toBe('The request body is not valid JSON (it ends too early).');
    const log = mainLogs.requests().filter((l) => l['error_type'] === 'invalid_json');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ level: 40, status: 'error', http_status: 400, trace_id: span[0]!.spanContext().traceId });
  });

  it('oversize body → 413 body_too_large, recorded under the model the body names (even after the input)', async () => {
    const res = await post(main.url, `{"input":"${'y'.repeat(70 * 1024)}","model":"m-big"}`);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    const span = spansNamed('embeddings m-big');
    expect(span).toHaveLength(1);
    expect(span[0]!.attributes).toEqual({
      ...base(simPort),
      'gen_ai.request.model': 'm-big',
      'http.response.status_code': 413,
      'error.type': 'body_too_large',
    });
    expect(
      total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
        gen_ai_request_model: 'm-big',
        error_type: 'body_too_large',
        http_response_status_code: '413',
      }),
    ).toBe(1);
    expect(mainLogs.requests().filter((l) => l['error_type'] === 'body_too_large')[0]).toMatchObject({
      model: 'm-big',
      http_status: 413,
      level: 40,
    });
  });

  it('a model name of 10,000 characters is cut to 256 (and …) in every telemetry projection', async () => {
    const long = 'q'.repeat(10_000);
    const res = await post(main.url, { model: long, input: [] });
    expect(res.status).toBe(400);
    await res.arrayBuffer();
    const cut = `${'q'.repeat(256)}…`;
    expect(lastLogFor(mainLogs, cut)).toMatchObject({ model: cut, http_status: 400 });
    expect(spansNamed(`embeddings ${cut}`)).toHaveLength(1);
  });

  it('a refused request whose body names a model → 400, recorded under that model, not _OTHER', async () => {
    const res = await post(main.url, { model: 'm-refused', input: [] });
    expect(res.status).toBe(400);
    await res.arrayBuffer();
    const span = spansNamed('embeddings m-refused');
    expect(span).toHaveLength(1);
    expect(span[0]!.attributes).toMatchObject({ 'gen_ai.request.model': 'm-refused', 'error.type': 'invalid_request' });
    expect(
      total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
        gen_ai_request_model: 'm-refused',
        error_type: 'invalid_request',
      }),
    ).toBe(1);
    expect(lastLogFor(mainLogs, 'm-refused')).toMatchObject({ model: 'm-refused', http_status: 400, error_type: 'invalid_request' });
  });

  it('upstream down → 502 upstream_unreachable', async () => {
    const closed = await listen(createServer(), '127.0.0.1', 0);
    const deadPort = Number(new URL(closed.url).port);
    await closed.close();
    const { relay: r, logs } = await relay({ upstreamUrl: `http://127.0.0.1:${deadPort}/v1`, providerName: 'vllm' });
    try {
      const res = await post(r.url, { model: 'm-down', input: 'x' });
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({
        error: {
          message: 'The upstream embeddings server could not be reached.',
          type: 'server_error',
          param: null,
          code: 'upstream_unreachable',
        },
      });
      const span = onlySpan('embeddings m-down');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toEqual({
        ...base(deadPort),
        ...textRequest('m-down', 'x'),
        'http.response.status_code': 502,
        'error.type': 'upstream_unreachable',
      });
      expect(
        total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
          gen_ai_request_model: 'm-down',
          error_type: 'upstream_unreachable',
          http_response_status_code: '502',
        }),
      ).toBe(1);
      expect(lastLogFor(logs, 'm-down')).toMatchObject({ level: 50, http_status: 502, error_type: 'upstream_unreachable' });
      expect((await fetch(`${r.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
    } finally {
      await r.close(100);
    }
  });

  it('upstream timeout → 504 upstream_timeout', async () => {
    const { relay: r, logs } = await relay({ upstreamUrl: `${sim.url}/v1`, providerName: 'vllm', headersTimeoutMs: 300 });
    try {
      const res = await post(r.url, { model: 'm-timeout', input: 'x' }, { [FAULT_HEADER]: 'hang' });
      expect(res.status).toBe(504);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
      const span = onlySpan('embeddings m-timeout');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toEqual({
        ...base(simPort),
        ...textRequest('m-timeout', 'x'),
        'http.response.status_code': 504,
        'error.type': 'upstream_timeout',
      });
      expect(
        total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
          gen_ai_request_model: 'm-timeout',
          error_type: 'upstream_timeout',
        }),
      ).toBe(1);
      const log = lastLogFor(logs, 'm-timeout');
      expect(log).toMatchObject({ level: 50, http_status: 504, error_type: 'upstream_timeout' });
      expect(log['duration_ms']).toBeGreaterThanOrEqual(290);
    } finally {
      await r.close(100);
    }
  });
});

describe('telemetry never breaks a request', () => {
  it('a 200 whose body is not JSON is relayed as is; the failed inspection is counted', async () => {
    const before = total(await scrape(), 'embedding_relay_telemetry_errors_total', { embedding_telemetry_stage: 'inspect' });
    const res = await post(main.url, { model: 'm-garbage', input: 'x' }, { [FAULT_HEADER]: 'garbage' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"object":"list","data":[{"embedding":[0.1,');
    expect(total(await scrape(), 'embedding_relay_telemetry_errors_total', { embedding_telemetry_stage: 'inspect' })).toBe(before + 1);
    const span = onlySpan('embeddings m-garbage');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.attributes).not.toHaveProperty('gen_ai.embeddings.dimension.count');
    expect(lastLogFor(mainLogs, 'm-garbage')).toMatchObject({ status: 'ok', http_status: 200 });
  });

  it('an upstream that resets mid-body cuts the client response and is recorded as an error', async () => {
    const res = await post(main.url, { model: 'm-reset', input: 'x' }, { [FAULT_HEADER]: 'reset' });
    expect(res.status).toBe(200); // headers were already relayed
    await expect(res.text()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    const span = onlySpan('embeddings m-reset');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': 'upstream_response_error', 'http.response.status_code': 200 });
    expect(lastLogFor(mainLogs, 'm-reset')).toMatchObject({ level: 40, status: 'error', error_type: 'upstream_response_error' });
  });

  it('a client that disconnects cancels the upstream call and is recorded as client_aborted', async () => {
    const slow = createSimulatorHandler({ ...SIM_DEFAULTS, latencyMs: 2_000 });
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const up = await listen(
      createServer((req, res) => {
        res.on('close', () => upstreamClosed());
        slow(req, res);
      }),
      '127.0.0.1',
      0,
    );
    const { relay: r, logs } = await relay({ upstreamUrl: `${up.url}/v1`, providerName: 'vllm' });
    try {
      const ac = new AbortController();
      const pending = fetch(`${r.url}/v1/embeddings`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm-abort', input: 'x' }),
        signal: ac.signal,
      });
      await new Promise((res) => setTimeout(res, 200));
      ac.abort(); // the client gives up while the upstream is still working
      await expect(pending).rejects.toThrow();
      await closed; // the relay cancelled its upstream request
      await new Promise((res) => setTimeout(res, 50));
      const span = onlySpan('embeddings m-abort');
      expect(span.attributes).toMatchObject({ 'error.type': 'client_aborted', 'http.response.status_code': 499 });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(lastLogFor(logs, 'm-abort')).toMatchObject({ error_type: 'client_aborted', http_status: 499, level: 40 });
      expect(
        total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
          gen_ai_request_model: 'm-abort',
          error_type: 'client_aborted',
        }),
      ).toBe(1);
    } finally {
      await r.close(100);
      up.server.closeAllConnections();
      await up.close();
    }
  });
});

describe('more of the contract', () => {
  it('wrong method → 405 with Allow, unknown path → 404, both recorded', async () => {
    const get = await fetch(`${main.url}/v1/embeddings`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    const missing = await fetch(`${main.url}/v2/embed`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error).toMatchObject({
      code: 'not_found',
      type: 'invalid_request_error',
    });

    const s405 = spansNamed('embeddings').filter((s) => s.attributes['error.type'] === 'method_not_allowed');
    expect(s405.map((s) => s.attributes)).toEqual([
      { ...base(simPort), 'http.request.method': 'GET', 'http.response.status_code': 405, 'error.type': 'method_not_allowed' },
    ]);
    // An unknown path is an HTTP request, no GenAI operation: its span has the HTTP attributes only,
    // and it counts in http.server.request.duration, not in any gen_ai_* series.
    const s404 = spansNamed('POST').filter((s) => s.attributes['error.type'] === 'not_found');
    expect(s404.map((s) => s.attributes)).toEqual([
      {
        'server.address': '127.0.0.1',
        'server.port': simPort,
        'http.request.method': 'POST',
        'http.response.status_code': 404,
        'error.type': 'not_found',
      },
    ]);
    const m = await scrape();
    expect(
      total(m, 'gen_ai_client_operation_duration_seconds_count', { error_type: 'method_not_allowed', http_response_status_code: '405' }),
    ).toBe(1);
    expect(total(m, 'gen_ai_client_operation_duration_seconds_count', { error_type: 'not_found' })).toBe(0);
    expect(
      total(m, 'http_server_request_duration_seconds_count', {
        error_type: 'not_found',
        http_response_status_code: '404',
        http_request_method: 'POST',
      }),
    ).toBe(1);
    expect(mainLogs.requests().filter((l) => l['error_type'] === 'method_not_allowed')).toHaveLength(1);
    expect(mainLogs.httpRequests().filter((l) => l['error_type'] === 'not_found')).toMatchObject([{ method: 'POST', http_status: 404 }]);
  });

  it('RELAY_UPSTREAM_API_KEY replaces the client credentials upstream', async () => {
    const { relay: r } = await relay({ upstreamUrl: `${sim.url}/v1`, upstreamApiKey: 'sk-relay-owned' });
    try {
      upstreamHeaders.length = 0;
      const res = await post(
        r.url,
        { model: 'm-key', input: 'x' },
        { authorization: 'Bearer sk-client', 'api-key': 'azure-style-client-key' },
      );
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(upstreamHeaders).toHaveLength(1);
      expect(upstreamHeaders[0]!.authorization).toBe('Bearer sk-relay-owned');
      expect(upstreamHeaders[0]!['api-key']).toBeUndefined();
    } finally {
      await r.close(100);
    }
  });

  it('RELAY_API_KEYS: 401 with an OpenAI-style error without a valid key; the key never goes upstream', async () => {
    const { relay: r, logs } = await relay({
      upstreamUrl: `${sim.url}/v1`,
      apiKeys: [
        { caller: undefined, key: 'relay-key-1' },
        { caller: undefined, key: 'relay-key-2' },
      ],
    });
    try {
      upstreamHeaders.length = 0;
      const cases: [Record<string, string>, number, string | undefined][] = [
        [{}, 401, 'You did not provide an API key: send Authorization: Bearer <key> (or api-key: <key>).'],
        [{ authorization: 'Bearer wrong-key' }, 401, 'Incorrect API key provided.'],
        [
          { authorization: 'Basic cmVsYXkta2V5LTE=' },
          401,
          'You did not provide an API key: send Authorization: Bearer <key> (or api-key: <key>).',
        ],
        [{ authorization: 'Bearer relay-key-2' }, 200, undefined],
        [{ 'api-key': 'relay-key-1' }, 200, undefined],
      ];
      for (const [headers, status, message] of cases) {
        const res = await post(r.url, { model: 'm-auth', input: 'x' }, headers);
        expect(res.status, JSON.stringify(headers)).toBe(status);
        const body = (await res.json()) as { error?: unknown };
        if (message === undefined) continue;
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="embedding-relay"');
        expect(body).toEqual({ error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
      }
      // The relay's keys are its own: neither the valid Bearer nor the api-key reached the upstream.
      expect(upstreamHeaders).toHaveLength(2);
      for (const h of upstreamHeaders) {
        expect(h.authorization).toBeUndefined();
        expect(h['api-key']).toBeUndefined();
      }
      // /v1/models is guarded too; health stays open for probes.
      expect((await fetch(`${r.url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${r.url}/v1/models`, { headers: { authorization: 'Bearer relay-key-1' } })).status).toBe(200);
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
      // Recorded like any client error: error.type is the code, the key appears nowhere.
      const m = await scrape();
      expect(
        total(m, 'gen_ai_client_operation_duration_seconds_count', {
          gen_ai_request_model: '_OTHER',
          error_type: 'invalid_api_key',
          http_response_status_code: '401',
        }),
      ).toBe(3);
      const exported = JSON.stringify([logs.lines, spansNamed('embeddings').map((sp) => sp.attributes), await scrapeText()]);
      for (const secret of ['relay-key-1', 'relay-key-2', 'wrong-key', 'cmVsYXkta2V5LTE=']) expect(exported).not.toContain(secret);
    } finally {
      await r.close(100);
    }
  });

  it("reads TEI's x-compute-tokens header when the body has no usage", async () => {
    const handler = createSimulatorHandler(SIM_DEFAULTS);
    const tei = await listen(
      createServer((req, res) => {
        req.headers[FAULT_HEADER] = 'no-usage';
        res.setHeader('x-compute-tokens', '42');
        handler(req, res);
      }),
      '127.0.0.1',
      0,
    );
    const { relay: r, logs } = await relay({ upstreamUrl: `${tei.url}/v1`, providerName: 'tei' });
    try {
      await (await post(r.url, { model: 'm-tei', input: 'x' })).arrayBuffer();
      expect(onlySpan('embeddings m-tei').attributes).toMatchObject({
        'gen_ai.usage.input_tokens': 42,
        'embedding.usage.estimated': false,
      });
      expect(total(await scrape(), 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'm-tei', gen_ai_provider_name: 'tei' })).toBe(
        42,
      );
      expect(lastLogFor(logs, 'm-tei')).toMatchObject({ input_tokens: 42, input_tokens_estimated: false });
    } finally {
      await r.close(100);
      await tei.close();
    }
  });

  it('logs input text only when RELAY_LOG_INPUTS=true, and never in spans', async () => {
    const { relay: r, logs } = await relay({ upstreamUrl: `${sim.url}/v1`, logInputs: true });
    try {
      await (await post(r.url, { model: 'm-inputs', input: ['secret text one', 'two'] })).arrayBuffer();
      expect(lastLogFor(logs, 'm-inputs')['inputs']).toEqual(['secret text one', 'two']);
      expect(JSON.stringify(onlySpan('embeddings m-inputs').attributes)).not.toContain('secret text one');
    } finally {
      await r.close(100);
    }
  });

  it('never crashes on odd requests: every one gets an OpenAI-style 4xx', async () => {
    const odd: [string, RequestInit][] = [
      ['/v1/embeddings', { method: 'POST', body: '' }],
      ['/v1/embeddings', { method: 'POST', body: 'null' }],
      ['/v1/embeddings', { method: 'POST', body: '"just a string"' }],
      ['/v1/embeddings', { method: 'POST', body: '{"model":null,"input":null}' }],
      ['/v1/embeddings', { method: 'POST', body: '{"model":"m","input":[[]]}' }],
      ['/v1/embeddings', { method: 'POST', body: '{"model":"m","input":[{"a":1}]}' }],
      ['/v1/embeddings', { method: 'POST', body: '{"model":"m","input":"x","dimensions":1e400}' }],
      ['/v1/embeddings', { method: 'POST', body: '\u0000\u00ff\ufffd', headers: { 'content-type': 'application/octet-stream' } }],
      ['/v1/embeddings', { method: 'POST', body: '{"__proto__":{"polluted":true},"model":"m"}' }],
      ['/v1/embeddings?x=1', { method: 'DELETE' }],
      ['/../../etc/passwd', { method: 'GET' }],
      ['/v1/models', { method: 'POST', body: '{}' }],
    ];
    for (const [path, init] of odd) {
      const res = await fetch(`${main.url}${path}`, init);
      expect(res.status, `${init.method} ${path} ${String(init.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = (await res.json()) as { error: { message: string; type: string; code: string } };
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message.length).toBeGreaterThan(0);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await fetch(`${main.url}/healthz`)).status).toBe(200);
  });
});

describe('the Prometheus exposition', () => {
  it('passes promtool check metrics and follows Prometheus naming', async () => {
    const text = await scrapeText();
    const check = promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    expect(text).toContain('# TYPE gen_ai_client_operation_duration_seconds histogram');
    expect(text).toContain('# TYPE embedding_relay_overhead_seconds histogram');
    expect(text).toContain('# TYPE embedding_vectors_total counter');
    expect(text).toContain('# TYPE http_server_active_requests gauge');
    expect(text).not.toMatch(/description missing/);
  });

  it('bounds model-name cardinality with _OTHER', async () => {
    const { relay: r } = await relay({ upstreamUrl: `${sim.url}/v1`, providerName: 'bounded', maxModelLabels: 3 });
    try {
      for (let i = 0; i < 8; i++) await (await post(r.url, { model: `model-${i}`, input: 'x', dimensions: 8 })).arrayBuffer();
      const series = find(await scrape(), 'gen_ai_client_operation_duration_seconds_count', { gen_ai_provider_name: 'bounded' });
      expect(series.map((s) => s.labels['gen_ai_request_model']).sort()).toEqual(['_OTHER', 'model-0', 'model-1', 'model-2']);
      expect(series.find((s) => s.labels['gen_ai_request_model'] === '_OTHER')!.value).toBe(5);
      // Spans keep the real name: they are not series.
      expect(onlySpan('embeddings model-7').attributes['gen_ai.request.model']).toBe('model-7');
    } finally {
      await r.close(100);
    }
  });
});
