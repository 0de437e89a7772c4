// Named callers: each inbound key may name who holds it (RELAY_API_KEYS `search:sk-…`). The name, never
// the key, labels the request metrics and is on the span and the log line, for every operation.
// Without inbound auth a trusted header may name the caller; the request's `user` field is per end
// user, so span and log only.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('without inbound auth: the trusted caller header, bounded like the model label', () => {
  it('names the caller on the metrics, the span and the log line; past RELAY_MAX_CALLER_LABELS the metrics say _OTHER', async () => {
    const { relay: open, logs: openLogs } = await relay({ upstreamUrl: `${sim.url}/v1`, callerHeader: 'x-caller', maxCallerLabels: 2 });
    try {
      const model = 'm-caller-header';
      const post = (caller: string | undefined) =>
        fetch(`${open.url}/v1/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(caller === undefined ? {} : { 'x-caller': caller }) },
          body: JSON.stringify({ model, input: 'a b' }),
        }).then((res) => res.status);
      for (const caller of ['search', 'ingest', 'search', 'third', 'fourth', 'not a name', undefined]) expect(await post(caller)).toBe(200);

      const m = await scrape();
      const count = (caller: string) =>
        total(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: model, embedding_caller: caller });
      expect([count('search'), count('ingest'), count('_OTHER')]).toEqual([2, 1, 3]);
      expect(m.some((s) => s.labels['embedding_caller'] === 'third' || s.labels['embedding_caller'] === 'fourth')).toBe(false);
      // Spans and log lines keep the name (they are no series); a value that is no name is _OTHER there too.
      const named = ['_OTHER', 'fourth', 'ingest', 'search', 'search', 'third'];
      const mine = spans.getFinishedSpans().filter((s) => s.attributes['gen_ai.request.model'] === model);
      expect(
        mine.flatMap((s) => (s.attributes['embedding.caller'] === undefined ? [] : [s.attributes['embedding.caller']])).sort(),
      ).toEqual(named);
      expect(
        openLogs.lines
          .filter((l) => l['model'] === model)
          .flatMap((l) => (l['caller'] === undefined ? [] : [l['caller']]))
          .sort(),
      ).toEqual(named);
    } finally {
      await open.close(0);
    }
  });
});

describe("the request's own `user` field: span and log only, never a metric label", () => {
  const userCase = async (endUser: 'hash' | 'keep' | 'drop' | undefined) => {
    const { relay: r2, logs: l2 } = await relay({ upstreamUrl: `${sim.url}/v1`, ...(endUser === undefined ? {} : { endUser }) });
    try {
      const model = `m-user-${endUser ?? 'default'}`;
      const user = 'alice@example.com';
      for (const path of ['/v1/embeddings', '/v1/rerank']) {
        const body = path === '/v1/embeddings' ? { model, input: 'x', user } : { model, query: 'q', documents: ['a'], user };
        const res = await fetch(`${r2.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const mine = spans.getFinishedSpans().filter((s) => s.attributes['gen_ai.request.model'] === model);
      const lines = l2.lines.filter((l) => l['model'] === model);
      expect(mine).toHaveLength(2);
      expect(lines).toHaveLength(2);
      expect(await scrapeText()).not.toContain('alice');
      expect((await scrapeText()).includes(createHash('sha256').update(user).digest('hex').slice(0, 32))).toBe(false);
      return {
        spans: mine.map((s) => [s.attributes['user.hash'], s.attributes['user.id']]),
        lines: lines.map((l) => [l['user_hash'], l['user']]),
      };
    } finally {
      await r2.close(0);
    }
  };

  it('hash (the default): user.hash on the span, user_hash in the log line; the value nowhere', async () => {
    const hash = createHash('sha256').update('alice@example.com').digest('hex').slice(0, 32);
    const seen = await userCase(undefined);
    expect(seen).toEqual({
      spans: [
        [hash, undefined],
        [hash, undefined],
      ],
      lines: [
        [hash, undefined],
        [hash, undefined],
      ],
    });
  });

  it('keep: user.id and user as sent; drop: neither', async () => {
    const kept = ['alice@example.com', 'alice@example.com'].map((u) => [undefined, u]);
    expect(await userCase('keep')).toEqual({ spans: kept, lines: kept });
    const none = [
      [undefined, undefined],
      [undefined, undefined],
    ];
    expect(await userCase('drop')).toEqual({ spans: none, lines: none });
  });
});
