// Log lines the Loki queue gave up on, by reason. The queue (queue.ts) counts them on the main
// thread; the OpenTelemetry meter reads the same counts as an observable counter (metrics.ts).

/** Why a line never reached Loki. Exported as the `error.type` attribute of embedding.relay.log.dropped. */
export const LOG_DROP_REASONS = [
  /** The bounded queue was full (RELAY_LOKI_BUFFER_MAX_LINES / _BYTES): the newest lines are dropped. */
  'buffer_full',
  /** Loki answered 4xx other than 429 (bad request, auth, too large): the batch is not retried. */
  'rejected',
  /** Still queued when the process exited and Loki did not take them within the shutdown flush window. */
  'shutdown',
] as const;
export type LogDropReason = (typeof LOG_DROP_REASONS)[number];

export class LogDropCounts {
  readonly #lines: Record<LogDropReason, number> = { buffer_full: 0, rejected: 0, shutdown: 0 };

  add(reason: LogDropReason, lines: number): void {
    if (lines > 0) this.#lines[reason] += lines;
  }

  /** Every reason, zeros included. */
  read(): Record<LogDropReason, number> {
    return { ...this.#lines };
  }
}
