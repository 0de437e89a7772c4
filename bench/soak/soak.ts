// `npm run soak`: the relay at a fixed rate for a long time (10 minutes by default), as in
// production (node --import ./dist/instrument.js dist/main.js, OTLP spans and Loki logs to a sink,
// /metrics scraped every 15 s like Prometheus), in front of the bench's pre-serialised upstream.
// The load is a planned mix: mostly `small` (200), invalid JSON the relay answers 400 itself,
// requests to the upstream's `errors` scenario (exactly one in five answered 503 by the upstream) and
// to a scenario the upstream does not know (404 from the upstream). Every second the relay's VmRSS
// and open file descriptors are sampled, and at every scrape the relay's own memory series (RSS and
// the V8 heap per space). After a warm-up (20 % of the run, at most 60 s) least-squares lines are
// fitted (soak-memory.ts, soak-verdict.ts), and the run passes when (see bench/README.md, "Soak", and the criteria below):
//   - with a window ≥ 5 min: V8 heap committed and the old generation's used floors grow
//     ≤ 1 MiB/min, memory outside the V8 heap ≤ 16 MiB in all (RSS itself is not judged); in a
//     shorter run (60 s in CI), where V8 is still sizing its heap, fitted RSS growth ≤ 64 MiB
//   - fds at the end ≤ fds after the warm-up + 5, and never more than that + 10
//   - zero unexpected errors: connection errors, resets, timeouts (10 s) or a status not planned for
//     the kind; the upstream's 503s exactly one in five of the `errors` kind; the load kept pace
//   - the relay's own gen_ai_client_operation_duration_seconds_count, per status code, equals what
//     the client received; no telemetry errors; every scrape answered; spans and logs reached the sink
//   - the relay exits 0 on SIGTERM at the end
//   node bench/soak/soak.ts [--duration S] [--rate N] [--json FILE] [--inject-leak heap:N|native:N]
//   (exit code 1 when a criterion fails)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { killAll, killAllAndWait } from '../../test/support/child.ts';
import type { SoakOptions } from './soak-result.ts';
import { runSoak } from './soak-run.ts';
import { summary } from './soak-summary.ts';
import { judge } from './soak-verdict.ts';

const USAGE = `Usage: node bench/soak/soak.ts [options]     (npm run soak -- [options] builds dist/ first)

  --duration S   seconds of load [600]
  --rate N       requests per second, all kinds together [200]
  --json FILE    write the samples, the fits and the verdict as JSON
  --inject-leak KIND:BYTES
                 load bench/soak/leak.ts into the relay: every request keeps BYTES on the V8
                 heap (heap) or outside it (native). To see the soak fail; never for a verdict
  --help`;

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nsoak: ${signal}, stopping child processes\n`);
    void killAllAndWait().finally(() => process.exit(130));
  });
}

let opts: ReturnType<typeof options>;
try {
  opts = options(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (opts === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  const result = judge(await runSoak(opts, (line) => process.stderr.write(`${line}\n`)), opts);
  process.stdout.write(`${summary(result)}\n`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(result, null, 1)}\n`);
  process.exitCode = result.verdict === 'pass' ? 0 : 1;
} catch (err) {
  process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
  killAll();
  process.exitCode = 1;
}

function options(argv: string[]): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      json: { type: 'string' },
      'inject-leak': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const positive = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
    return n;
  };
  const injectLeak = values['inject-leak'];
  if (injectLeak !== undefined && !/^(heap|native):\d+$/.test(injectLeak))
    throw new Error(`--inject-leak must be heap:BYTES or native:BYTES, got "${injectLeak}"`);
  return { durationS: positive('duration', values.duration, 600), rate: positive('rate', values.rate, 200), json: values.json, injectLeak };
}
