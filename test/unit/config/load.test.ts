import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, helpText, loadConfig, optionRows } from '../../../src/config/load.ts';

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(argv, env);
const failure = (argv: string[], env: Record<string, string> = {}) => {
  try {
    load(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  it('starts from the one defaults object', () => {
    expect(load([])).toEqual({ command: 'relay', config: DEFAULTS });
  });

  it('reads env, and flags win over env', () => {
    const { config } = load(['--port=9000', '--log-inputs', 'true'], {
      RELAY_PORT: '7000',
      RELAY_MAX_BATCH: '16',
      RELAY_ESTIMATE_TOKENS: 'TRUE',
    });
    expect(config.port).toBe(9000);
    expect(config.maxBatch).toBe(16);
    expect(config.logInputs).toBe(true);
    expect(config.estimateTokens).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    expect(load([], { RELAY_UPSTREAM_URL: '' }).config.upstreamUrl).toBeUndefined();
  });

  it('takes service.name from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then the default', () => {
    const attrs = { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.name=embed%20relay' };
    expect(load([], attrs).config.serviceName).toBe('embed relay');
    expect(load([], { ...attrs, OTEL_SERVICE_NAME: 'from-env' }).config.serviceName).toBe('from-env');
    expect(load(['--service-name=from-flag'], attrs).config.serviceName).toBe('from-flag');
    expect(load([], { OTEL_RESOURCE_ATTRIBUTES: 'k=v' }).config.serviceName).toBe('embedding-relay');
  });

  it('normalises the upstream URL', () => {
    expect(load([], { RELAY_UPSTREAM_URL: 'http://vllm:8000/v1/' }).config.upstreamUrl).toBe('http://vllm:8000/v1');
  });

  it.each([
    [[], { RELAY_PORT: 'abc' }, 'Invalid RELAY_PORT="abc": expected an integer from 0 to 65535.'],
    [[], { RELAY_PORT: '70000' }, 'Invalid RELAY_PORT="70000": expected an integer from 0 to 65535.'],
    [['--port=-1'], {}, 'Invalid --port="-1": expected an integer from 0 to 65535.'],
    [[], { RELAY_MAX_BATCH: '1.5' }, 'Invalid RELAY_MAX_BATCH="1.5": expected an integer from 1 to 1000000.'],
    [[], { RELAY_ESTIMATE_TOKENS: 'yes' }, 'Invalid RELAY_ESTIMATE_TOKENS="yes": expected true or false.'],
    [[], { RELAY_UPSTREAM_URL: 'vllm:8000' }, 'Invalid RELAY_UPSTREAM_URL="vllm:8000": expected an absolute http:// or https:// URL.'],
    [[], { RELAY_UPSTREAM_URL: 'ftp://x/v1' }, 'Invalid RELAY_UPSTREAM_URL="ftp://x/v1": expected an absolute http:// or https:// URL.'],
    [[], { LOKI_URL: 'http://loki:3100/?a=1' }, 'Invalid LOKI_URL="http://loki:3100/?a=1": expected a URL without query or fragment.'],
    [
      [],
      { LOKI_URL: 'https://123:p%zz@logs.example/' },
      'Invalid LOKI_URL="https://123:<redacted>@logs.example/": expected the user and password to be percent-encoded (a literal % is %25).',
    ],
    [
      [],
      { RELAY_LOG_LEVEL: 'verbose' },
      'Invalid RELAY_LOG_LEVEL="verbose": expected one of fatal, error, warn, info, debug, trace, silent.',
    ],
    [[], { RELAY_SIMULATOR_FAIL_RATE: '2' }, 'Invalid RELAY_SIMULATOR_FAIL_RATE="2": expected a number from 0 to 1.'],
    [[], { OTEL_EXPORTER_PROMETHEUS_PORT: 'x' }, 'Invalid OTEL_EXPORTER_PROMETHEUS_PORT="x": expected an integer from 0 to 65535.'],
    [['--provider-name= '], {}, 'Invalid --provider-name=" ": expected a non-empty string.'],
  ] as const)('rejects %j %j with an exact message', (argv, env, message) => {
    expect(failure([...argv], env)).toBe(message);
  });

  it('requires a canary model when the canary is on', () => {
    expect(failure([], { RELAY_CANARY_INTERVAL_MS: '60000' })).toBe(
      'RELAY_CANARY_MODEL (--canary-model) is required when RELAY_CANARY_INTERVAL_MS is above 0.',
    );
    expect(load([], { RELAY_CANARY_INTERVAL_MS: '60000', RELAY_CANARY_MODEL: 'm' }).config).toMatchObject({
      canaryIntervalMs: 60000,
      canaryModel: 'm',
    });
  });

  it('parses expected dimensions per model', () => {
    expect(load([], { RELAY_EXPECTED_DIMENSIONS: 'Qwen/Qwen3-Embedding-4B=2560, nomic:v1.5=768' }).config.expectedDimensions).toEqual(
      new Map([
        ['Qwen/Qwen3-Embedding-4B', 2560],
        ['nomic:v1.5', 768],
      ]),
    );
    expect(failure([], { RELAY_EXPECTED_DIMENSIONS: 'qwen' })).toBe(
      'Invalid RELAY_EXPECTED_DIMENSIONS="qwen": expected model=dimension pairs separated by commas, e.g. Qwen/Qwen3-Embedding-4B=2560.',
    );
  });

  it('never echoes a secret in its error', () => {
    expect(failure(['--upstream-api-key=  '])).toBe('Invalid --upstream-api-key=<redacted>: expected a non-empty string.');
    expect(failure([], { RELAY_API_KEYS: 'secret-1,,secret-2' })).toBe(
      'Invalid RELAY_API_KEYS=<redacted>: expected comma-separated keys without spaces, e.g. key-1,key-2.',
    );
  });

  it('refuses an empty RELAY_API_KEYS instead of silently running without auth', () => {
    expect(failure([], { RELAY_API_KEYS: '' })).toBe(
      'RELAY_API_KEYS is set but empty: give at least one key, or unset it to run without inbound auth.',
    );
  });

  it('reads inbound API keys as a list', () => {
    expect(load([], { RELAY_API_KEYS: 'k1, k2' }).config.apiKeys).toEqual([
      { caller: undefined, key: 'k1' },
      { caller: undefined, key: 'k2' },
    ]);
    // name:key names the caller; text before a colon that is no name stays part of the key.
    expect(load([], { RELAY_API_KEYS: 'search:sk-1,ingest.v2:sk:2,:k3,a b:k4'.replace(' ', '') }).config.apiKeys).toEqual([
      { caller: 'search', key: 'sk-1' },
      { caller: 'ingest.v2', key: 'sk:2' },
      { caller: undefined, key: ':k3' },
      { caller: 'ab', key: 'k4' },
    ]);
    expect(() => load([], { RELAY_API_KEYS: 'search:' })).toThrow(
      'Invalid RELAY_API_KEYS=<redacted>: expected a key after each caller name, e.g. search:sk-1,ingest:sk-2.',
    );
    expect(load([]).config.apiKeys).toBeUndefined();
  });

  it('refuses a key listed twice, whatever names it carries', () => {
    expect(failure([], { RELAY_API_KEYS: 'search:sk-1,ingest:sk-1' })).toBe(
      'Invalid RELAY_API_KEYS=<redacted>: a key is listed twice (each key names one caller).',
    );
    expect(load([], { RELAY_API_KEYS: 'search:sk-1,search:sk-2' }).config.apiKeys).toHaveLength(2);
  });

  it('reads a key file at start-up: one name:key or key per line, # comments; one exact line when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, '# who may call\nsearch:sk-1\n\n  ingest:sk-2  \nsk-bare\n');
    expect(load([], { RELAY_API_KEYS_FILE: file }).config.apiKeysFile).toEqual({
      path: file,
      keys: [
        { caller: 'search', key: 'sk-1' },
        { caller: 'ingest', key: 'sk-2' },
        { caller: undefined, key: 'sk-bare' },
      ],
    });
    expect(failure([], { RELAY_API_KEYS_FILE: join(dir, 'missing') })).toBe(
      `Invalid RELAY_API_KEYS_FILE="${join(dir, 'missing')}": cannot read it (ENOENT).`,
    );
    writeFileSync(file, '# nothing yet\n');
    expect(failure([], { RELAY_API_KEYS_FILE: file })).toBe(
      `Invalid RELAY_API_KEYS_FILE="${file}": it holds no key (one name:key or key per line).`,
    );
    writeFileSync(file, 'search:sk-secret-1 trailing words\n');
    const line = failure([], { RELAY_API_KEYS_FILE: file });
    expect(line).toBe(`Invalid RELAY_API_KEYS_FILE="${file}": expected one name:key or key per line, without spaces.`);
    expect(line).not.toContain('sk-secret-1');
  });

  it('refuses keys from both the list and a file, and the caller header with inbound auth', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys');
    writeFileSync(file, 'search:sk-1\n');
    expect(failure([], { RELAY_API_KEYS: 'k1', RELAY_API_KEYS_FILE: file })).toBe(
      'RELAY_API_KEYS and RELAY_API_KEYS_FILE are both set: give the keys in one of them.',
    );
    expect(failure([], { RELAY_API_KEYS: 'k1', RELAY_CALLER_HEADER: 'x-caller' })).toBe(
      'RELAY_CALLER_HEADER is set with inbound auth: with keys, the key names the caller; unset one of them.',
    );
    expect(load([], { RELAY_CALLER_HEADER: 'X-Caller' }).config.callerHeader).toBe('x-caller');
    expect(failure([], { RELAY_CALLER_HEADER: 'x caller' })).toBe(
      'Invalid RELAY_CALLER_HEADER="x caller": expected an HTTP header name, e.g. x-caller.',
    );
  });

  it('rejects unknown flags and commands', () => {
    expect(failure(['--prot=1'])).toBe('Unknown option --prot. Did you mean --port? Run with --help for the list of options.');
    expect(failure(['--frobnicate'])).toBe('Unknown option --frobnicate. Run with --help for the list of options.');
    expect(failure(['-x'])).toBe('Unknown option -x. Run with --help for the list of options.');
    expect(failure(['--port'])).toBe('--port needs a value (--port=VALUE). Run with --help for the list of options.');
    expect(failure(['serve'])).toBe('Unknown command "serve": expected no command (run the relay) or "simulator".');
  });

  it('knows the simulator and help commands', () => {
    expect(load(['simulator', '--simulator-port=8000']).command).toBe('simulator');
    expect(load(['--help']).command).toBe('help');
  });

  it('--help and docs/configuration.md list every option with its default and help text', () => {
    const help = helpText();
    const page = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    for (const row of optionRows()) {
      expect(help).toContain(`${row.flag}  (${row.env})  [${row.default}]`);
      expect(page, `docs/configuration.md lacks ${row.env}`).toContain(
        `| \`${row.env}\` | \`${row.flag}\` | ${row.default} | ${row.help} |`,
      );
    }
  });
});
