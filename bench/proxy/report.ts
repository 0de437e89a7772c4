// The Markdown report printed at the end of a run, drawn only from the measured BenchResult.
import { saturated, type BenchResult, type PhaseResult, type ScenarioResult, type Shape } from './result.ts';
import { mib, num, signed, table } from '../harness/table.ts';

/** Added latency vs direct; none when either side fell behind the rate (its latency is a queue). */
const added = (p: PhaseResult | undefined, direct: PhaseResult | undefined, key: 'p50' | 'p99') =>
  p && direct && !saturated(p) && !saturated(direct) && p.targetRps === direct.targetRps
    ? p.latencyMs[key] - direct.latencyMs[key]
    : undefined;

const busy = (p: PhaseResult) =>
  [p.cpuPercent.loadgen, p.cpuPercent.upstream, p.cpuPercent.proxy].map((v) => (v === undefined ? '—' : v.toFixed(0))).join(' / ');

const failures = (p: PhaseResult) => `${p.non2xx} / ${p.errors}`;

function phaseRows(s: ScenarioResult, pick: Shape): string[][] {
  const direct = s.targets.find((t) => t.target === 'direct')?.[pick];
  return s.targets.flatMap((t) => {
    const p = t[pick];
    if (!p) return [];
    const first = [s.name, t.target];
    const sat = saturated(p);
    const rate = pick === 'max' ? [num(p.rps, 0)] : [String(p.targetRps ?? '—'), `${num(p.rps, 0)}${sat ? ' saturated' : ''}`];
    const isDirect = t.target === 'direct';
    // A saturated target's latency is its queue, not its overhead: not shown.
    const lat = (v: string) => (sat ? '—' : v);
    return [
      [
        ...first,
        ...rate,
        lat(num(p.latencyMs.p50)),
        lat(num(p.latencyMs.p99)),
        lat(isDirect ? '—' : signed(added(p, direct, 'p50'))),
        lat(isDirect ? '—' : signed(added(p, direct, 'p99'))),
        failures(p),
        num(p.proxyCpuPer1k, 2),
        mib(p.proxyPeakRssBytes),
        busy(p),
      ],
    ];
  });
}

function fixedRows(s: ScenarioResult): string[][] {
  const rates = s.targets.find((t) => t.target === 'direct')?.fixed ?? [];
  return rates.flatMap((d, k) =>
    s.targets.flatMap((t) => {
      const p = t.fixed?.[k];
      if (!p) return [];
      const sat = saturated(p);
      const lat = (v: string) => (sat ? '—' : v);
      const isDirect = t.target === 'direct';
      return [
        [
          s.name,
          t.target,
          String(p.targetRps ?? '—'),
          `${num(p.rps, 0)}${sat ? ' saturated' : ''}`,
          lat(num(p.latencyMs.p50)),
          lat(num(p.latencyMs.p99)),
          lat(isDirect ? '—' : signed(added(p, d, 'p50'))),
          lat(isDirect ? '—' : signed(added(p, d, 'p99'))),
          p.loopDelayMs ? num(p.loopDelayMs.p99) : '—',
          p.overhead ? `${num(p.overhead.p50Ms)} / ${num(p.overhead.meanMs)}` : '—',
          num(p.proxyCpuPer1k, 2),
          mib(p.proxyPeakRssBytes),
          busy(p),
        ],
      ];
    }),
  );
}

/** The first columns of every phase table. */
const header = ['scenario', 'target'];

export function report(r: BenchResult): string {
  return [
    ...heading(r),
    ...throughputTables(r),
    ...fixedRateTable(r),
    ...firstByteTable(r),
    ...telemetryTable(r),
    ...saturationNote(r),
  ].join('\n');
}

/** The run's title, machine and how to read the tables. */
function heading(r: BenchResult): string[] {
  const m = r.machine;
  const o = r.options;
  const out: string[] = [];
  out.push(
    `## embedding-relay benchmark (${o.quick ? 'quick' : 'full'} run)\n`,
    `${r.date}; ${m.cpus} × ${m.cpuModel}; Node ${m.node}; ${m.nginx ?? 'nginx not installed'}; ` +
      `load average ${m.loadAvgStart.map((l) => l.toFixed(2)).join(' ')} at start, ${m.loadAvgEnd.map((l) => l.toFixed(2)).join(' ')} at end; ` +
      `wall time ${r.wallS.toFixed(0)} s. ${o.warmupS} s warm-up per target, ${o.durationS} s per phase. ` +
      (o.pin
        ? '**Pinned**: the proxy under test on CPU 0; the upstream, the load generator and the runner on CPU 1.'
        : 'Unpinned: every process may run on either CPU.'),
    '',
    'Latencies in ms over all responses; **+p50/+p99** = added vs `direct` in the same scenario and load shape. ' +
      '**non-2xx / errors**: HTTP non-2xx / connection errors and timeouts. **CPU s/1k**: CPU seconds of the proxy process ' +
      '(nginx or relay, all threads) per 1000 responses. **RSS**: peak VmRSS of the proxy process during the phase. ' +
      '**CPU %**: share of one core used by load generator / upstream / proxy during the phase (2 cores in all).',
    '',
  );
  return out;
}

/** (a) max throughput, (b) the fixed share of it, (c) the share of the slowest target's. */
function throughputTables(r: BenchResult): string[] {
  const out: string[] = [];
  const o = r.options;
  const tail = ['p50', 'p99', '+p50', '+p99', 'non-2xx / errors', 'CPU s/1k', 'RSS MiB', 'CPU % gen/up/proxy'];
  const loadgen = o.loadgen === 'wrk' ? 'wrk, one C thread' : 'autocannon, in the runner';
  out.push(`### (a) Max throughput: ${o.connections} keep-alive connections, closed loop (${loadgen})\n`);
  out.push(
    table(
      [...header, 'req/s', ...tail],
      r.scenarios.flatMap((s) => phaseRows(s, 'max')),
    ),
    '',
  );
  // Whether the load generator or the proxy was the limit: nginx runs one worker, so at its
  // ceiling it uses a whole core while the load generator has CPU to spare.
  const ceilings = r.scenarios.flatMap((s) => {
    const nginx = s.targets.find((t) => t.target === 'nginx')?.max.cpuPercent;
    return nginx?.proxy === undefined ? [] : [`${s.name}: nginx ${nginx.proxy.toFixed(0)} %, load generator ${nginx.loadgen.toFixed(0)} %`];
  });
  if (ceilings.length > 0) out.push(`Who was the limit in (a), share of one core during nginx's phase: ${ceilings.join('; ')}.`, '');
  const share = `${Math.round(o.rateShare * 100)} %`;
  out.push(
    `### (b) Fixed rate: ${share} of the direct path's max req/s, paced evenly (open loop, latency from each request's due time)\n`,
    table(
      [...header, 'rate', 'achieved', ...tail],
      r.scenarios.flatMap((s) => phaseRows(s, 'rate')),
    ),
    '',
  );
  const low = r.scenarios.filter((s) => s.targets.some((t) => t.low));
  if (low.length > 0) {
    out.push(
      `### (c) Fixed rate: ${share} of the slowest target's max req/s (scenarios where a target fell behind (b)), paced evenly; LiteLLM at ${share} of its own max\n`,
      table(
        [...header, 'rate', 'achieved', ...tail],
        low.flatMap((s) => phaseRows(s, 'low')),
      ),
      '',
    );
  }
  return out;
}

/** (d) the fixed rates, with the relay's event-loop delay and its own overhead report. */
function fixedRateTable(r: BenchResult): string[] {
  const out: string[] = [];
  const fixed = r.scenarios.filter((s) => s.targets.some((t) => t.fixed));
  if (fixed.length > 0) {
    out.push(
      '### (d) Fixed rates: the rates of the targets in bench/README.md, paced evenly\n',
      "**loop p99**: the proxy's event-loop delay p99 in ms during the phase (relay only; bench/harness/loop-probe.ts). " +
        "**reported p50 / mean**: what the relay's `embedding_relay_overhead_seconds` said over the phase (median as " +
        '`histogram_quantile` reads it, and the mean), beside the **+p50** measured.\n',
    );
    out.push(
      table(
        [
          ...header,
          'rate',
          'achieved',
          'p50',
          'p99',
          '+p50',
          '+p99',
          'loop p99',
          'reported p50 / mean',
          'CPU s/1k',
          'RSS MiB',
          'CPU % gen/up/proxy',
        ],
        fixed.flatMap((s) => fixedRows(s)),
      ),
      '',
    );
  }
  return out;
}

/** Time to first byte, back to back and after an idle gap. */
function firstByteTable(r: BenchResult): string[] {
  const out: string[] = [];
  const o = r.options;
  const ttfb = r.scenarios.filter((s) => s.targets.some((t) => t.ttfb));
  if (ttfb.length > 0) {
    const gap = ttfb[0]!.targets.find((t) => t.ttfb)!.ttfb!.gapMs;
    out.push(
      `### Time to first byte: ${o.ttfbRequests} sequential requests on one connection, back to back, then each after ${gap} ms idle\n`,
      'Back to back, a request also waits for whatever the proxy still does after delivering the previous response.\n',
    );
    const rows = ttfb.flatMap((s) => {
      const d = s.targets.find((t) => t.target === 'direct')?.ttfb;
      return s.targets.flatMap((t) => {
        const x = t.ttfb;
        if (!x) return [];
        const plus = (v: number, base: number | undefined) => (t.target === 'direct' || base === undefined ? '—' : signed(v - base));
        return [
          [
            s.name,
            t.target,
            num(x.backToBack.headersMs.p50),
            num(x.backToBack.headersMs.p99),
            plus(x.backToBack.headersMs.p50, d?.backToBack.headersMs.p50),
            num(x.afterGap.headersMs.p50),
            num(x.afterGap.headersMs.p99),
            plus(x.afterGap.headersMs.p50, d?.afterGap.headersMs.p50),
            num(x.afterGap.totalMs.p50),
            plus(x.afterGap.totalMs.p50, d?.afterGap.totalMs.p50),
          ],
        ];
      });
    });
    out.push(
      table(
        [
          'scenario',
          'target',
          'back to back: first byte p50',
          'p99',
          '+p50',
          `after ${gap} ms idle: first byte p50`,
          'p99',
          '+p50',
          'whole body p50',
          '+p50',
        ],
        rows,
      ),
      '',
    );
  }
  return out;
}

/** What each relay sent while it served the scenario. */
function telemetryTable(r: BenchResult): string[] {
  const out: string[] = [];
  const relays = r.scenarios.flatMap((s) => s.targets.filter((t) => t.telemetry).map((t) => ({ s, t })));
  if (relays.length > 0) {
    out.push('### Relay telemetry during the scenario (all requests it served, warm-up included)\n');
    const per = (bytes: number, n: number) => (n > 0 ? (bytes / n).toFixed(0) : '—');
    const rows = relays.map(({ s, t }) => {
      const tel = t.telemetry!;
      return [
        s.name,
        t.target,
        String(t.requests),
        `${tel.otlpRequests} / ${per(tel.otlpBytes, t.requests)}`,
        `${tel.lokiRequests} / ${per(tel.lokiBytes, t.requests)}`,
        per(tel.stdoutBytes, t.requests),
        tel.scrape
          ? `${tel.scrape.scrapes} / ${tel.scrape.failures} / ${(tel.scrape.bytes / 1024).toFixed(0)} KiB / ${tel.scrape.maxMs.toFixed(0)} ms`
          : '—',
        tel.self ? String(tel.self.requests) : '—',
        tel.self ? num(tel.self.meanOverheadMs, 3) : '—',
        mib(t.proxyHwmBytes),
      ];
    });
    out.push(
      table(
        [
          'scenario',
          'target',
          'requests',
          'OTLP posts / B per req',
          'Loki pushes / B per req',
          'stdout B per req',
          '/metrics scrapes / failed / size / max',
          'relay counted',
          'relay-reported overhead ms',
          'VmHWM MiB',
        ],
        rows,
      ),
      '',
    );
  }
  return out;
}

/** The targets that fell behind the (b) rate. */
function saturationNote(r: BenchResult): string[] {
  const out: string[] = [];
  const sat = r.scenarios.flatMap((s) => s.targets.filter((t) => saturated(t.rate)).map((t) => `${s.name}/${t.target}`));
  if (sat.length > 0) {
    out.push(
      `Fell behind the (b) rate (a second behind, or achieved < 95 %; latency there is a queue, not overhead, so it is not shown): ${sat.join(', ')}. ` +
        'When `direct` itself falls behind, the load generator is the limit (its CPU % shows it).',
    );
  }
  return out;
}
