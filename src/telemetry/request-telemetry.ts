// One request's telemetry from its arrival to its end, with one start and one finish:
// `RequestTelemetry.begin` makes the record and counts the request in flight; the flow fills the
// record; `Recording.end` projects it onto the SERVER span, the metrics and the log line, each
// guarded so that a telemetry failure is counted and never reaches the request. The SERVER span
// is started in one place too (`Recording.span`), when the flow first needs it: once the body is
// parsed (its start attributes are then what a sampler may look at), or as an early refusal is
// answered, or at the end for a request that needed none.
import type { IncomingMessage } from 'node:http';
import { type Context, context, isSpanContextValid, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER } from '../core/headers.ts';
import { newRecord, type Operation, type RequestRecord, secondsSince } from '../core/record.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';
import { logLevel, logLine } from './log-line.ts';
import type { RelayMetrics } from './metrics.ts';
import type { BoundedLabels } from './bounded-labels.ts';
import { ATTR_GEN_AI_REQUEST_MODEL, TRACER_NAME } from './semconv.ts';
import { endAttributes, spanName, startAttributes } from './span.ts';

export interface RequestTelemetryOptions {
  metrics: RelayMetrics;
  logger: Logger;
  logInputs: boolean;
  /** The model and caller names' metric labels, each bounded. */
  labels: { model: BoundedLabels; caller: BoundedLabels };
  /** The provider name, read per request (the start-up check may fill it in). */
  profile: UpstreamProfile;
  /** The upstream's host and port (server.address, server.port). */
  server: { address: string; port: number };
}

export class RequestTelemetry {
  readonly #opts: RequestTelemetryOptions;
  readonly #tracer = trace.getTracer(TRACER_NAME);
  /** The request lines' logger: the relay's, without its redaction. A request line is built field
   *  by field from the record (log-line.ts) and has no place for a credential, so the redaction's
   *  walk over every line's keys would find nothing, and it costs more than the line itself. */
  readonly #requestLog: Logger;

  constructor(opts: RequestTelemetryOptions) {
    this.#opts = opts;
    this.#requestLog = opts.logger.child({}, { redact: [] });
  }

  /** A request has arrived: its record, in flight until `end`. `route`: the route template it
   *  matched, undefined when none did; `operation`: the GenAI operation it is, if any. */
  begin(req: IncomingMessage, route: string | undefined, operation: Operation | undefined): Recording {
    const method = req.method ?? 'GET';
    this.#opts.metrics.requestStarted(method);
    const rec = newRecord({
      method,
      route,
      operation,
      providerName: this.#opts.profile.providerName,
      serverAddress: this.#opts.server.address,
      serverPort: this.#opts.server.port,
    });
    return new Recording(rec, propagation.extract(context.active(), req.headers), this);
  }

  /** The SERVER span, child of the client's context, from the record as it is now. */
  startSpan(rec: RequestRecord, parent: Context): Span {
    return this.#tracer.startSpan(
      spanName(rec),
      { kind: SpanKind.SERVER, startTime: rec.startEpochMs, attributes: startAttributes(rec) },
      parent,
    );
  }

  /** The three projections of a finished record (`span` gives its SERVER span); never throws. */
  project(rec: RequestRecord, span: () => Span): void {
    const { metrics, labels, logInputs } = this.#opts;
    rec.durationS = secondsSince(rec.startNs, rec.endNs);
    rec.modelLabel = labels.model.label(rec.model);
    if (rec.caller !== undefined) rec.callerLabel = labels.caller.label(rec.caller);
    try {
      endSpan(rec, span());
    } catch {
      metrics.telemetryError('span');
    }
    try {
      metrics.record(rec);
    } catch {
      metrics.telemetryError('metrics');
    }
    try {
      this.#requestLog[logLevel(rec)](logLine(rec, logInputs));
    } catch {
      metrics.telemetryError('log');
    }
    metrics.requestEnded(rec.method);
  }
}

/** One request in flight: its record, its span once started, and its end. */
export class Recording {
  readonly rec: RequestRecord;
  readonly #parent: Context;
  readonly #telemetry: RequestTelemetry;
  #span: Span | undefined;
  #ended = false;

  constructor(rec: RequestRecord, parent: Context, telemetry: RequestTelemetry) {
    this.rec = rec;
    this.#parent = parent;
    this.#telemetry = telemetry;
  }

  /** The request's SERVER span, started on the first call. */
  span(): Span {
    this.#span ??= this.#telemetry.startSpan(this.rec, this.#parent);
    return this.#span;
  }

  /** The context the request's own calls run in (the upstream call's CLIENT span is its child). */
  context(): Context {
    return trace.setSpan(this.#parent, this.span());
  }

  /** The relay's trace id as the answer's request id, so a caller holding a response or an error
   *  finds its log line (trace_id) and its trace. None when the relay does not trace. */
  requestIdHeader(): Record<string, string> {
    const spanContext = this.span().spanContext();
    return isSpanContextValid(spanContext) ? { [REQUEST_ID_HEADER]: spanContext.traceId } : {};
  }

  /** The request is over: its record is projected, once. Never throws. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#telemetry.project(this.rec, () => this.span());
  }
}

function endSpan(rec: RequestRecord, span: Span): void {
  const spanContext = span.spanContext();
  if (isSpanContextValid(spanContext)) {
    rec.traceId = spanContext.traceId;
    rec.spanId = spanContext.spanId;
  }
  // A 413's model is known only once the upload it discards names one, after its span started.
  if (rec.model !== undefined && rec.operation !== undefined) {
    span.updateName(spanName(rec));
    span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, rec.model);
  }
  span.setAttributes(endAttributes(rec));
  const failed = rec.httpStatus >= 500 || (rec.errorType !== undefined && rec.httpStatus < 400);
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: rec.errorMessage ?? rec.errorType });
  span.end(rec.endNs === undefined ? undefined : rec.startEpochMs + rec.durationS * 1000);
}
