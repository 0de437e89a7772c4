// The one table of options: env name, flag, default, parser and help of each. config.ts reads it
// (flags over env over defaults); --help, the README table and docs/configuration.md come from it.
import {
  boolean,
  decimal,
  dimensionMap,
  httpUrl,
  httpUrlWithCredentials,
  integer,
  keyList,
  nonEmptyText,
  oneOf,
  type Parser,
} from './parsers.ts';

export interface Option<T> {
  readonly env: string;
  readonly flag: string;
  readonly parse: Parser<T>;
  readonly help: string;
  /** Shown in --help and README; secrets are never echoed. */
  readonly secret?: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The one defaults object. `undefined` means "not set" (feature off or derived). */
export const DEFAULTS = {
  host: '0.0.0.0',
  port: 8080,
  upstreamUrl: undefined as string | undefined,
  upstreamApiKey: undefined as string | undefined,
  apiKeys: undefined as readonly string[] | undefined,
  providerName: undefined as string | undefined,
  upstreamUsage: 'auto' as 'auto' | 'tokens' | 'characters',
  maxBodyBytes: 16 * 1024 * 1024,
  maxBatch: 2048,
  maxInputChars: 1_000_000,
  clientHeadersTimeoutMs: 10_000,
  clientRequestTimeoutMs: 120_000,
  maxHeaderBytes: 16 * 1024,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  upstreamConnections: 128,
  shutdownGraceMs: 10_000,
  inspectMaxBytes: 64 * 1024 * 1024,
  estimateTokens: false,
  logInputs: false,
  logLevel: 'info' as LogLevel,
  maxModelLabels: 20,
  expectedDimensions: undefined as ReadonlyMap<string, number> | undefined,
  vectorCheckRate: 0.1,
  vectorNormCheck: true,
  vectorNormMin: 0.98,
  vectorNormMax: 1.02,
  lokiUrl: undefined as string | undefined,
  lokiBufferMaxLines: 100_000,
  lokiBufferMaxBytes: 64 * 1024 * 1024,
  canaryIntervalMs: 0,
  canaryModel: undefined as string | undefined,
  canaryBaselineFile: 'canary-baseline.json',
  gpu: 'auto' as 'auto' | 'on' | 'off',
  gpuCommand: 'nvidia-smi',
  gpuIntervalMs: 10_000,
  serviceName: 'embedding-relay',
  metricsHost: '0.0.0.0',
  metricsPort: 9464,
  simulatorHost: '127.0.0.1',
  simulatorPort: 0,
  simulatorModel: 'Qwen/Qwen3-Embedding-4B',
  simulatorDimensions: 2560,
  simulatorSeed: 1,
  simulatorLatencyMs: 5,
  simulatorLatencyPerTokenMs: 0.02,
  simulatorFailRate: 0,
};

export type Config = typeof DEFAULTS;
export type Key = keyof Config;

export const OPTIONS: { [K in Key]: Option<NonNullable<Config[K]>> } = {
  host: { env: 'RELAY_HOST', flag: 'host', parse: nonEmptyText, help: 'Address the relay listens on.' },
  port: { env: 'RELAY_PORT', flag: 'port', parse: integer(0, 65535), help: 'Port the relay listens on (0 = any free port).' },
  upstreamUrl: {
    env: 'RELAY_UPSTREAM_URL',
    flag: 'upstream-url',
    parse: httpUrl,
    help: 'Base URL of the OpenAI-compatible server, as an OpenAI SDK base_url (e.g. http://vllm:8000/v1). Unset: start the built-in SIMULATOR.',
  },
  upstreamApiKey: {
    env: 'RELAY_UPSTREAM_API_KEY',
    flag: 'upstream-api-key',
    parse: nonEmptyText,
    secret: true,
    help: "Bearer key sent upstream instead of the client's Authorization header.",
  },
  apiKeys: {
    env: 'RELAY_API_KEYS',
    flag: 'api-keys',
    parse: keyList,
    secret: true,
    help: 'Inbound auth: keys clients must send (Authorization: Bearer <key> or api-key: <key>), comma-separated; 401 otherwise. Unset: no inbound auth.',
  },
  providerName: {
    env: 'RELAY_PROVIDER_NAME',
    flag: 'provider-name',
    parse: nonEmptyText,
    help: 'gen_ai.provider.name (vllm, sglang, tei, ollama, openai, ...). Unset: "simulator" for the simulator, "openai" for api.openai.com, else "_OTHER".',
  },
  upstreamUsage: {
    env: 'RELAY_UPSTREAM_USAGE',
    flag: 'upstream-usage',
    parse: oneOf(['auto', 'tokens', 'characters'] as const),
    help: "What the upstream's usage.prompt_tokens counts. auto: characters for infinity (RELAY_PROVIDER_NAME, or detected from its model list), else tokens. Characters are logged as input_characters, never as tokens.",
  },
  maxBodyBytes: {
    env: 'RELAY_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    parse: integer(1, 1024 ** 3),
    help: 'Largest request body accepted (413 above).',
  },
  maxBatch: { env: 'RELAY_MAX_BATCH', flag: 'max-batch', parse: integer(1, 1_000_000), help: 'Most inputs per request (400 above).' },
  maxInputChars: {
    env: 'RELAY_MAX_INPUT_CHARS',
    flag: 'max-input-chars',
    parse: integer(1, 1024 ** 3),
    help: 'Longest string input, in characters (400 input_too_long above).',
  },
  clientHeadersTimeoutMs: {
    env: 'RELAY_CLIENT_HEADERS_TIMEOUT_MS',
    flag: 'client-headers-timeout-ms',
    parse: integer(100, 3_600_000),
    help: 'A client must send its request headers within this time (408 and close otherwise: slow-client protection).',
  },
  clientRequestTimeoutMs: {
    env: 'RELAY_CLIENT_REQUEST_TIMEOUT_MS',
    flag: 'client-request-timeout-ms',
    parse: integer(100, 3_600_000),
    help: 'A client must send its whole request, body included, within this time (408 and close otherwise).',
  },
  maxHeaderBytes: {
    env: 'RELAY_MAX_HEADER_BYTES',
    flag: 'max-header-bytes',
    parse: integer(1024, 1024 * 1024),
    help: 'Largest request header block accepted (431 above).',
  },
  connectTimeoutMs: {
    env: 'RELAY_CONNECT_TIMEOUT_MS',
    flag: 'connect-timeout-ms',
    parse: integer(1, 3_600_000),
    help: 'Upstream TCP connect timeout (502 when exceeded).',
  },
  headersTimeoutMs: {
    env: 'RELAY_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    parse: integer(1, 3_600_000),
    help: 'Time allowed for the upstream response headers (504 when exceeded).',
  },
  bodyTimeoutMs: {
    env: 'RELAY_BODY_TIMEOUT_MS',
    flag: 'body-timeout-ms',
    parse: integer(1, 3_600_000),
    help: 'Longest idle gap while reading the upstream body.',
  },
  upstreamConnections: {
    env: 'RELAY_UPSTREAM_CONNECTIONS',
    flag: 'upstream-connections',
    parse: integer(1, 100_000),
    help: 'Keep-alive pool size to the upstream.',
  },
  shutdownGraceMs: {
    env: 'RELAY_SHUTDOWN_GRACE_MS',
    flag: 'shutdown-grace-ms',
    parse: integer(0, 3_600_000),
    help: 'On SIGTERM/SIGINT: stop accepting, then wait this long for in-flight requests before closing their connections.',
  },
  inspectMaxBytes: {
    env: 'RELAY_INSPECT_MAX_BYTES',
    flag: 'inspect-max-bytes',
    parse: integer(0, 1024 ** 3),
    help: 'Largest upstream response inspected for usage/dimension (larger ones are relayed, not inspected).',
  },
  estimateTokens: {
    env: 'RELAY_ESTIMATE_TOKENS',
    flag: 'estimate-tokens',
    parse: boolean,
    help: 'Estimate input tokens (chars/4) when the upstream reports no usage; marked estimated.',
  },
  logInputs: {
    env: 'RELAY_LOG_INPUTS',
    flag: 'log-inputs',
    parse: boolean,
    help: 'Include input text in the request log line (privacy: off by default).',
  },
  logLevel: { env: 'RELAY_LOG_LEVEL', flag: 'log-level', parse: oneOf(LOG_LEVELS), help: 'pino log level.' },
  maxModelLabels: {
    env: 'RELAY_MAX_MODEL_LABELS',
    flag: 'max-model-labels',
    parse: integer(1, 10_000),
    help: 'Distinct model names kept as metric labels; later ones become _OTHER.',
  },
  expectedDimensions: {
    env: 'RELAY_EXPECTED_DIMENSIONS',
    flag: 'expected-dimensions',
    parse: dimensionMap,
    help: "Dimension each model must return, e.g. Qwen/Qwen3-Embedding-4B=2560. Unset models: learned from their first healthy response. A request's own `dimensions` always wins.",
  },
  vectorCheckRate: {
    env: 'RELAY_VECTOR_CHECK_RATE',
    flag: 'vector-check-rate',
    parse: decimal(0, 1),
    help: 'Share of responses whose vectors also get the norm-band and duplicate checks. Dimensions and broken vectors (null, NaN, Infinity, all zero) are checked on every response.',
  },
  vectorNormCheck: {
    env: 'RELAY_VECTOR_NORM_CHECK',
    flag: 'vector-norm-check',
    parse: boolean,
    help: 'Check that vectors are L2-normalised (turn off for models that return raw vectors).',
  },
  vectorNormMin: {
    env: 'RELAY_VECTOR_NORM_MIN',
    flag: 'vector-norm-min',
    parse: decimal(0, 1_000_000),
    help: 'Smallest acceptable L2 norm.',
  },
  vectorNormMax: {
    env: 'RELAY_VECTOR_NORM_MAX',
    flag: 'vector-norm-max',
    parse: decimal(0, 1_000_000),
    help: 'Largest acceptable L2 norm.',
  },
  lokiUrl: {
    env: 'LOKI_URL',
    flag: 'loki-url',
    parse: httpUrlWithCredentials,
    help: 'Loki base URL; lines go to <LOKI_URL>/loki/api/v1/push, any path prefix kept (Loki: http://loki:3100; VictoriaLogs: http://victorialogs:9428/insert); user:password@ becomes Basic auth. Unset: logs go to stdout only.',
  },
  lokiBufferMaxLines: {
    env: 'RELAY_LOKI_BUFFER_MAX_LINES',
    flag: 'loki-buffer-max-lines',
    parse: integer(1, 100_000_000),
    help: 'Log lines queued for Loki while it is slow or down (retried until it answers); past this, new lines are dropped and counted in embedding_relay_log_dropped_total.',
  },
  lokiBufferMaxBytes: {
    env: 'RELAY_LOKI_BUFFER_MAX_BYTES',
    flag: 'loki-buffer-max-bytes',
    parse: integer(1024, 1024 ** 3),
    help: 'UTF-8 bytes of log lines queued for Loki; past this, new lines are dropped and counted like RELAY_LOKI_BUFFER_MAX_LINES.',
  },
  canaryIntervalMs: {
    env: 'RELAY_CANARY_INTERVAL_MS',
    flag: 'canary-interval-ms',
    parse: integer(0, 86_400_000),
    help: 'Semantic drift canary: probe every this many ms (0 = off).',
  },
  canaryModel: {
    env: 'RELAY_CANARY_MODEL',
    flag: 'canary-model',
    parse: nonEmptyText,
    help: 'Semantic drift canary: model to probe (required when the canary is on).',
  },
  canaryBaselineFile: {
    env: 'RELAY_CANARY_BASELINE_FILE',
    flag: 'canary-baseline-file',
    parse: nonEmptyText,
    help: 'Semantic drift canary: baseline vectors, written on the first probe (or supply your own).',
  },
  gpu: {
    env: 'RELAY_GPU',
    flag: 'gpu',
    parse: oneOf(['auto', 'on', 'off'] as const),
    help: 'GPU gauges from nvidia-smi: auto = when the command is found, on = always (failures are counted), off.',
  },
  gpuCommand: {
    env: 'RELAY_GPU_COMMAND',
    flag: 'gpu-command',
    parse: nonEmptyText,
    help: 'nvidia-smi executable (name on PATH or a path).',
  },
  gpuIntervalMs: {
    env: 'RELAY_GPU_INTERVAL_MS',
    flag: 'gpu-interval-ms',
    parse: integer(1_000, 3_600_000),
    help: 'GPU poll interval; one nvidia-smi call may run at most min(interval, 5 s).',
  },
  serviceName: { env: 'OTEL_SERVICE_NAME', flag: 'service-name', parse: nonEmptyText, help: 'service.name of traces, metrics and logs.' },
  metricsHost: {
    env: 'OTEL_EXPORTER_PROMETHEUS_HOST',
    flag: 'metrics-host',
    parse: nonEmptyText,
    help: 'Address of the Prometheus /metrics endpoint.',
  },
  metricsPort: {
    env: 'OTEL_EXPORTER_PROMETHEUS_PORT',
    flag: 'metrics-port',
    parse: integer(0, 65535),
    help: 'Port of the Prometheus /metrics endpoint.',
  },
  simulatorHost: { env: 'RELAY_SIMULATOR_HOST', flag: 'simulator-host', parse: nonEmptyText, help: 'SIMULATOR: listen address.' },
  simulatorPort: {
    env: 'RELAY_SIMULATOR_PORT',
    flag: 'simulator-port',
    parse: integer(0, 65535),
    help: 'SIMULATOR: port (0 = any free port).',
  },
  simulatorModel: {
    env: 'RELAY_SIMULATOR_MODEL',
    flag: 'simulator-model',
    parse: nonEmptyText,
    help: 'SIMULATOR: model id listed by /v1/models.',
  },
  simulatorDimensions: {
    env: 'RELAY_SIMULATOR_DIMENSIONS',
    flag: 'simulator-dimensions',
    parse: integer(1, 65536),
    help: 'SIMULATOR: full vector dimension (requests may truncate with `dimensions`).',
  },
  simulatorSeed: {
    env: 'RELAY_SIMULATOR_SEED',
    flag: 'simulator-seed',
    parse: integer(0, 2 ** 31 - 1),
    help: 'SIMULATOR: seed; another seed behaves like another model.',
  },
  simulatorLatencyMs: {
    env: 'RELAY_SIMULATOR_LATENCY_MS',
    flag: 'simulator-latency-ms',
    parse: decimal(0, 600_000),
    help: 'SIMULATOR: fixed latency per request.',
  },
  simulatorLatencyPerTokenMs: {
    env: 'RELAY_SIMULATOR_LATENCY_PER_TOKEN_MS',
    flag: 'simulator-latency-per-token-ms',
    parse: decimal(0, 1000),
    help: 'SIMULATOR: added latency per input token.',
  },
  simulatorFailRate: {
    env: 'RELAY_SIMULATOR_FAIL_RATE',
    flag: 'simulator-fail-rate',
    parse: decimal(0, 1),
    help: 'SIMULATOR: share of requests answered 500 (fault injection).',
  },
};
