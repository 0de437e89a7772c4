// Named callers: each inbound key may name who holds it (RELAY_API_KEYS `search:sk-…`). The name, never
// the key, labels the request metrics and is on the span and the log line, for every operation.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { type LogCapture, relay, scrape, scrapeText, simulator, spans } from '../support/harness.ts';
import { total } from '../support/prometheus-text.ts';

const SEARCH = 'sk-search-7f3a0c1d';
const INGEST = 'sk-ingest-91c2e4b8';
let sim: RunningServer;
let r: RunningRelay;
let logs: LogCapture;

beforeAll(async () => {
  sim = await simulator();
  ({ relay: r, logs } = await relay({
    upstreamUrl: `${sim.url}/v1`,
    apiKeys: [
      { caller: 'search', key: SEARCH },
      { caller: 'ingest', key: INGEST },
    ],
  }));
});

afterAll(async () => {
  await r?.close(0);
  await sim?.close();
});

const call = async (key: string, path: string, body: unknown) => {
  const res = await fetch(`${r.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
};

it('requests, tokens and errors are counted by caller; the span and the log line name it; no key is anywhere', async () => {
  const model = 'm-callers';
  for (let i = 0; i < 3; i++) expect(await call(SEARCH, '/v1/embeddings', { model, input: 'one two three' })).toBe(200);
  expect(await call(INGEST, '/v1/embeddings', { model, input: ['a b', 'c d e f'] })).toBe(200);
  expect(await call(INGEST, '/v1/rerank', { model, query: 'q', documents: ['a', 'b'] })).toBe(200);
  expect(await call(SEARCH, '/v1/embeddings', { model, input: [] })).toBe(400);
  expect(await call('sk-nobody', '/v1/embeddings', { model, input: 'x' })).toBe(401);

  const m = await scrape();
  const count = (labels: Record<string, string>) =>
    total(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: model, ...labels });
  expect(count({ embedding_caller: 'search', http_response_status_code: '200' })).toBe(3);
  expect(count({ embedding_caller: 'search', error_type: 'invalid_request' })).toBe(1);
  expect(count({ embedding_caller: 'ingest', gen_ai_operation_name: 'embeddings' })).toBe(1);
  expect(count({ embedding_caller: 'ingest', gen_ai_operation_name: 'rerank' })).toBe(1);
  // The simulator counts a token per word: 3 × 3 for search, 2 + 4 for ingest's embeddings.
  const tokens = (caller: string) =>
    total(m, 'gen_ai_client_token_usage_sum', {
      gen_ai_request_model: model,
      embedding_caller: caller,
      gen_ai_operation_name: 'embeddings',
    });
  expect([tokens('search'), tokens('ingest')]).toEqual([9, 6]);
  // A wrong key is refused before the body is read (no model) and names no caller: counted, without the label.
  const refused = m.filter(
    (s) => s.name === 'gen_ai_client_operation_duration_seconds_count' && s.labels['error_type'] === 'invalid_api_key',
  );
  expect(refused.reduce((n, s) => n + s.value, 0)).toBe(1);
  expect(refused.every((s) => s.labels['embedding_caller'] === undefined)).toBe(true);
  expect(logs.lines.find((l) => l['http_status'] === 401)).not.toHaveProperty('caller');

  const mine = spans.getFinishedSpans().filter((s) => s.attributes['gen_ai.request.model'] === model);
  expect(mine.map((s) => s.attributes['embedding.caller']).sort()).toEqual(['ingest', 'ingest', 'search', 'search', 'search', 'search']);
  const lines = logs.lines.filter((l) => l['model'] === model);
  expect(lines.map((l) => l['caller']).sort()).toEqual(['ingest', 'ingest', 'search', 'search', 'search', 'search']);

  const everything = [
    await scrapeText(),
    JSON.stringify(logs.lines),
    JSON.stringify(spans.getFinishedSpans().map((s) => [s.name, s.attributes])),
  ].join('\n');
  for (const key of [SEARCH, INGEST, 'sk-nobody']) expect(everything).not.toContain(key);
});
