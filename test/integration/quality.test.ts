// Embedding quality end to end: the simulator returns broken vectors on request
// (x-simulator-fault), and each anomaly shows up in the span, the metrics and the log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/load.ts';
import type { RunningRelay } from '../../src/server/app.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import { ANOMALY_KINDS } from '../../src/core/response-facts.ts';
import { TELEMETRY_STAGES } from '../../src/telemetry/semconv.ts';
import { type LogCapture, relay, scrape, simulator, spansNamed } from '../support/harness.ts';
import { find, total } from '../support/prometheus-text.ts';

let sim: RunningServer;
let r: RunningRelay;
let logs: LogCapture;

beforeAll(async () => {
  sim = await simulator({ dimensions: 64 });
  // Every response gets the full check here (the default samples the norm and duplicate checks:
  // see the RELAY_VECTOR_CHECK_RATE tests below), so each case can be shown with one request.
  ({ relay: r, logs } = await relay({
    upstreamUrl: `${sim.url}/v1`,
    providerName: 'quality',
    expectedDimensions: new Map([['m-configured', 64]]),
    vectorCheckRate: 1,
  }));
});
afterAll(async () => {
  await r.close(100);
  await sim.close();
});

const call = async (model: string, body: Record<string, unknown>, fault?: string) => {
  const res = await fetch(`${r.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(fault ? { [FAULT_HEADER]: fault } : {}) },
    body: JSON.stringify({ model, ...body }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
};
const spans = (model: string) => spansNamed(`embeddings ${model}`);
const anomalyCount = async (model: string, kind: string) =>
  total(await scrape(), 'embedding_vector_anomalies_total', {
    gen_ai_request_model: model,
    embedding_anomaly_kind: kind,
    gen_ai_provider_name: 'quality',
  });
const logsFor = (model: string) => logs.requests().filter((l) => l['model'] === model);

describe('vector anomalies reach span, metrics and log', () => {
  it('a dimension change mid-stream (model swapped behind the relay)', async () => {
    const model = 'm-swap';
    await call(model, { input: ['a', 'b'] }); // learns 64
    await call(model, { input: ['c'], dimensions: 16 }); // an explicit `dimensions` is honoured
    await call(model, { input: ['d', 'e', 'f'] }, 'dims:48'); // the model now answers 48
    const [learn, truncated, swapped] = spans(model);
    expect(learn!.attributes).not.toHaveProperty('embedding.vector.anomaly');
    expect(truncated!.attributes).not.toHaveProperty('embedding.vector.anomaly');
    expect(swapped!.attributes).toMatchObject({
      'embedding.vector.anomaly': ['dimension_mismatch'],
      'embedding.dimension.expected': 64,
      'gen_ai.embeddings.dimension.count': 48,
    });
    expect(await anomalyCount(model, 'dimension_mismatch')).toBe(3);
    const line = logsFor(model).at(-1)!;
    expect(line).toMatchObject({
      level: 40,
      status: 'ok',
      http_status: 200,
      output_dim: 48,
      expected_dim: 64,
      anomalies: { dimension_mismatch: 3 },
    });
    expect(logsFor(model)[0]!['level']).toBe(30);
  });

  it('a configured dimension is enforced from the first response', async () => {
    await call('m-configured', { input: 'x' }, 'dims:32');
    expect(spans('m-configured')[0]!.attributes).toMatchObject({
      'embedding.vector.anomaly': ['dimension_mismatch'],
      'embedding.dimension.expected': 64,
    });
  });

  it.each([
    ['null components', 'm-null', 'null', 'float', 'null_component'],
    ['zero vectors', 'm-zero', 'zero', 'float', 'zero_vector'],
    ['zero vectors (base64)', 'm-zero-b64', 'zero', 'base64', 'zero_vector'],
    ['un-normalised vectors', 'm-unnorm', 'unnormalized', 'float', 'norm_out_of_range'],
    ['base64 vectors with NaN', 'm-nan-b64', 'nan', 'base64', 'nan_component'],
    ['float vectors with a bare NaN (Python json.dumps)', 'm-nan-float', 'nan', 'float', 'nan_component'],
    ['identical vectors for different inputs', 'm-dup', 'duplicate', 'float', 'duplicate_vector'],
  ])('%s', async (_name, model, fault, format, kind) => {
    await call(model, { input: ['first input', 'second input'], encoding_format: format }, fault);
    const span = spans(model);
    expect(span).toHaveLength(1);
    expect(span[0]!.attributes['embedding.vector.anomaly']).toEqual([kind]);
    expect(span[0]!.attributes['http.response.status_code']).toBe(200);
    expect(await anomalyCount(model, kind)).toBe(1);
    expect(logsFor(model)[0]).toMatchObject({ level: 40, status: 'ok', anomalies: { [kind]: 1 } });
  });

  it('a response naming another model: every vector is a model_mismatch, the log line names both models', async () => {
    await call('m-asked', { input: ['first input', 'second input'] }, 'model:m-served');
    const span = spans('m-asked')[0]!;
    expect(span.attributes['embedding.vector.anomaly']).toEqual(['model_mismatch']);
    expect(span.attributes['gen_ai.response.model']).toBe('m-served');
    expect(await anomalyCount('m-asked', 'model_mismatch')).toBe(2);
    expect(logsFor('m-asked')[0]).toMatchObject({
      level: 40,
      status: 'ok',
      model: 'm-asked',
      response_model: 'm-served',
      anomalies: { model_mismatch: 2 },
    });
  });

  it('RELAY_MODEL_MISMATCH_CHECK=false (a gateway that answers with the names its aliases map to): not flagged', async () => {
    const { relay: off } = await relay({ upstreamUrl: `${sim.url}/v1`, modelMismatchCheck: false });
    try {
      const res = await fetch(`${off.url}/v1/embeddings`, {
        method: 'POST',
        headers: { [FAULT_HEADER]: 'model:m-mapped' },
        body: JSON.stringify({ model: 'm-alias', input: ['x', 'y'] }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const span = spans('m-alias')[0]!;
      expect(span.attributes['gen_ai.response.model']).toBe('m-mapped');
      expect(span.attributes).not.toHaveProperty('embedding.vector.anomaly');
    } finally {
      await off.close(100);
    }
  });

  it('healthy responses carry no anomaly anywhere', async () => {
    await call('m-healthy', { input: ['one', 'two'], encoding_format: 'base64' });
    expect(spans('m-healthy')[0]!.attributes).not.toHaveProperty('embedding.vector.anomaly');
    expect(total(await scrape(), 'embedding_vector_anomalies_total', { gen_ai_request_model: 'm-healthy' })).toBe(0);
    expect(logsFor('m-healthy')[0]).not.toHaveProperty('anomalies');
    expect(logsFor('m-healthy')[0]!['level']).toBe(30);
  });

  it("a model's anomaly series exist at 0 from its first request, one per kind, so rate() and absent() alerts have a series", async () => {
    await call('m-fresh', { input: ['one', 'two'] });
    const series = find(await scrape(), 'embedding_vector_anomalies_total', { gen_ai_request_model: 'm-fresh' });
    expect(series.map((s) => s.labels['embedding_anomaly_kind']).sort()).toEqual([...ANOMALY_KINDS].sort());
    expect(series.filter((s) => s.value !== 0)).toEqual([]);
  });

  it('the telemetry-error series exist at 0 for every stage before anything failed', async () => {
    const series = find(await scrape(), 'embedding_relay_telemetry_errors_total');
    expect(series.map((s) => s.labels['embedding_telemetry_stage']).sort()).toEqual([...TELEMETRY_STAGES].sort());
  });
});

describe('sampling', () => {
  it(`at the default RELAY_VECTOR_CHECK_RATE (${DEFAULTS.vectorCheckRate}) a model that breaks every vector's norm is flagged on a sample`, async () => {
    const { relay: rd } = await relay({ upstreamUrl: `${sim.url}/v1` });
    try {
      const n = 200;
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${rd.url}/v1/embeddings`, {
          method: 'POST',
          headers: { [FAULT_HEADER]: 'unnormalized' },
          body: JSON.stringify({ model: 'm-default-rate', input: ['x', 'y'] }),
        });
        await res.arrayBuffer();
      }
      const flagged = spans('m-default-rate').filter((s) => s.attributes['embedding.vector.anomaly'] !== undefined).length;
      // Binomial(200, 0.1): 20 expected; 0 has probability 7e-10, more than 60 far less.
      expect(flagged).toBeGreaterThan(0);
      expect(flagged).toBeLessThan(60);
    } finally {
      await rd.close(100);
    }
  });

  it('RELAY_VECTOR_CHECK_RATE=0 skips the norm and duplicate checks but still checks dimensions and broken vectors', async () => {
    const { relay: r0 } = await relay({
      upstreamUrl: `${sim.url}/v1`,
      vectorCheckRate: 0,
      expectedDimensions: new Map([['m-sampled', 64]]),
    });
    try {
      const faults = ['unnormalized', 'duplicate', 'zero', 'nan', 'null', 'dims:8'];
      for (const fault of faults) {
        for (const encoding_format of ['float', 'base64']) {
          const res = await fetch(`${r0.url}/v1/embeddings`, {
            method: 'POST',
            headers: { [FAULT_HEADER]: fault },
            body: JSON.stringify({ model: 'm-sampled', input: ['x', 'y'], encoding_format }),
          });
          await res.arrayBuffer();
        }
      }
      const anomalies = spans('m-sampled').map((s) => s.attributes['embedding.vector.anomaly'] ?? []);
      expect(anomalies).toEqual([
        [],
        [],
        [],
        [],
        ['zero_vector'],
        ['zero_vector'],
        ['nan_component'],
        ['nan_component'],
        ['null_component'],
        [], // null is a float-array fault; a base64 vector has no null component
        ['dimension_mismatch'],
        ['dimension_mismatch'],
      ]);
    } finally {
      await r0.close(100);
    }
  });
});
