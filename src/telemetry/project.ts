// The three projections of a finished request record: the SERVER span, the metrics and the log
// line, each guarded so a telemetry failure is counted and never reaches the request. The span is
// started here too, and only here (startServerSpan), so its start attributes are one fact.
import { type Context, isSpanContextValid, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { type RequestRecord, secondsSince } from '../relay/record.ts';
import { logLevel, logLine } from './log-line.ts';
import type { RelayMetrics } from './metrics.ts';
import { ATTR_GEN_AI_REQUEST_MODEL, OTHER_VALUE, TRACER_NAME } from './semconv.ts';
import { endAttributes, spanName, startAttributes } from './span.ts';

export interface Projections {
  /** The request's SERVER span, child of the client's context; from the record as it is now. */
  startServerSpan(rec: RequestRecord, parent: Context): Span;
  /** Ends the record (duration), then the span (started now when the request never got one),
   *  metrics and log line. Never throws. */
  finish(rec: RequestRecord, span: Span | undefined, parent: Context): void;
}

export function projections(opts: { metrics: RelayMetrics; logger: Logger; logInputs: boolean }): Projections {
  const tracer = trace.getTracer(TRACER_NAME);
  const { metrics, logger } = opts;
  const startServerSpan = (rec: RequestRecord, parent: Context): Span =>
    tracer.startSpan(spanName(rec), { kind: SpanKind.SERVER, startTime: rec.startEpochMs, attributes: startAttributes(rec) }, parent);

  function endSpan(rec: RequestRecord, span: Span | undefined, parent: Context): void {
    span ??= startServerSpan(rec, parent);
    const sc = span.spanContext();
    if (isSpanContextValid(sc)) {
      rec.traceId = sc.traceId;
      rec.spanId = sc.spanId;
    }
    // A 413's model is known only once the upload it discards names one, after its span started.
    if (rec.model !== undefined) {
      span.updateName(spanName(rec));
      span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, rec.model);
    }
    span.setAttributes(endAttributes(rec));
    const failed = rec.httpStatus >= 500 || (rec.errorType !== undefined && rec.httpStatus < 400);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: rec.errorMessage ?? rec.errorType });
    span.end(rec.answeredNs === undefined ? undefined : rec.startEpochMs + rec.durationS * 1000);
  }

  return {
    startServerSpan,
    finish(rec, span, parent) {
      rec.durationS = secondsSince(rec.startNs, rec.answeredNs);
      rec.modelLabel ||= OTHER_VALUE;
      try {
        endSpan(rec, span, parent);
      } catch {
        metrics.telemetryError('span');
      }
      try {
        metrics.record(rec);
      } catch {
        metrics.telemetryError('metrics');
      }
      try {
        logger[logLevel(rec)](logLine(rec, opts.logInputs));
      } catch {
        metrics.telemetryError('log');
      }
    },
  };
}
