// `npm run test:infinity`: real Infinity (infinity-emb 0.0.78, torch on CPU, a tiny BERT built
// locally: infinity-server.ts) behind a relay process that is not told what it is. What Infinity
// does differently from OpenAI, and what the relay must make of it:
// - its `usage` counts characters, not tokens: never reported as tokens (input_characters instead);
// - it answers any `model` with the one it serves: a model_mismatch, with both names in the log line;
// - its errors are FastAPI's 422 `{"detail":[…]}`: the reason reaches the log line;
// - `dimensions` truncates without renormalising: norm_out_of_range, as docs/servers.md says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, total } from '../support/prometheus-text.ts';
import { copyleftPackages } from '../support/python-licences.ts';
import { freePort, type RelayProcess, startRelayProcess, logLineFor, logMark, postEmbeddings } from '../support/relay-process.ts';
import type { Service } from '../stack/services.ts';
import type { Provisioned } from '../support/setup-script.ts';
import { MODEL_DIMENSION, provisionInfinity, RERANK_MODEL, SERVED_MODEL, startInfinity } from './infinity-server.ts';

let provisioned: Provisioned;
let infinity: Service;
let direct: string;
let relay: RelayProcess;
/** The cross-encoder's Infinity, and a relay in front of it. */
let reranker: Service;
let rerankDirect: string;
let rerankRelay: RelayProcess;

beforeAll(async () => {
  provisioned = provisionInfinity();
  const [port, rerankPort] = [await freePort(), await freePort()];
  [infinity, reranker] = await Promise.all([startInfinity(provisioned, port), startInfinity(provisioned, rerankPort, true)]);
  direct = `http://127.0.0.1:${port}/v1`;
  rerankDirect = `http://127.0.0.1:${rerankPort}/v1`;
  relay = await startRelayProcess({ RELAY_UPSTREAM_URL: direct, OTEL_TRACES_EXPORTER: 'none', RELAY_VECTOR_CHECK_RATE: '1' });
  rerankRelay = await startRelayProcess({ RELAY_UPSTREAM_URL: rerankDirect, OTEL_TRACES_EXPORTER: 'none' });
});

afterAll(async () => {
  await rerankRelay?.stop();
  await relay?.stop();
  await reranker?.stop();
  await infinity?.stop();
});

const post = postEmbeddings;
const viaRelay = (body: unknown) => post(`${relay.url}/v1`, body);
/** Infinity's own per-response fields (a random id, a timestamp) differ between any two calls. */
const stable = ({ id: _id, created: _created, ...rest }: Record<string, unknown>) => rest;
const mark = () => logMark(relay);
const lineFor = (model: string, since: number) => logLineFor(relay, model, since);

describe('the Infinity venv', () => {
  it('holds no AGPL/GPL/LGPL/SSPL/BUSL package', () => {
    const { packages, offenders } = copyleftPackages(provisioned.bin.replace(/\/bin$/, ''));
    expect(packages).toBeGreaterThan(50);
    expect(offenders).toEqual([]);
  });
});

describe('through the relay, Infinity answers as it does directly', () => {
  it.each([
    ['one string, float', { input: 'hello world' }],
    ['a batch of strings, float', { input: ['hello world', 'the blue ocean', 'one two three'] }],
    ['base64', { input: ['hello world', 'the blue ocean'], encoding_format: 'base64' }],
  ])('%s', async (_name, body) => {
    const request = { model: SERVED_MODEL, ...body };
    const since = mark();
    const [own, relayed] = [await post(direct, request), await viaRelay(request)];
    expect(relayed.status).toBe(200);
    expect(stable(relayed.json)).toEqual(stable(own.json));
    const line = await lineFor(SERVED_MODEL, since);
    expect(line).toMatchObject({ status: 'ok', output_dim: MODEL_DIMENSION, response_model: SERVED_MODEL });
    expect(line).not.toHaveProperty('anomalies');
  });
});

describe('what Infinity does differently', () => {
  it('its usage counts characters: logged as input_characters, never as tokens', async () => {
    const inputs = ['hello world', 'héllo, the blue ocean'];
    const since = mark();
    const { status, json } = await viaRelay({ model: SERVED_MODEL, input: inputs });
    expect(status).toBe(200);
    const chars = inputs.join('').length;
    expect((json['usage'] as { prompt_tokens: number }).prompt_tokens).toBe(chars); // what Infinity says
    const line = await lineFor(SERVED_MODEL, since);
    expect(line['input_characters']).toBe(chars);
    expect(line).not.toHaveProperty('input_tokens');
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`)).text());
    expect(total(metrics, 'gen_ai_client_token_usage_count', {})).toBe(0);
    // The relay found out by itself, from the model list (owned_by: infinity).
    expect(relay.out.stderr).toMatch(/Detected Infinity \(its model list says owned_by: infinity\)/);
  });

  it('a model it does not serve is answered by the one it does: a model_mismatch, both names logged', async () => {
    const since = mark();
    const { status, json } = await viaRelay({ model: 'text-embedding-3-small', input: ['hello world', 'the blue ocean'] });
    expect(status).toBe(200);
    expect(json['model']).toBe(SERVED_MODEL);
    const line = await lineFor('text-embedding-3-small', since);
    expect(line).toMatchObject({ status: 'ok', response_model: SERVED_MODEL, anomalies: { model_mismatch: 2 }, level: 40 });
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`)).text());
    expect(
      total(metrics, 'embedding_vector_anomalies_total', {
        gen_ai_request_model: 'text-embedding-3-small',
        embedding_anomaly_kind: 'model_mismatch',
      }),
    ).toBe(2);
  });

  it("its 422 (FastAPI's detail list) keeps its reason in the log line", async () => {
    const since = mark();
    const { status, json } = await viaRelay({ model: SERVED_MODEL, input: [5, 17, 42] }); // token ids: Infinity takes text only
    expect(status).toBe(422);
    expect(json).toHaveProperty('detail');
    const line = await lineFor(SERVED_MODEL, since);
    expect(line).toMatchObject({ status: 'error', http_status: 422, error_type: '422' });
    expect(line['error_message']).toMatch(/^The upstream answered HTTP 422: .*Input should be a valid string/);
  });

  it('dimensions truncates without renormalising: flagged norm_out_of_range', async () => {
    const since = mark();
    const { status, json } = await viaRelay({ model: SERVED_MODEL, input: 'hello world', dimensions: 16 });
    expect(status).toBe(200);
    const v = (json['data'] as { embedding: number[] }[])[0]!.embedding;
    expect(v).toHaveLength(16);
    expect(Math.hypot(...v)).toBeLessThan(0.98);
    expect(await lineFor(SERVED_MODEL, since)).toMatchObject({ output_dim: 16, anomalies: { norm_out_of_range: 1 } });
  });
});

describe('rerank: Infinity’s cross-encoder path through the relay', () => {
  const documents = ['a llama of the Andes', 'a panda in a forest', 'llama wool from the Andes'];
  const rerank = async (base: string, body: unknown) => {
    const res = await fetch(`${base}/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('the same answer as Infinity’s own; the relay logs a rerank_request with its usage as characters', async () => {
    const body = { model: RERANK_MODEL, query: 'animals of the Andes', documents, top_n: 2 };
    const since = logMark(rerankRelay);
    const through = await rerank(`${rerankRelay.url}/v1`, body);
    const straight = await rerank(rerankDirect, body);
    expect([through.status, straight.status]).toEqual([200, 200]);
    expect(stable(through.json)).toEqual(stable(straight.json));
    const results = through.json['results'] as { index: number; relevance_score: number }[];
    expect(results).toHaveLength(2);
    const usage = through.json['usage'] as { prompt_tokens: number };
    const line = await logLineFor(rerankRelay, RERANK_MODEL, since);
    expect(line).toMatchObject({
      event: 'rerank_request',
      status: 'ok',
      documents: 3,
      top_n: 2,
      results: 2,
      input_characters: usage.prompt_tokens,
    });
    expect(line['input_tokens']).toBeUndefined();
    expect(line['anomalies']).toBeUndefined();
  });
});
