// pino logger: one JSON line per event to stdout, and to Loki when LOKI_URL is set. Lines keep
// pino's native `level` (number) and `time` (epoch ms): the Loki queue reads both to set the
// `level` label and the entry timestamp.
//
// Loki shipping is our own queue (loki/queue.ts) on the main thread: each line pino writes goes to
// stdout and into the queue, which pushes batches every second. Not pino-loki (3.0): it pushes each
// batch exactly once (on connection refused, timeout, 5xx or 429 it prints the error to stderr and
// the batch is gone) and its pre-push buffer silently drops the oldest lines. Ours queues lines
// within a bound (RELAY_LOKI_BUFFER_MAX_LINES/_BYTES), retries with capped backoff until Loki
// answers 2xx, and counts what it has to drop in embedding_relay_log_dropped_total (loki/drops.ts,
// metrics.ts). Not in pino's worker thread (pino.transport) either: the work is a regex per line and
// a stringify per second, less than what a thread's own heap costs.
import pino, { type DestinationStream, type Logger } from 'pino';
import { DEFAULTS } from '../config/load.ts';
import { LogDropCounts } from './loki/drops.ts';
import { LokiQueue } from './loki/queue.ts';
import { observeLogDrops } from './metrics.ts';

/** Never logged, whatever object carries them. */
export const REDACT_PATHS = [
  'authorization',
  'Authorization',
  'api_key',
  'apiKey',
  '["api-key"]',
  'upstreamApiKey',
  '*.authorization',
  '*.Authorization',
  '*.api_key',
  '*.apiKey',
  '*["api-key"]',
  '*.upstreamApiKey',
  'headers.authorization',
  'req.headers.authorization',
];

/** stdout is written in batches: each write is a syscall from libuv's thread pool and a wake-up of
 *  the reader at the pipe's other end, per line otherwise. Lines wait until this many bytes (about
 *  ten request lines) are buffered or STDOUT_FLUSH_MS has passed; pino writes what is left when
 *  the process exits, and close() flushes it. A process killed outright (SIGKILL, out of memory)
 *  loses what was buffered: at most STDOUT_FLUSH_MS of lines. */
export const STDOUT_BATCH_BYTES = 4096;
export const STDOUT_FLUSH_MS = 100;

export interface LoggerOptions {
  level: string;
  serviceName: string;
  lokiUrl: string | undefined;
  lokiBufferMaxLines?: number;
  lokiBufferMaxBytes?: number;
  /** Test seam: write here instead of stdout. */
  destination?: DestinationStream;
}

/** The logger and what ends it: close() pushes what the Loki queue still holds (bounded by its
 *  shutdown flush window), then flushes stdout. */
export interface Logging {
  logger: Logger;
  close(): Promise<void>;
}

type Stdout = DestinationStream & { flush?: (cb: (err?: Error) => void) => void; flushSync?: () => void };

const flushed = (stream: Stdout) => new Promise<void>((resolve) => (stream.flush ? stream.flush(() => resolve()) : resolve()));

/** pino's destination when Loki is on: every line to stdout, then into the queue (without its '\n').
 *  One stream rather than pino.multistream: both take the same levels, and multistream has no
 *  flush(), so the logger's flush would not reach stdout. */
function teeToLoki(stdout: Stdout, queue: LokiQueue): Stdout {
  return {
    write(line: string) {
      stdout.write(line);
      queue.add(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
    flush: (cb) => (stdout.flush ? stdout.flush(cb) : cb()),
    flushSync: () => stdout.flushSync?.(),
  };
}

/** The Logging of a logger made elsewhere (tests pass their own): close() flushes it. */
export const loggingOf = (logger: Logger): Logging => ({
  logger,
  close: () => new Promise<void>((resolve) => logger.flush(() => resolve())),
});

export function createLogging(opts: LoggerOptions): Logging {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: opts.serviceName },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  const stdout: Stdout =
    opts.destination ?? pino.destination({ dest: 1, sync: false, minLength: STDOUT_BATCH_BYTES, periodicFlush: STDOUT_FLUSH_MS });
  if (opts.lokiUrl === undefined) return { logger: pino(options, stdout), close: () => flushed(stdout) };
  const drops = new LogDropCounts();
  const queue = new LokiQueue({
    host: opts.lokiUrl,
    // Low-cardinality stream labels only; everything else stays in the JSON line.
    labels: { service_name: opts.serviceName },
    service: opts.serviceName,
    minLevel: pino.levels.values[opts.level] ?? 30,
    maxLines: opts.lokiBufferMaxLines ?? DEFAULTS.lokiBufferMaxLines,
    maxBytes: opts.lokiBufferMaxBytes ?? DEFAULTS.lokiBufferMaxBytes,
    drops,
    // The queue's notices (push failing, lines dropped) go to stdout only.
    notice: (line) => stdout.write(line),
  });
  observeLogDrops(() => drops.read());
  return {
    logger: pino(options, teeToLoki(stdout, queue)),
    close: async () => {
      await queue.close();
      await flushed(stdout);
    },
  };
}
