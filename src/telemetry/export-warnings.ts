// What the operator hears when telemetry cannot be exported (a Collector that is down or wrong):
// one concise line, at once and then at most once a minute with a count, instead of the SDK's
// JSON dump of the error object for every failed batch. The spans themselves are counted on
// /metrics (otel_sdk_processor_span_processed_total{error_type}); requests are never affected.
export const EXPORT_WARNING_INTERVAL_MS = 60_000;

/** A short reason: "connect ECONNREFUSED 127.0.0.1:4318", "HTTP 404 ...", or the error's message. */
export function exportFailureReason(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!.slice(0, 300);
  if (typeof err === 'string') return err.split('\n')[0]!.slice(0, 300);
  try {
    const o = err as { message?: unknown; code?: unknown };
    if (typeof o.message === 'string') return o.message.split('\n')[0]!.slice(0, 300);
    return JSON.stringify(err).slice(0, 300);
  } catch {
    return String(err);
  }
}

/** An OpenTelemetry global error handler (setGlobalErrorHandler) that writes rate-limited warnings. */
export function exportFailureReporter(
  write: (line: string) => void,
  now: () => number = Date.now,
  intervalMs = EXPORT_WARNING_INTERVAL_MS,
): (err: unknown) => void {
  let lastAt: number | undefined;
  let suppressed = 0;
  return (err) => {
    const t = now();
    if (lastAt !== undefined && t - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    const more = suppressed > 0 ? ` (${suppressed} more since the last warning)` : '';
    write(
      `embedding-relay: warning: telemetry export failed: ${exportFailureReason(err)}${more}. Spans that cannot be sent are dropped ` +
        'and counted in otel_sdk_processor_span_processed_total{error_type} on /metrics; requests are not affected. ' +
        'Check OTEL_EXPORTER_OTLP_ENDPOINT, or set OTEL_TRACES_EXPORTER=none. At most one such line a minute.',
    );
    lastAt = t;
    suppressed = 0;
  };
}
