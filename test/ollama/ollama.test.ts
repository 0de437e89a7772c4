// `npm run test:ollama`: real Ollama (v0.17.4 built from its Go module, CPU, the tiny BERT test:infinity
// builds, imported as `tiny-bert`: ollama-server.ts) behind a relay process told only that it is Ollama.
// What Ollama's OpenAI API does, and what the relay makes of it:
// - it answers with the model name as asked (its list says `tiny-bert:latest`): no model_mismatch;
// - its usage counts tokens, with the tokenizer's special ones: logged as input_tokens;
// - `dimensions` truncates and renormalises: unit vectors, nothing flagged (unlike Infinity);
// - token-id input (what LangChain sends by default) is refused with 400 "invalid input type";
// - its errors are OpenAI-shaped: the reason reaches the log line.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, total } from '../support/prometheus-text.ts';
import { freePort, root, type RelayProcess, startRelayProcess, logLineFor, logMark, postEmbeddings } from '../support/relay-process.ts';
import type { Service } from '../stack/services.ts';
import type { Provisioned } from '../support/setup-script.ts';
import { MODEL_DIMENSION, provisionOllama, SERVED_MODEL, startOllama } from './ollama-server.ts';

let provisioned: Provisioned;
let ollama: Service;
let direct: string;
let relay: RelayProcess;

beforeAll(async () => {
  provisioned = provisionOllama();
  const port = await freePort();
  ollama = await startOllama(provisioned, port);
  direct = `http://127.0.0.1:${port}/v1`;
  relay = await startRelayProcess({
    RELAY_UPSTREAM_URL: direct,
    RELAY_PROVIDER_NAME: 'ollama',
    OTEL_TRACES_EXPORTER: 'none',
    RELAY_VECTOR_CHECK_RATE: '1',
  });
});

afterAll(async () => {
  await relay?.stop();
  await ollama?.stop();
});

const post = postEmbeddings;
const viaRelay = (body: unknown) => post(`${relay.url}/v1`, body);
const mark = () => logMark(relay);
const lineFor = (model: string, since: number) => logLineFor(relay, model, since);

describe('the Ollama binary', () => {
  it('links no Go module outside the licence allow-list', () => {
    const out = execFileSync(process.execPath, ['test/licences/gate.ts', '--binary', provisioned.bin], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/licences: go, \d+ modules in ollama-v0\.17\.4: /);
    expect(out).toContain('licences: ok');
  });
});

describe('through the relay, Ollama answers as it does directly', () => {
  it.each([
    ['one string, float', { input: 'hello world' }],
    ['a batch of strings, float', { input: ['hello world', 'the blue ocean', 'one two three'] }],
    ['base64', { input: ['hello world', 'the blue ocean'], encoding_format: 'base64' }],
    ['the name with its tag, as its model list gives it', { model: `${SERVED_MODEL}:latest`, input: ['hello world'] }],
  ])('%s', async (_name, body) => {
    const request = { model: SERVED_MODEL, ...body };
    const since = mark();
    const [own, relayed] = [await post(direct, request), await viaRelay(request)];
    expect(relayed.status).toBe(200);
    expect(relayed.json).toEqual(own.json);
    expect(relayed.json['model']).toBe(request.model);
    const line = await lineFor(request.model, since);
    expect(line).toMatchObject({
      status: 'ok',
      output_dim: MODEL_DIMENSION,
      response_model: request.model,
      input_tokens: (own.json['usage'] as { prompt_tokens: number }).prompt_tokens,
    });
    expect(line).not.toHaveProperty('anomalies');
  });

  it('GET /v1/models is Ollama’s list, and the banner’s example uses a model from it', async () => {
    const [own, relayed] = await Promise.all([fetch(`${direct}/models`), fetch(`${relay.url}/v1/models`)]);
    const ownJson = (await own.json()) as { data: { id: string }[] };
    expect(((await relayed.json()) as unknown as Record<string, unknown>)['data']).toEqual(ownJson.data);
    expect(ownJson.data.map((m) => m.id)).toEqual([`${SERVED_MODEL}:latest`]);
    expect(relay.out.stderr).toContain(`serving ${SERVED_MODEL}:latest`);
    expect(relay.out.stderr).toContain(`"model":"${SERVED_MODEL}:latest"`);
  });
});

describe('what Ollama does', () => {
  it('its usage counts tokens, the special ones too: input_tokens and the token metric', async () => {
    const since = mark();
    const { status, json } = await viaRelay({ model: SERVED_MODEL, input: ['hello world', 'hello'] });
    expect(status).toBe(200);
    // [CLS] hello world [SEP] + [CLS] hello [SEP]: the tiny BERT's vocabulary has both words whole.
    expect((json['usage'] as { prompt_tokens: number }).prompt_tokens).toBe(7);
    expect(await lineFor(SERVED_MODEL, since)).toMatchObject({ input_tokens: 7, input_tokens_estimated: false });
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`)).text());
    expect(total(metrics, 'gen_ai_client_token_usage_count', { gen_ai_provider_name: 'ollama' })).toBeGreaterThan(0);
  });

  it('dimensions truncates and renormalises: unit vectors, nothing flagged', async () => {
    const since = mark();
    const { status, json } = await viaRelay({ model: SERVED_MODEL, input: 'hello world', dimensions: 16 });
    expect(status).toBe(200);
    const v = (json['data'] as { embedding: number[] }[])[0]!.embedding;
    expect(v).toHaveLength(16);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    const line = await lineFor(SERVED_MODEL, since);
    expect(line).toMatchObject({ status: 'ok', output_dim: 16 });
    expect(line).not.toHaveProperty('anomalies');
  });

  it('token ids (LangChain’s default input) get its 400 "invalid input type", kept in the log line', async () => {
    const since = mark();
    const { status, json } = await viaRelay({ model: SERVED_MODEL, input: [[5, 17, 42]] });
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: { message: 'invalid input type' } });
    const line = await lineFor(SERVED_MODEL, since);
    expect(line).toMatchObject({ status: 'error', http_status: 400, error_type: '400' });
    expect(line['error_message']).toBe('The upstream answered HTTP 400: invalid input type');
  });

  it('a model it does not have: its 404, with its reason in the log line', async () => {
    const since = mark();
    const { status } = await viaRelay({ model: 'text-embedding-3-small', input: 'hello world' });
    expect(status).toBe(404);
    const line = await lineFor('text-embedding-3-small', since);
    expect(line).toMatchObject({ status: 'error', http_status: 404, error_type: '404' });
    expect(line['error_message']).toMatch(/^The upstream answered HTTP 404: model "text-embedding-3-small" not found/);
  });
});
