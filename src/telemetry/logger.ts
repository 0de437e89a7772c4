// pino logger: one JSON line per event to stdout, and to Loki when LOKI_URL is set. Lines keep
// pino's native `level` (number) and `time` (epoch ms): the Loki transport reads both to set the
// `level` label and the entry timestamp.
//
// Loki shipping is our own transport (loki/transport.ts) in pino's worker thread, off the request
// path. It replaced pino-loki 3.0, which pushes each 1 s batch exactly once: on connection refused,
// timeout, 5xx or 429 it prints the error to stderr and the batch is gone (no retry), and its
// 10 000-line pre-push buffer silently drops the oldest lines. Ours queues lines within a bound
// (RELAY_LOKI_BUFFER_MAX_LINES/_BYTES), retries with capped backoff until Loki answers 2xx, and
// counts what it has to drop in embedding_relay_log_dropped_total (loki/drops.ts, metrics.ts).
import pino, { type DestinationStream, type Logger } from 'pino';
import { DEFAULTS } from '../config.ts';
import { createLogDropBuffer, readLogDrops } from './loki/drops.ts';
import type { LokiTransportOptions } from './loki/transport.ts';
import { observeLogDrops } from './metrics.ts';

/** The transport module next to this one: loki/transport.ts under vitest/src, loki/transport.js in dist/. */
const LOKI_TRANSPORT = new URL(`./loki/transport${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

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

export interface LoggerOptions {
  level: string;
  serviceName: string;
  lokiUrl: string | undefined;
  lokiBufferMaxLines?: number;
  lokiBufferMaxBytes?: number;
  /** Test seam: write here instead of stdout. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: opts.serviceName },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  const stdout = opts.destination ?? pino.destination({ dest: 1, sync: false });
  if (opts.lokiUrl === undefined) return pino(options, stdout);
  const drops = createLogDropBuffer();
  const transportOptions: LokiTransportOptions = {
    host: opts.lokiUrl,
    // Low-cardinality stream labels only; everything else stays in the JSON line.
    labels: { service_name: opts.serviceName },
    service: opts.serviceName,
    minLevel: pino.levels.values[opts.level] ?? 30,
    maxLines: opts.lokiBufferMaxLines ?? DEFAULTS.lokiBufferMaxLines,
    maxBytes: opts.lokiBufferMaxBytes ?? DEFAULTS.lokiBufferMaxBytes,
    drops,
  };
  const loki = pino.transport({ target: LOKI_TRANSPORT, options: transportOptions }) as DestinationStream;
  observeLogDrops(() => readLogDrops(drops));
  return pino(
    options,
    pino.multistream([
      { stream: stdout, level: opts.level as pino.Level },
      { stream: loki, level: opts.level as pino.Level },
    ]),
  );
}
