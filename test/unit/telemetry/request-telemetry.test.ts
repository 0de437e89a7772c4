// The three projections of one request record (telemetry/span.ts, log-line.ts, request-telemetry.ts) from
// record fixtures, without the OpenTelemetry SDK: each fact is computed once, in the record, and
// the span attributes and the log line say the same thing.
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { newRecord, type RequestRecord } from '../../../src/core/record.ts';
import { validateEmbeddingRequest } from '../../../src/protocol/request.ts';
import { logLevel, logLine } from '../../../src/telemetry/log-line.ts';
import type { RelayMetrics } from '../../../src/telemetry/metrics.ts';
import { BoundedLabels } from '../../../src/telemetry/bounded-labels.ts';
import { RequestTelemetry } from '../../../src/telemetry/request-telemetry.ts';
import { endAttributes, spanName, startAttributes } from '../../../src/telemetry/span.ts';

function fixture(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const rec = newRecord({
    method: 'POST',
    route: '/v1/embeddings',
    operation: 'embeddings',
    providerName: 'vllm',
    serverAddress: 'vllm',
    serverPort: 8000,
  });
  rec.model = 'Qwen/Qwen3-Embedding-4B';
  rec.modelLabel = rec.model;
  rec.request = validateEmbeddingRequest({ model: rec.model, input: ['a', 'bb'], dimensions: 64 }, 8);
  return Object.assign(rec, overrides);
}

const ok = () =>
  fixture({
    httpStatus: 200,
    response: {
      responseModel: 'Qwen/Qwen3-Embedding-4B',
      promptTokens: 3,
      vectorCount: 2,
      dimension: 64,
      vectorsByDimension: new Map([[64, 2]]),
      nonJsonNumbers: false,
      vectors: [],
    },
    inputTokens: 3,
    upstreamS: 0.02,
    durationS: 0.021,
  });

describe('span and log line agree, fact by fact', () => {
  it('a healthy response', () => {
    const rec = ok();
    const span = { ...startAttributes(rec), ...endAttributes(rec) };
    const line = logLine(rec, false);
    expect(spanName(rec)).toBe('embeddings Qwen/Qwen3-Embedding-4B');
    expect(span['gen_ai.request.model']).toBe(line.model);
    expect(span['http.response.status_code']).toBe(line.http_status);
    expect(span['gen_ai.embeddings.dimension.count']).toBe(line.output_dim);
    expect(span['embedding.vector.count']).toBe(line.vector_count);
    expect(span['gen_ai.usage.input_tokens']).toBe(line.input_tokens);
    expect(span['embedding.batch.size']).toBe(line.input_count);
    expect(span['gen_ai.request.encoding_formats']).toEqual([line.encoding_format]);
    expect(span['error.type']).toBeUndefined();
    expect(line).toMatchObject({ status: 'ok', error_type: undefined });
    expect(logLevel(rec)).toBe('info');
  });

  it('an upstream 400 with its message', () => {
    const rec = fixture({
      httpStatus: 400,
      errorType: '400',
      upstreamMessage: 'Token id 999999 is out of vocabulary',
      errorMessage: 'The upstream answered HTTP 400: Token id 999999 is out of vocabulary',
    });
    const span = endAttributes(rec);
    const line = logLine(rec, false);
    expect(span['error.type']).toBe(line.error_type);
    expect(span['embedding.upstream.error.message']).toBe('Token id 999999 is out of vocabulary');
    expect(line.error_message).toBe(`The upstream answered HTTP 400: ${span['embedding.upstream.error.message']}`);
    expect(logLevel(rec)).toBe('warn');
  });

  it('broken vectors: the anomaly kinds on the span, the counts in the log line', () => {
    const rec = ok();
    rec.anomalies = new Map([
      ['norm_out_of_range', 1],
      ['dimension_mismatch', 2],
    ]);
    rec.expectedDimension = 128;
    expect(endAttributes(rec)['embedding.vector.anomaly']).toEqual(['dimension_mismatch', 'norm_out_of_range']);
    expect(endAttributes(rec)['embedding.dimension.expected']).toBe(128);
    expect(logLine(rec, false)).toMatchObject({ anomalies: { norm_out_of_range: 1, dimension_mismatch: 2 }, expected_dim: 128 });
    expect(logLevel(rec)).toBe('warn');
  });

  it('input text only when RELAY_LOG_INPUTS asks for it, and never on the span', () => {
    const rec = ok();
    expect(logLine(rec, false).inputs).toBeUndefined();
    expect(logLine(rec, true).inputs).toEqual(['a', 'bb']);
    expect(JSON.stringify({ ...startAttributes(rec), ...endAttributes(rec) })).not.toContain('"bb"');
  });
});

describe('telemetry/request-telemetry.ts: the end of a request', () => {
  const telemetry = (metrics: RelayMetrics, logger: unknown, labels = { model: new BoundedLabels(0), caller: new BoundedLabels(0) }) =>
    new RequestTelemetry({
      metrics,
      logger: logger as never,
      logInputs: false,
      labels,
      profile: { providerName: 'vllm', usage: 'tokens' },
      server: { address: 'vllm', port: 8000 },
    });
  // The request lines go through a child of the relay's logger (without redaction): here, the fake itself.
  const withChild = <L extends object>(logger: L) => Object.assign(logger, { child: () => logger });
  // A span of the no-op tracer (no SDK in unit tests): what the flow hands over when tracing is off.
  const span = () => trace.getTracer('test').startSpan('embeddings');

  const counting = () => {
    const errors: string[] = [];
    const recorded: RequestRecord[] = [];
    const metrics = {
      telemetryError: (stage: string) => errors.push(stage),
      record: (r: RequestRecord) => recorded.push(r),
      requestEnded: () => {},
    } as unknown as RelayMetrics;
    return { errors, recorded, metrics };
  };

  it('sets the duration and the model label once (_OTHER past the limit), then records metrics and the log line from the same record', () => {
    const { errors, recorded, metrics } = counting();
    const logged: unknown[] = [];
    const logger = withChild({
      info: (l: unknown) => logged.push(l),
      warn: (l: unknown) => logged.push(l),
      error: (l: unknown) => logged.push(l),
    });
    const rec = fixture({ httpStatus: 200, modelLabel: '' });
    telemetry(metrics, logger).project(rec, span);
    expect(rec.durationS).toBeGreaterThan(0);
    expect(rec.modelLabel).toBe('_OTHER');
    expect(recorded).toEqual([rec]);
    expect(logged).toEqual([logLine(rec, false)]);
    expect(errors).toEqual([]);
  });

  it('a failing projection is counted by its stage, the others still run, nothing is thrown', () => {
    const { errors, recorded, metrics } = counting();
    const logger = withChild({
      info: () => {
        throw new Error('stdout closed');
      },
    });
    const rec = fixture({ httpStatus: 200 });
    expect(() => telemetry(metrics, logger).project(rec, span)).not.toThrow();
    expect(recorded).toHaveLength(1);
    expect(errors).toEqual(['log']);
  });
});
