// Command-line options of `npm run bench -- [options]`.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WRK } from '../load/wrk.ts';
import { SCENARIOS } from '../harness/scenarios/index.ts';
import { TARGET_NAMES, type TargetName } from '../harness/targets/index.ts';

export interface Options {
  quick: boolean;
  scenarios: string[];
  targets: TargetName[];
  connections: number;
  warmupS: number;
  durationS: number;
  /** Fixed-rate load as a share of the direct path's max throughput. */
  rateShare: number;
  ttfbRequests: number;
  json: string | undefined;
  chart: string | undefined;
  /** A checkout (built: its dist/) run as the relay-before target beside this relay. */
  before: string | undefined;
  /** What drives (a), max throughput: Debian's wrk (C, not the bottleneck) or autocannon. */
  loadgen: 'wrk' | 'autocannon';
  /** The proxy under test on CPU 0, everything else (upstream, load generator, runner) on CPU 1. */
  pin: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]     (full run: every scenario and LiteLLM, about 16 minutes)

  --quick              short run (about 2 min): typical and large, 1 s warm-up, 3 s per phase
  --scenario NAME      run only these scenarios (repeatable or comma-separated):
                       ${SCENARIOS.map((s) => s.name).join(', ')}
  --targets LIST       comma-separated subset of ${TARGET_NAMES.join(', ')} (direct is always measured;
                       portkey and litellm, the peers from bench/portkey/ and bench/litellm/, are left out
                       of --quick unless named)
  --connections N      connections for the max-throughput phase [32]
  --duration S         seconds per measured phase [10; quick 3]
  --warmup S           warm-up seconds per target [3; quick 1]
  --ttfb-requests N    sequential requests per time-to-first-byte series [200; quick 30]
  --json FILE          write the raw results as JSON
  --chart FILE         write an SVG chart of the added latency (e.g. bench/latency.svg)
  --before DIR         also run the relay of another checkout (its dist/, built) as relay-before, beside
                       this one in the same run: a change's before and after, interleaved
  --loadgen NAME       wrk (default when /usr/bin/wrk exists: apt-get install -y wrk) or autocannon, for (a)
  --pin                the proxy under test on CPU 0, the upstream, the load generator and the runner on
                       CPU 1 (taskset; needs 2 CPUs): its tail without the scheduler's share
  --help`;

export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      targets: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'ttfb-requests': { type: 'string' },
      json: { type: 'string' },
      chart: { type: 'string' },
      before: { type: 'string' },
      loadgen: { type: 'string' },
      pin: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const number = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
    return n;
  };
  const scenarios = (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const s of scenarios) {
    if (!SCENARIOS.some((x) => x.name === s)) throw new Error(`unknown scenario "${s}"; one of ${SCENARIOS.map((x) => x.name).join(', ')}`);
  }
  // LiteLLM (a few req/s on typical, 12 s to start) is in every full run, not in --quick's 2 minutes.
  const before = values.before === undefined ? undefined : `${values.before.replace(/\/+$/, '')}/`;
  const defaults = TARGET_NAMES.filter(
    (t) => !(quick && (t === 'litellm' || t === 'portkey')) && (t !== 'relay-before' || before !== undefined),
  );
  const loadgen = values.loadgen ?? (existsSync(WRK) ? 'wrk' : 'autocannon');
  if (loadgen !== 'wrk' && loadgen !== 'autocannon') throw new Error(`--loadgen must be wrk or autocannon, got "${loadgen}"`);
  const targets = (values.targets ?? defaults.join(',')).split(',').filter(Boolean);
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"; one of ${TARGET_NAMES.join(', ')}`);
  }
  return {
    quick,
    scenarios: scenarios.length > 0 ? scenarios : quick ? ['typical', 'large'] : SCENARIOS.map((s) => s.name),
    targets: TARGET_NAMES.filter((t) => t === 'direct' || (targets.includes(t) && (t !== 'relay-before' || before !== undefined))),
    connections: Math.round(number('connections', values.connections, 32)),
    warmupS: number('warmup', values.warmup, quick ? 1 : 3),
    durationS: number('duration', values.duration, quick ? 3 : 10),
    rateShare: 0.5,
    ttfbRequests: Math.round(number('ttfb-requests', values['ttfb-requests'], quick ? 30 : 200)),
    json: values.json,
    chart: values.chart,
    before,
    loadgen,
    pin: values.pin ?? false,
  };
}
