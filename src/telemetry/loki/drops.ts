// Log lines the Loki transport gave up on, counted in shared memory. The transport runs in pino's
// worker thread; the main thread's OpenTelemetry meter reads the same SharedArrayBuffer from an
// observable counter (metrics.ts), so no message passing and no lost updates (Atomics).
// No imports: loaded by both threads.

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

/** One 64-bit counter per reason. Pass the buffer through pino.transport's options (workerData shares it). */
export const createLogDropBuffer = (): SharedArrayBuffer => new SharedArrayBuffer(8 * LOG_DROP_REASONS.length);

export function addLogDrops(buffer: SharedArrayBuffer, reason: LogDropReason, lines: number): void {
  if (lines > 0) Atomics.add(new BigInt64Array(buffer), LOG_DROP_REASONS.indexOf(reason), BigInt(lines));
}

export function readLogDrops(buffer: SharedArrayBuffer): Record<LogDropReason, number> {
  const view = new BigInt64Array(buffer);
  return Object.fromEntries(LOG_DROP_REASONS.map((r, i) => [r, Number(Atomics.load(view, i))])) as Record<LogDropReason, number>;
}
