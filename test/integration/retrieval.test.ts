// The retrieval tier through the real relay wiring: rerank and score as GenAI operations (span,
// metrics, log line, quality), the model server's other routes passed on with HTTP telemetry only,
// admin routes refused, unknown paths out of every gen_ai_* series. The model server is a small
// node:http stand-in answering as vLLM 0.32 does (shapes checked against real vLLM in test/vllm/).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import type { RunningRelay } from '../../src/server/app.ts';
import { type LogCapture, relay, scrape, spansNamed } from '../support/harness.ts';
import { find, seriesLines, total } from '../support/prometheus-text.ts';

interface Call {
  method: string;
  url: string;
  body: string;
}

const calls: Call[] = [];
/** The next rerank answer, when a test wants another than the well-formed one. */
let rerankAnswer: ((body: { documents: string[]; top_n?: number; model?: string }) => string) | undefined;

function rerankBody(req: { documents: string[]; top_n?: number; model?: string }): string {
  const n = req.top_n && req.top_n > 0 ? Math.min(req.top_n, req.documents.length) : req.documents.length;
  const results = req.documents.map((d, index) => ({ index, document: { text: d }, relevance_score: 1 / (index + 2) })).slice(0, n);
  return JSON.stringify({ id: 'rerank-1', model: req.model ?? 'served', usage: { prompt_tokens: 41, total_tokens: 41 }, results });
}

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = (req.url ?? '').split('?')[0];
  const json = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
  const send = (status: number, text: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'x-upstream': 'fake-vllm' });
    res.end(text);
  };
  if (path === '/v1/rerank' || path === '/rerank' || path === '/v2/rerank') {
    const r = json as { documents: string[]; top_n?: number; model?: string };
    send(200, rerankAnswer ? rerankAnswer(r) : rerankBody(r));
    return;
  }
  if (path === '/v1/score' || path === '/score') {
    const right = Array.isArray(json['text_2']) ? (json['text_2'] as string[]) : [json['text_2'] as string];
    const data = right.map((_, index) => ({ index, object: 'score', score: 0.5 + index / 10 }));
    send(
      200,
      JSON.stringify({
        id: 'score-1',
        object: 'list',
        created: 1,
        model: json['model'],
        data,
        usage: { prompt_tokens: 17, total_tokens: 17, completion_tokens: 0 },
      }),
    );
    return;
  }
  if (path === '/tokenize') send(200, JSON.stringify({ count: 3, max_model_len: 512, tokens: [1, 2, 3] }));
  else if (path === '/version') send(200, JSON.stringify({ version: '0.32.0' }));
  else send(404, JSON.stringify({ detail: 'Not Found' }));
}

let upstream: Server;
let upstreamUrl: string;
let main: RunningRelay;
let logs: LogCapture;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      calls.push({ method: req.method ?? '', url: req.url ?? '', body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  ({ relay: main, logs } = await relay({ upstreamUrl: `${upstreamUrl}/v1`, providerName: 'vllm' }));
});

afterAll(async () => {
  await main?.close(0);
  await new Promise((r) => upstream.close(r));
});

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const genAiSeries = async () => seriesLines(await scrape(), 'gen_ai_');

describe('rerank and score are GenAI operations', () => {
  const docs = ['a panda is a bear', 'the llama is a camelid', 'guanacos live in the Andes'];

  it.each([
    ['/v1/rerank', '/v1/rerank'],
    ['/rerank', '/rerank'],
    ['/v2/rerank', '/v2/rerank'],
  ])('POST %s reaches the upstream at %s and comes back byte for byte', async (path, upstreamPath) => {
    const body = { model: `rr${path.replaceAll('/', '-')}`, query: 'animals of Peru', documents: docs, top_n: 2 };
    const direct = await (await post(upstreamUrl, upstreamPath, body)).text();
    calls.length = 0;
    const res = await post(main.url, path, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('fake-vllm');
    expect(await res.text()).toBe(direct);
    expect(calls.map((c) => [c.method, c.url])).toEqual([['POST', upstreamPath]]);
  });

  it('one span, the metrics and one log line say what the rerank asked and got', async () => {
    const model = 'qwen3-reranker-tiny';
    const res = await post(main.url, '/v1/rerank', { model, query: 'animals of Peru', documents: docs, top_n: 2 });
    await res.arrayBuffer();
    const [span] = spansNamed(`rerank ${model}`);
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'rerank',
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
      'gen_ai.usage.input_tokens': 41,
      'embedding.retrieval.documents': 3,
      'embedding.retrieval.top_n': 2,
      'embedding.retrieval.results': 2,
      'embedding.retrieval.top_score': 0.5,
      'http.route': '/v1/rerank',
      'http.response.status_code': 200,
    });
    expect(span?.attributes['embedding.retrieval.anomaly']).toBeUndefined();
    const m = await scrape();
    const labels = { gen_ai_operation_name: 'rerank', gen_ai_request_model: model };
    expect(total(m, 'gen_ai_client_operation_duration_seconds_count', labels)).toBe(1);
    expect(total(m, 'gen_ai_client_token_usage_sum', labels)).toBe(41);
    expect(total(m, 'embedding_retrieval_documents_sum', labels)).toBe(3);
    // Every anomaly kind has its series from the model's first request, at 0.
    expect(find(m, 'embedding_retrieval_anomalies_total', labels).map((s) => [s.labels['embedding_anomaly_kind'], s.value])).toEqual(
      expect.arrayContaining([
        ['nan_score', 0],
        ['inf_score', 0],
        ['index_out_of_range', 0],
        ['duplicate_index', 0],
        ['missing_results', 0],
      ]),
    );
    const line = logs.lines.find((l) => l['event'] === 'rerank_request' && l['model'] === model);
    expect(line).toMatchObject({
      status: 'ok',
      http_status: 200,
      input_tokens: 41,
      documents: 3,
      top_n: 2,
      results: 2,
      trace_id: span?.spanContext().traceId,
    });
    expect(JSON.stringify(line)).not.toContain('panda');
  });

  it('a score call is the score operation, its pairs counted', async () => {
    const model = 'score-model';
    const res = await post(main.url, '/score', { model, text_1: 'what is a llama', text_2: docs });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(calls.at(-1)?.url).toBe('/score');
    const [span] = spansNamed(`score ${model}`);
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'score',
      'gen_ai.usage.input_tokens': 17,
      'embedding.retrieval.documents': 3,
      'embedding.retrieval.results': 3,
    });
    const m = await scrape();
    expect(
      total(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_operation_name: 'score', gen_ai_request_model: model }),
    ).toBe(1);
    expect(logs.lines.find((l) => l['event'] === 'score_request' && l['model'] === model)).toMatchObject({ documents: 3, results: 3 });
  });

  it('a broken answer is counted by kind: NaN and infinite scores, bad and repeated indexes, missing results', async () => {
    const model = 'broken-reranker';
    rerankAnswer = () =>
      `{"model":"${model}","usage":{"total_tokens":9},"results":[{"index":0,"relevance_score":NaN},{"index":0,"relevance_score":0.2},{"index":7,"relevance_score":Infinity}]}`;
    try {
      const res = await post(main.url, '/v1/rerank', { model, query: 'q', documents: [...docs, 'd4', 'd5'], top_n: 4 });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      rerankAnswer = undefined;
    }
    const [span] = spansNamed(`rerank ${model}`);
    expect(span?.attributes['embedding.retrieval.anomaly']).toEqual([
      'duplicate_index',
      'index_out_of_range',
      'inf_score',
      'missing_results',
      'nan_score',
    ]);
    expect(span?.attributes['gen_ai.usage.input_tokens']).toBe(9);
    const m = await scrape();
    const count = (kind: string) =>
      total(m, 'embedding_retrieval_anomalies_total', { gen_ai_request_model: model, embedding_anomaly_kind: kind });
    expect([
      count('nan_score'),
      count('inf_score'),
      count('duplicate_index'),
      count('index_out_of_range'),
      count('missing_results'),
    ]).toEqual([1, 1, 1, 1, 1]);
    expect(logs.lines.find((l) => l['event'] === 'rerank_request' && l['model'] === model)).toMatchObject({
      level: 40,
      anomalies: { nan_score: 1, inf_score: 1, duplicate_index: 1, index_out_of_range: 1, missing_results: 1 },
    });
  });

  it("a malformed rerank is refused in the relay's error shape and never forwarded", async () => {
    calls.length = 0;
    const res = await post(main.url, '/v1/rerank', { model: 'm', documents: docs });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { message: "'query' must be a string.", type: 'invalid_request_error', param: 'query', code: 'invalid_request' },
    });
    const tooMany = await post(main.url, '/v1/rerank', { model: 'm', query: 'q', documents: Array.from({ length: 2049 }, () => 'd') });
    expect(((await tooMany.json()) as { error: { code: string } }).error.code).toBe('batch_too_large');
    expect(calls).toEqual([]);
  });
});

describe("the model server's other routes", () => {
  it('/tokenize is relayed unchanged, with an HTTP span and http.server.request.duration only', async () => {
    const before = await genAiSeries();
    const res = await post(main.url, '/tokenize', { model: 'm', prompt: 'hello' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 3, max_model_len: 512, tokens: [1, 2, 3] });
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: '/tokenize', body: '{"model":"m","prompt":"hello"}' });
    const version = await fetch(`${main.url}/version?verbose=1`);
    expect(await version.json()).toEqual({ version: '0.32.0' });
    expect(calls.at(-1)).toMatchObject({ method: 'GET', url: '/version?verbose=1' });
    const [span] = spansNamed('POST /tokenize');
    expect(span?.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/tokenize',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': new URL(upstreamUrl).port === '' ? 80 : Number(new URL(upstreamUrl).port),
      'embedding.upstream.duration': expect.any(Number),
      'embedding.relay.overhead': expect.any(Number),
    });
    const m = await scrape();
    expect(total(m, 'http_server_request_duration_seconds_count', { http_route: '/tokenize', http_response_status_code: '200' })).toBe(1);
    expect(await genAiSeries()).toEqual(before);
    expect(logs.httpRequests().find((l) => l['route'] === '/tokenize')).toMatchObject({ method: 'POST', http_status: 200 });
  });

  it('an admin route is refused with a 404 that names the setting, and never reaches the server', async () => {
    calls.length = 0;
    const res = await post(main.url, '/reset_prefix_cache', {});
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      '/reset_prefix_cache is an admin route of the model server, which the relay never relays (RELAY_PASSTHROUGH_ROUTES lists the routes it does).',
    );
    expect(calls).toEqual([]);
  });

  it('a GET / probe leaves every gen_ai_* series unchanged', async () => {
    const before = await genAiSeries();
    for (let i = 0; i < 3; i++) expect((await fetch(`${main.url}/`)).status).toBe(404);
    expect(await genAiSeries()).toEqual(before);
    const m = await scrape();
    expect(
      total(m, 'http_server_request_duration_seconds_count', { http_request_method: 'GET', error_type: 'not_found' }),
    ).toBeGreaterThanOrEqual(3);
    // No route label: probing paths mints no series.
    expect(
      find(m, 'http_server_request_duration_seconds_count', { error_type: 'not_found' }).every((s) => s.labels['http_route'] === undefined),
    ).toBe(true);
  });

  it('inbound auth covers the passed-on routes; RELAY_PASSTHROUGH_ROUTES=none closes them', async () => {
    const { relay: guarded } = await relay({ upstreamUrl: `${upstreamUrl}/v1`, apiKeys: [{ caller: 'team-a', key: 'sk-relay-1' }] });
    const { relay: closed } = await relay({ upstreamUrl: `${upstreamUrl}/v1`, passThroughRoutes: [] });
    try {
      calls.length = 0;
      expect((await post(guarded.url, '/tokenize', { prompt: 'x' })).status).toBe(401);
      expect((await post(guarded.url, '/v1/rerank', { query: 'q', documents: ['d'] })).status).toBe(401);
      expect(calls).toEqual([]);
      expect((await post(guarded.url, '/tokenize', { prompt: 'x' }, { authorization: 'Bearer sk-relay-1' })).status).toBe(200);
      expect((await post(closed.url, '/tokenize', { prompt: 'x' })).status).toBe(404);
      expect((await post(closed.url, '/v1/rerank', { query: 'q', documents: ['d'] })).status).toBe(200);
    } finally {
      await guarded.close(0);
      await closed.close(0);
    }
  });
});

describe('the built-in SIMULATOR answers rerank and score as vLLM does', () => {
  it('a relay with no upstream scores documents by their fake vectors, best first, and counts a NaN fault', async () => {
    const { relay: sim } = await relay({ upstreamUrl: undefined });
    try {
      const res = await post(sim.url, '/v1/rerank', {
        model: 'sim-rerank',
        query: 'llama',
        documents: ['a llama', 'a panda', 'the llama herd'],
        top_n: 2,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-embedding-simulator')).toBe('true');
      const body = (await res.json()) as { results: { index: number; relevance_score: number }[]; usage: { prompt_tokens: number } };
      expect(body.results).toHaveLength(2);
      expect(body.results[0]!.relevance_score).toBeGreaterThanOrEqual(body.results[1]!.relevance_score);
      expect(body.results.map((r) => r.index)).not.toContain(1); // the panda shares no word with the query
      const score = await post(sim.url, '/score', { model: 'sim-score', text_1: 'llama', text_2: ['a llama', 'a panda'] });
      expect(((await score.json()) as { data: unknown[] }).data).toHaveLength(2);
      const broken = await post(sim.url, '/rerank', { model: 'sim-nan', query: 'q', documents: ['x', 'y'] }, { [FAULT_HEADER]: 'nan' });
      expect(await broken.text()).toContain('NaN');
      const [span] = spansNamed('rerank sim-nan');
      expect(span?.attributes['embedding.retrieval.anomaly']).toEqual(['nan_score']);
      expect(spansNamed('rerank sim-rerank')[0]?.attributes['gen_ai.usage.input_tokens']).toBe(body.usage.prompt_tokens);
    } finally {
      await sim.close(0);
    }
  });
});
