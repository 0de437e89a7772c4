// Configuration: one table of options (env name, flag, default, parser, help), read from CLI flags
// over environment variables over defaults. Every bad value fails start-up with one exact line.
//
// The parsers are hand-written rather than zod schemas because the message *is* the product here:
// each parser owns the "expected ..." phrase printed to the operator, and zod's generic issue text
// ("Invalid input: expected number, received NaN") is worse for that. zod validates request bodies.
import { parseArgs } from 'node:util';

type Parser<T> = (raw: string) => T;

class ParseError extends Error {}

const integer =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ParseError(`expected an integer from ${min} to ${max}`);
    }
    return Number(raw);
  };

const decimal =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const n = Number(raw);
    if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw) || n < min || n > max) {
      throw new ParseError(`expected a number from ${min} to ${max}`);
    }
    return n;
  };

const boolean: Parser<boolean> = (raw) => {
  const v = raw.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ParseError('expected true or false');
};

const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new ParseError(`expected one of ${values.join(', ')}`);
    return raw as T;
  };

const httpUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ParseError('expected an absolute http:// or https:// URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ParseError('expected an absolute http:// or https:// URL');
  }
  if (url.search !== '' || url.hash !== '') throw new ParseError('expected a URL without query or fragment');
  return url.href.replace(/\/+$/, '');
};

/** An http(s) URL whose user and password (if any) decode: LOKI_URL's become Basic auth. */
const httpUrlWithCredentials: Parser<string> = (raw) => {
  const href = httpUrl(raw);
  const url = new URL(href);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new ParseError('expected the user and password to be percent-encoded (a literal % is %25)');
  }
  return href;
};

/** A URL's password never appears in a start-up error. */
function withoutPassword(raw: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i.exec(raw);
  return m ? raw.replace(m[0], `${m[1]}<redacted>@`) : raw;
}

/** `model=dim,model2=dim2` → Map (model names may contain '/', ':' and '-'). */
const dimensionMap: Parser<ReadonlyMap<string, number>> = (raw) => {
  const map = new Map<string, number>();
  for (const part of raw.split(',')) {
    const eq = part.lastIndexOf('=');
    const model = part.slice(0, eq).trim();
    const dim = part.slice(eq + 1).trim();
    if (eq <= 0 || model === '' || !/^\d+$/.test(dim) || Number(dim) < 1 || Number(dim) > 65536) {
      throw new ParseError('expected model=dimension pairs separated by commas, e.g. Qwen/Qwen3-Embedding-4B=2560');
    }
    map.set(model, Number(dim));
  }
  return map;
};

/** `key1,key2`: a comma-separated list of non-empty keys without whitespace. */
const keyList: Parser<readonly string[]> = (raw) => {
  const keys = raw.split(',').map((k) => k.trim());
  if (keys.some((k) => k === '' || /\s/.test(k))) throw new ParseError('expected comma-separated keys without spaces, e.g. key-1,key-2');
  return keys;
};

const nonEmptyText: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new ParseError('expected a non-empty string');
  return raw;
};

interface Option<T> {
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
  vectorCheckRate: 1,
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
type Key = keyof Config;

const OPTIONS: { [K in Key]: Option<NonNullable<Config[K]>> } = {
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
    help: 'Share of responses whose vectors are checked for null/NaN/Inf/zero/norm/duplicates (dimensions are always checked).',
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Command = 'relay' | 'simulator' | 'help' | 'version';

export interface LoadedConfig {
  command: Command;
  config: Config;
}

/** Reads flags over env over defaults. Throws ConfigError with an exact, one-line message. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): LoadedConfig {
  const keys = Object.keys(OPTIONS) as Key[];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        ...Object.fromEntries(keys.map((k) => [OPTIONS[k].flag, { type: 'string' as const }])),
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
  const positionals = parsed.positionals;
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'simulator')) {
    throw new ConfigError(`Unknown command "${positionals.join(' ')}": expected no command (run the relay) or "simulator".`);
  }
  const command: Command =
    parsed.values['help'] === true
      ? 'help'
      : parsed.values['version'] === true
        ? 'version'
        : positionals[0] === 'simulator'
          ? 'simulator'
          : 'relay';

  const config = { ...DEFAULTS } as Record<Key, unknown>;
  for (const key of keys) {
    const opt = OPTIONS[key] as Option<unknown>;
    const fromFlag = parsed.values[opt.flag];
    const fromEnv = env[opt.env];
    const [source, raw] =
      typeof fromFlag === 'string'
        ? [`--${opt.flag}`, fromFlag]
        : fromEnv !== undefined && fromEnv !== ''
          ? [opt.env, fromEnv]
          : [undefined, undefined];
    // An empty secret-bearing key list must not silently mean "no auth" (a templated secret that came out empty).
    if (key === 'apiKeys' && fromEnv === '' && typeof fromFlag !== 'string') {
      throw new ConfigError('RELAY_API_KEYS is set but empty: give at least one key, or unset it to run without inbound auth.');
    }
    if (source === undefined || raw === undefined) continue;
    try {
      config[key] = opt.parse(raw);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      const shown = opt.secret ? '<redacted>' : JSON.stringify(withoutPassword(raw));
      throw new ConfigError(`Invalid ${source}=${shown}: ${err.message}.`);
    }
  }
  if ((config['canaryIntervalMs'] as number) > 0 && config['canaryModel'] === undefined) {
    throw new ConfigError('RELAY_CANARY_MODEL (--canary-model) is required when RELAY_CANARY_INTERVAL_MS is above 0.');
  }
  if ((config['clientHeadersTimeoutMs'] as number) > (config['clientRequestTimeoutMs'] as number)) {
    throw new ConfigError(
      'RELAY_CLIENT_HEADERS_TIMEOUT_MS must not be larger than RELAY_CLIENT_REQUEST_TIMEOUT_MS (the request timeout includes the headers).',
    );
  }
  // service.name precedence per the OTel spec: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then ours.
  if (typeof parsed.values[OPTIONS.serviceName.flag] !== 'string' && !env['OTEL_SERVICE_NAME']) {
    const fromResource = serviceNameFromResourceAttributes(env['OTEL_RESOURCE_ATTRIBUTES']);
    if (fromResource !== undefined) config['serviceName'] = fromResource;
  }
  return { command, config: config as Config };
}

/** `service.name` out of OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, values percent-encoded). */
export function serviceNameFromResourceAttributes(value: string | undefined): string | undefined {
  for (const pair of (value ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === 'service.name') {
      const raw = pair.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw) || undefined;
      } catch {
        return raw || undefined;
      }
    }
  }
  return undefined;
}

/** OTEL_SDK_DISABLED=true turns the whole SDK off (no spans, no metrics endpoint). */
export const sdkDisabled = (env: NodeJS.ProcessEnv): boolean => String(env['OTEL_SDK_DISABLED']).trim().toLowerCase() === 'true';

/** The text of --help: every option with its env variable and default. */
export function helpText(): string {
  const lines = [
    'embedding-relay: OpenTelemetry-native relay for OpenAI-compatible /v1/embeddings servers.',
    '',
    'Usage: embedding-relay [options]            run the relay (no upstream URL: starts the built-in SIMULATOR)',
    '       embedding-relay simulator [options]  run only the embeddings SIMULATOR (a fake model server)',
    '       embedding-relay --version | --help',
    '',
    'Every option is a flag (--name=value) or an environment variable; flags win. Defaults in [].',
    '',
  ];
  for (const key of Object.keys(OPTIONS) as Key[]) {
    const opt = OPTIONS[key] as Option<unknown>;
    const def = DEFAULTS[key];
    lines.push(`  --${opt.flag}  (${opt.env})  [${def === undefined ? 'unset' : String(def)}]`);
    lines.push(`      ${opt.help}`);
  }
  lines.push(
    '',
    'OpenTelemetry SDK variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED, ...) apply as usual.',
  );
  return lines.join('\n');
}

/** How an operator sets these options, for start-up messages: `RELAY_HOST/--host, RELAY_PORT/--port`. */
export function settingNames(...keys: Key[]): string {
  return keys.map((k) => `${OPTIONS[k].env}/--${OPTIONS[k].flag}`).join(', ');
}

/** Rows for the README configuration table (kept in sync by a test). */
export function optionRows(): { env: string; flag: string; default: string; help: string }[] {
  return (Object.keys(OPTIONS) as Key[]).map((key) => {
    const opt = OPTIONS[key] as Option<unknown>;
    const def = DEFAULTS[key];
    return { env: opt.env, flag: `--${opt.flag}`, default: def === undefined ? 'unset' : String(def), help: opt.help };
  });
}
