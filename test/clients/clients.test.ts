// Real client SDKs nobody here wrote, in Python, against a relay process in front of its simulator:
// openai (sync and async), LangChain, LlamaIndex and LiteLLM get the simulator's vectors, and the
// relay logs each call; oversized uploads reach openai's sync and async clients as a 413, never as
// a connection error; the relay's own errors (a wrong key, an input too long) reach each SDK's caller
// as the typed error that SDK raises for OpenAI's, with the relay's message; openai's clients retry a
// 503 overloaded (the memory budget's bound) on their own and end with the vectors. The Cohere SDK
// (the rerank client vLLM's docs use) reranks through /v1/rerank and /v2/rerank.
// `npm run test:clients` builds the venv (test/clients/setup.sh) first.
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedVector } from '../../src/simulator/simulator.ts';
import { until } from '../support/fake-loki.ts';
import { type BusyRelay, startBusyRelay } from '../support/busy-relay.ts';
import { parsePrometheusText, total } from '../support/prometheus-text.ts';
import { jsonLines, root, startRelayProcess, type RelayProcess } from '../support/relay-process.ts';
import { startTelemetrySink, type TelemetrySink } from '../support/telemetry-sink.ts';

const python = execFileSync('bash', [`${root}test/clients/setup.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const MODEL = 'Qwen/Qwen3-Embedding-4B';
const API_KEY = 'sk-clients-test'; // drive.py's
// Two named callers besides drive.py's own key (named `clients`).
const CALLERS = { search: 'sk-py-search-0b7e52', ingest: 'sk-py-ingest-c93a41' };
const MAX_INPUT_CHARS = 10_000;
const CLIENTS = ['openai-sync', 'openai-async', 'langchain', 'llamaindex', 'litellm'];
let relay: RelayProcess;
let sink: TelemetrySink;

beforeAll(async () => {
  // Inbound auth on: every call below also shows that the SDK's api_key reaches the relay as its key.
  // Tracing on (into a sink): every answer carries the relay's trace id as x-request-id.
  sink = await startTelemetrySink({ keepBodies: false });
  relay = await startRelayProcess({
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    RELAY_API_KEYS: [`clients:${API_KEY}`, ...Object.entries(CALLERS).map(([name, key]) => `${name}:${key}`)].join(','),
    RELAY_MAX_BODY_BYTES: String(1024 * 1024),
    RELAY_MAX_INPUT_CHARS: String(MAX_INPUT_CHARS),
  });
});

afterAll(async () => {
  expect(await relay?.stop()).toBe(0);
  await sink?.close();
});

const drive = (...args: string[]): Record<string, unknown> =>
  JSON.parse(
    execFileSync(python, [`${root}test/clients/drive.py`, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 300_000 }),
  ) as Record<string, unknown>;

describe('Python client SDKs through the relay', { timeout: 300_000 }, () => {
  it.each(CLIENTS)('%s gets the simulator’s vectors, and the relay logs the call', async (client) => {
    const texts = [`hello from ${client}`, '你好，世界'];
    const before = jsonLines(relay.out.stdout).length;
    const out = drive('embed', client, `${relay.url}/v1`, MODEL, ...texts) as { vectors: number[][]; dims: number[] };
    expect(out.dims).toEqual([2560, 2560]);
    texts.forEach((t, i) => {
      const want = Array.from(simulatedVector(t, 2560, 1).subarray(0, 8));
      for (const [j, v] of out.vectors[i]!.entries()) expect(v).toBeCloseTo(want[j]!, 6);
    });
    const logged = () =>
      jsonLines(relay.out.stdout)
        .slice(before)
        .filter((l) => l['event'] === 'embedding_request');
    await until(() => logged().length > 0, 5_000, 'the relay’s log line');
    expect(logged().at(-1)).toMatchObject({
      model: MODEL,
      status: 'ok',
      http_status: 200,
      input_count: 2,
      output_dim: 2560,
      vector_count: 2,
    });
  });

  type Caught = { error?: { class: string; status: number | null; code: string | null; request_id: string | null; message: string } };
  // What each SDK's caller catches: openai's typed errors, with the relay's `code` (LangChain and
  // LlamaIndex let them through); LiteLLM's own, which keep the status and the message, not the code.
  // All five carry the relay's trace id as `request_id`.
  type Raised = { class: string; code: string | null };
  const openai = {
    400: { class: 'openai.BadRequestError', code: 'input_too_long' },
    401: { class: 'openai.AuthenticationError', code: 'invalid_api_key' },
  };
  const RAISES: Record<string, { 400: Raised; 401: Raised }> = {
    'openai-sync': openai,
    'openai-async': openai,
    langchain: openai,
    llamaindex: openai,
    litellm: {
      400: { class: 'litellm.exceptions.BadRequestError', code: null },
      401: { class: 'litellm.exceptions.AuthenticationError', code: null },
    },
  };

  it.each(CLIENTS)('%s: a wrong key is the SDK’s 401 error, with the relay’s message (and its trace id)', async (client) => {
    const before = jsonLines(relay.out.stdout).length;
    const out = drive('error', client, `${relay.url}/v1`, MODEL, 'sk-wrong', 'hello') as Caught;
    expect(out.error, JSON.stringify(out)).toMatchObject({ status: 401, ...RAISES[client]![401] });
    expect(out.error!.message).toContain('Incorrect API key provided.');
    const line = () =>
      jsonLines(relay.out.stdout)
        .slice(before)
        .find((l) => l['http_status'] === 401);
    await until(() => line() !== undefined, 5_000, 'the relay’s log line');
    expect(out.error!.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(out.error!.request_id).toBe(line()!['trace_id']);
  });

  it.each(CLIENTS)('%s: an input over RELAY_MAX_INPUT_CHARS is the SDK’s 400 error, naming the input', (client) => {
    const out = drive('error', client, `${relay.url}/v1`, MODEL, API_KEY, 'ok', 'x'.repeat(MAX_INPUT_CHARS + 1)) as Caught;
    expect(out.error, JSON.stringify(out)).toMatchObject({ status: 400, ...RAISES[client]![400] });
    expect(out.error!.message).toContain(`'input[1]' has ${MAX_INPUT_CHARS + 1} characters; this relay accepts at most ${MAX_INPUT_CHARS}`);
  });

  it.each([
    ['openai-sync', 5],
    ['openai-async', 5],
    ['openai-sync', 50],
    ['openai-async', 50],
  ])('%s, %i MB over a 1 MiB limit, 20 tries: 413 every time, no connection error', (client, mb) => {
    const out = drive('oversized', client, `${relay.url}/v1`, String(mb), '20') as { outcomes: Record<string, number> };
    expect(out.outcomes).toEqual({ '413': 20 });
  });
});

describe('named callers: openai (sync and async) with two named keys', { timeout: 300_000 }, () => {
  it('requests, tokens and errors appear under each caller’s name in /metrics and the log lines; no key appears', async () => {
    const model = 'm-py-callers';
    const before = jsonLines(relay.out.stdout).length;
    for (let i = 0; i < 2; i++) drive('embed-as', 'openai-sync', `${relay.url}/v1`, model, CALLERS.search, 'one two', 'three');
    drive('embed-as', 'openai-async', `${relay.url}/v1`, model, CALLERS.ingest, 'a b c d');
    const refused = drive('error', 'openai-async', `${relay.url}/v1`, model, CALLERS.ingest, 'x'.repeat(MAX_INPUT_CHARS + 1)) as {
      error?: { class: string; status: number; code: string };
    };
    expect(refused.error).toMatchObject({ class: 'openai.BadRequestError', status: 400, code: 'input_too_long' });

    const text = await (await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`)).text();
    const samples = parsePrometheusText(text);
    const count = (caller: string, labels: Record<string, string> = {}) =>
      total(samples, 'gen_ai_client_operation_duration_seconds_count', {
        gen_ai_request_model: model,
        embedding_caller: caller,
        ...labels,
      });
    expect([count('search'), count('ingest')]).toEqual([2, 2]);
    expect([count('search', { error_type: 'input_too_long' }), count('ingest', { error_type: 'input_too_long' })]).toEqual([0, 1]);
    const tokens = (caller: string) =>
      total(samples, 'gen_ai_client_token_usage_sum', {
        gen_ai_request_model: model,
        embedding_caller: caller,
        gen_ai_token_type: 'input',
      });
    // The SIMULATOR counts a token per word: 2 × (2 + 1) for search, 4 for ingest.
    expect([tokens('search'), tokens('ingest')]).toEqual([6, 4]);

    const mine = () =>
      jsonLines(relay.out.stdout)
        .slice(before)
        .filter((l) => l['model'] === model);
    await until(() => mine().length === 4, 5_000, 'the callers’ log lines');
    expect(mine().map((l) => [l['caller'], l['http_status']])).toEqual([
      ['search', 200],
      ['search', 200],
      ['ingest', 200],
      ['ingest', 400],
    ]);
    for (const key of [API_KEY, ...Object.values(CALLERS)]) expect(`${text}${relay.out.stdout}${relay.out.stderr}`).not.toContain(key);
  });
});

describe('rerank clients through the relay (the Cohere SDK, as vLLM documents it)', { timeout: 300_000 }, () => {
  const documents = ['a llama of the Andes', 'a panda in a forest', 'llama wool from the Andes'];

  it.each([
    ['cohere-v1', '/v1/rerank'],
    ['cohere-v2', '/v2/rerank'],
  ])('%s gets the simulator’s ranking from %s, and the relay logs a rerank_request', async (client, route) => {
    const before = jsonLines(relay.out.stdout).length;
    const out = drive('rerank', client, relay.url, MODEL, '2', 'the Andes', ...documents) as { results: [number, number][] };
    expect(out.results).toHaveLength(2);
    expect(out.results[0]![1]).toBeGreaterThanOrEqual(out.results[1]![1]);
    // The panda shares no word with the query: it is not among the best two.
    expect(out.results.map(([i]) => i)).not.toContain(1);
    const logged = () =>
      jsonLines(relay.out.stdout)
        .slice(before)
        .filter((l) => l['event'] === 'rerank_request');
    await until(() => logged().length > 0, 5_000, 'the relay’s log line');
    expect(logged().at(-1)).toMatchObject({ model: MODEL, status: 'ok', http_status: 200, documents: 3, top_n: 2, results: 2 });
  });

  it('a document over RELAY_MAX_INPUT_CHARS is the SDK’s 400 error, with the relay’s message', () => {
    const out = drive('rerank', 'cohere-v2', relay.url, MODEL, '1', 'q', 'ok', 'x'.repeat(MAX_INPUT_CHARS + 1)) as {
      error?: { class: string; status: number; message: string };
    };
    expect(out.error, JSON.stringify(out)).toMatchObject({ status: 400 });
    expect(out.error!.message).toContain(
      `'documents[1]' has ${MAX_INPUT_CHARS + 1} characters; this relay accepts at most ${MAX_INPUT_CHARS}`,
    );
  });
});

describe('openai (sync and async) at the relay’s memory budget', { timeout: 300_000 }, () => {
  // A small budget (4 MiB, no queue) and an upstream that takes 1.5 s: one batch holds all the room
  // large requests may use, so the SDK's batch gets 503 overloaded with Retry-After: 1.
  let busy: BusyRelay;
  beforeAll(async () => {
    busy = await startBusyRelay(MODEL);
  });
  afterAll(async () => {
    expect(await busy?.stop()).toBe(0);
  });

  it.each(['openai-sync', 'openai-async'])(
    '%s, its retry settings as shipped, retries the 503 and ends with the vectors',
    async (client) => {
      const shed = () => jsonLines(busy.relay.out.stdout).filter((l) => l['error_type'] === 'overloaded').length;
      const before = shed();
      const hold = busy.hold();
      await busy.heldNow();
      const out = JSON.parse(
        await new Promise<string>((resolve, reject) =>
          execFile(
            python,
            [`${root}test/clients/drive.py`, 'retried', client, `${busy.relay.url}/v1`, MODEL, '300'],
            { timeout: 60_000 },
            (err, stdout) => (err ? reject(err) : resolve(stdout)),
          ),
        ),
      ) as { count: number; dims: number[] };
      expect(out).toEqual({ count: 300, dims: [8] });
      expect((await hold).status).toBe(200);
      expect(shed()).toBeGreaterThan(before);
    },
  );
});
