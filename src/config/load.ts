// Configuration: one table of options (config/options.ts: env name, flag, default, parser, help),
// read from CLI flags over environment variables over defaults (this file). Every bad value fails
// start-up with one exact line (the parsers in config/parsers.ts say what was expected).
import { parseArgs } from 'node:util';
import { type Config, DEFAULTS, type Key, OPTIONS, type Option } from './options.ts';
import { ParseError, withoutPassword } from './parsers.ts';

export { type Config, DEFAULTS, type LogLevel } from './options.ts';

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
    throw new ConfigError(`${argumentProblem(err as NodeJS.ErrnoException, keys)} Run with --help for the list of options.`);
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
  checkCombinations(config as Config);
  // service.name precedence per the OTel spec: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then ours.
  if (typeof parsed.values[OPTIONS.serviceName.flag] !== 'string' && !env['OTEL_SERVICE_NAME']) {
    const fromResource = serviceNameFromResourceAttributes(env['OTEL_RESOURCE_ATTRIBUTES']);
    if (fromResource !== undefined) config['serviceName'] = fromResource;
  }
  return { command, config: config as Config };
}

/** The settings that are each valid but not together: one exact line for each. */
function checkCombinations(config: Config): void {
  if (config.apiKeys !== undefined && config.apiKeysFile !== undefined) {
    throw new ConfigError('RELAY_API_KEYS and RELAY_API_KEYS_FILE are both set: give the keys in one of them.');
  }
  if (config.callerHeader !== undefined && (config.apiKeys !== undefined || config.apiKeysFile !== undefined)) {
    throw new ConfigError('RELAY_CALLER_HEADER is set with inbound auth: with keys, the key names the caller; unset one of them.');
  }
  if (config.canaryIntervalMs > 0 && config.canaryModel === undefined) {
    throw new ConfigError('RELAY_CANARY_MODEL (--canary-model) is required when RELAY_CANARY_INTERVAL_MS is above 0.');
  }
  if (config.clientHeadersTimeoutMs > config.clientRequestTimeoutMs) {
    throw new ConfigError(
      'RELAY_CLIENT_HEADERS_TIMEOUT_MS must not be larger than RELAY_CLIENT_REQUEST_TIMEOUT_MS (the request timeout includes the headers).',
    );
  }
  if (config.queueTimeoutMs >= config.clientRequestTimeoutMs) {
    throw new ConfigError(
      "RELAY_QUEUE_TIMEOUT_MS must be below RELAY_CLIENT_REQUEST_TIMEOUT_MS (a queued request's body is read only once it is admitted).",
    );
  }
}

/** node:util's parseArgs failure as one sentence of ours: its own text quotes the flag unbalanced
 *  and advises about positional arguments, which this CLI takes only as the `simulator` command. */
function argumentProblem(err: NodeJS.ErrnoException, keys: readonly Key[]): string {
  const flag = /'(-[^' ]+)/.exec(err.message)?.[1];
  if (flag === undefined) return `${err.message}.`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${flag} needs a value (${flag}=VALUE).`;
  if (err.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `${err.message}.`;
  const name = flag.replace(/^-+/, '').split('=')[0]!;
  const near = [...keys.map((k) => OPTIONS[k].flag), 'help', 'version'].find((known) => editDistance(name, known) <= 2);
  return `Unknown option ${flag}.${near === undefined ? '' : ` Did you mean --${near}?`}`;
}

/** Levenshtein distance, for the one suggestion above (a dozen lines; no dependency for it). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

let fromProcess: LoadedConfig | undefined;
/** This process's configuration (its argv and env), read once: instrument.ts and main.ts share it. */
export function processConfig(): LoadedConfig {
  fromProcess ??= loadConfig(process.argv.slice(2), process.env);
  return fromProcess;
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
    lines.push(`  --${opt.flag}  (${opt.env})  [${shownDefault(opt, def)}]`);
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
    return { env: opt.env, flag: `--${opt.flag}`, default: shownDefault(opt, def), help: opt.help };
  });
}

const shownDefault = (opt: Option<unknown>, def: unknown): string => opt.shownDefault ?? (def === undefined ? 'unset' : String(def));
