// The upstream calls' CLIENT span and http.client.request.duration (telemetry/upstream-calls.ts):
// attributes, the injected traceparent, and how a call ends (answered, refused, broken, aborted).
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { propagation } from '@opentelemetry/api';
import { type HistogramMetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { beforeEach, describe, expect, it } from 'vitest';
import { UpstreamCalls } from '../../../src/telemetry/upstream-calls.ts';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

// This file's own globals, whatever an earlier file in this worker registered.
trace.disable();
propagation.disable();
metrics.disable();
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
trace.setGlobalTracerProvider(tracerProvider);
/** The spans ended so far (SimpleSpanProcessor exports on a later tick). */
const finished = async () => {
  await tracerProvider.forceFlush();
  return spans.getFinishedSpans();
};
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const reader = new TestReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
const calls = new UpstreamCalls({ address: 'vllm', port: 8000, scheme: 'http' });

async function durations(): Promise<{ attributes: Record<string, unknown>; count: number }[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http.client.request.duration');
  return ((metric as HistogramMetricData | undefined)?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, count: p.value.count }));
}

describe('UpstreamCalls', () => {
  beforeEach(() => spans.reset());

  it('an answered call: a CLIENT span named for the method, its traceparent in the headers, one duration', async () => {
    const headers: Record<string, string | string[]> = { 'user-agent': 'OpenAI/Python 1.0' };
    const watch = calls.start('POST', 'http://vllm:8000/v1/embeddings', headers);
    expect(await finished()).toEqual([]);
    watch.response(200);
    watch.end();
    watch.end();
    const [span, ...more] = await finished();
    expect(more).toEqual([]);
    expect(span!.name).toBe('POST');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': 'http://vllm:8000/v1/embeddings',
      'url.scheme': 'http',
      'server.address': 'vllm',
      'server.port': 8000,
      'network.protocol.version': '1.1',
      'user_agent.original': 'OpenAI/Python 1.0',
      'http.response.status_code': 200,
    });
    expect(headers['traceparent']).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
    expect(await durations()).toContainEqual({
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'server.address': 'vllm',
        'server.port': 8000,
        'url.scheme': 'http',
        'network.protocol.version': '1.1',
      },
      count: 1,
    });
  });

  it('a 4xx/5xx answer is an error of that status; a call that broke is one of its code', async () => {
    const refused = calls.start('POST', 'http://vllm:8000/v1/embeddings', {});
    refused.response(503);
    refused.end();
    const broken = calls.start('POST', 'http://vllm:8000/v1/embeddings', {});
    broken.end(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }));
    const [a, b] = await finished();
    expect([a!.attributes['error.type'], a!.status.code]).toEqual(['503', SpanStatusCode.ERROR]);
    expect([b!.attributes['error.type'], b!.status]).toEqual([
      'ECONNREFUSED',
      { code: SpanStatusCode.ERROR, message: 'connect ECONNREFUSED 127.0.0.1:8000' },
    ]);
    const types = (await durations()).map((d) => d.attributes['error.type']);
    expect(types).toContain('503');
    expect(types).toContain('ECONNREFUSED');
  });

  it('a call the relay aborted (its client left) ends without an error', async () => {
    const watch = calls.start('POST', 'http://vllm:8000/v1/embeddings', {});
    watch.response(200);
    watch.end(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }));
    const [span] = await finished();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes['error.type']).toBeUndefined();
  });
});
