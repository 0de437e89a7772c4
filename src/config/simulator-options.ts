// The built-in SIMULATOR's options (a fake model server: `embedding-relay simulator`, or the relay's
// upstream when none is configured): their part of the one table (options.ts spreads them in).
import { decimal, integer, nonEmptyText, type Option } from './parsers.ts';

export const SIMULATOR_DEFAULTS = {
  simulatorHost: '127.0.0.1',
  simulatorPort: 0,
  simulatorModel: 'Qwen/Qwen3-Embedding-4B',
  simulatorDimensions: 2560,
  simulatorSeed: 1,
  simulatorLatencyMs: 5,
  simulatorLatencyPerTokenMs: 0.02,
  simulatorFailRate: 0,
};

type SimulatorKey = keyof typeof SIMULATOR_DEFAULTS;

export const SIMULATOR_OPTIONS: { [K in SimulatorKey]: Option<(typeof SIMULATOR_DEFAULTS)[K]> } = {
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
