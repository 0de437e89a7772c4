// pino logger: one JSON line per event to stdout, and to Loki through pino-loki when LOKI_URL is
// set. pino-loki runs in pino's transport worker thread, batches pushes every second and never
// touches the request path. Lines keep pino's native `level` (number) and `time` (epoch ms):
// pino-loki reads both to set the Loki `level` label and the entry timestamp.
import pino, { type DestinationStream, type Logger } from 'pino';

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
  const loki = pino.transport({
    target: 'pino-loki',
    options: {
      host: opts.lokiUrl,
      // Low-cardinality stream labels only; everything else stays in the JSON line.
      labels: { service_name: opts.serviceName },
      batching: { interval: 1 },
      timeout: 10_000,
      structuredMetaKey: false,
    },
  }) as DestinationStream;
  return pino(options, pino.multistream([{ stream: stdout, level: opts.level as pino.Level }, { stream: loki, level: opts.level as pino.Level }]));
}
