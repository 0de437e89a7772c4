// The upstream calls as the HTTP client conventions describe them: a CLIENT span, child of the
// request's SERVER span, with `traceparent` injected into the call's headers so the model server's
// own spans join the trace, and http.client.request.duration. The relay's one HTTP client is its
// Upstream (upstream/client.ts), which shows each call to this observer.
//
// Not @opentelemetry/instrumentation-undici: it watches every undici request through diagnostics
// channels, rebuilds the URL and parses the headers of each to learn what the relay already knows
// (method, host, port, path), and on single-input requests it was 15 % of the relay's CPU
// (bench/RESULTS.md). The trade: no network.peer.address/port (undici does not hand the socket
// to a caller) and no url.path/url.query/http.request.method_original; the rest is the same.
import {
  type Attributes,
  context,
  type Histogram,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { CallObserver, CallWatch } from '../upstream/client.ts';
import * as semconv from './semconv.ts';

export class UpstreamCalls implements CallObserver {
  readonly #tracer = trace.getTracer(semconv.TRACER_NAME);
  readonly #duration: Histogram;
  /** What every call shares, on the span and the metric. */
  readonly #server: Attributes;

  constructor(server: { address: string; port: number; scheme: string }) {
    this.#server = {
      [semconv.ATTR_SERVER_ADDRESS]: server.address,
      [semconv.ATTR_SERVER_PORT]: server.port,
      [semconv.ATTR_URL_SCHEME]: server.scheme,
      [semconv.ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
    };
    const spec = semconv.METRIC_HTTP_CLIENT_DURATION;
    this.#duration = metrics.getMeter(semconv.METER_NAME).createHistogram(spec.name, {
      unit: spec.unit,
      description: spec.description,
      advice: { explicitBucketBoundaries: semconv.HTTP_CLIENT_DURATION_BUCKETS_S },
    });
  }

  start(method: string, url: string, headers: Record<string, string | string[]>): CallWatch {
    const startMs = performance.now();
    const attributes: Attributes = { [semconv.ATTR_HTTP_REQUEST_METHOD]: method, [semconv.ATTR_URL_FULL]: url, ...this.#server };
    const agent = headers['user-agent'];
    if (typeof agent === 'string') attributes[semconv.ATTR_USER_AGENT_ORIGINAL] = agent;
    const parent = context.active();
    const span = this.#tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
    propagation.inject(trace.setSpan(parent, span), headers);
    const measured: Attributes = { [semconv.ATTR_HTTP_REQUEST_METHOD]: method, ...this.#server };
    let ended = false;
    return {
      response: (status) => {
        measured[semconv.ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
        span.setAttribute(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (status >= 400) failed(span, measured, String(status));
      },
      end: (failure) => {
        if (ended) return;
        ended = true;
        // A call the relay aborted (its client left) ended, it did not fail.
        if (failure !== undefined && !aborted(failure)) failed(span, measured, errorType(failure), (failure as Error).message);
        span.end();
        this.#duration.record((performance.now() - startMs) / 1000, measured);
      },
    };
  }
}

function failed(span: Span, measured: Attributes, type: string, message?: string): void {
  measured[semconv.ATTR_ERROR_TYPE] = type;
  span.setAttribute(semconv.ATTR_ERROR_TYPE, type);
  span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message });
}

/** undici's error code (UND_ERR_CONNECT_TIMEOUT, ECONNREFUSED, …), else the error's name. */
const errorType = (err: unknown): string => {
  const e = err as { code?: unknown; name?: unknown };
  return typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
};

const aborted = (err: unknown): boolean => {
  const e = err as { code?: unknown; name?: unknown };
  return e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED';
};
