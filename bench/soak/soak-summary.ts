// The soak's report on stdout: the request kinds, the fits after the warm-up, and the criteria.
import { num, table } from '../harness/table.ts';
import type { SoakResult } from './soak-result.ts';

export function summary(r: SoakResult): string {
  return [
    '',
    `Soak: ${r.options.durationS} s at ${r.options.rate} req/s (${r.requests.achievedRps.toFixed(1)} achieved), warm-up ${r.options.warmupS} s; ` +
      `latency p50 ${num(r.requests.latencyMs.p50)} ms, p99 ${num(r.requests.latencyMs.p99)} ms, max ${num(r.requests.latencyMs.max)} ms; ` +
      `relay CPU ${num(r.relay.cpuSecondsPer1000, 2)} s per 1000 requests`,
    '',
    table(
      ['request kind', 'sent', 'statuses received', 'planned', 'timeouts', 'connection errors'],
      kindRows(r),
      (c) => c === 1 || c === 4,
    ),
    '',
    table(['after warm-up', 'at warm-up end', 'at end', 'range', 'slope /min', 'fitted growth'], fitRows(r)),
    '',
    table(
      ['criterion', 'measured', 'threshold', 'result'],
      r.criteria.map((c) => [c.name, c.measured, c.threshold, c.pass ? 'pass' : 'FAIL']),
      () => false,
    ),
    '',
    `verdict: ${r.verdict.toUpperCase()}`,
  ].join('\n');
}

function kindRows(r: SoakResult): string[][] {
  return Object.entries(r.requests.byKind).map(([name, c]) => [
    name,
    String(c.sent),
    Object.entries(c.statuses)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ') || '—',
    c.expected.join('/'),
    String(c.timeouts),
    Object.entries(c.errors)
      .map(([m, n]) => `${m}: ${n}`)
      .join('; ') || '0',
  ]);
}

function fitRows(r: SoakResult): string[][] {
  return [
    [
      'VmRSS (MiB)',
      num(r.rssMiB.atWarmupEnd, 1),
      num(r.rssMiB.atEnd, 1),
      `${num(r.rssMiB.min, 1)} – ${num(r.rssMiB.max, 1)}`,
      num(r.rssMiB.slopePerMin, 3),
      num(r.rssMiB.growth, 2),
    ],
    [
      'open fds',
      String(r.fds.atWarmupEnd),
      String(r.fds.atEnd),
      `${r.fds.min} – ${r.fds.max}`,
      num(r.fds.slopePerMin, 3),
      num(r.fds.growth, 2),
    ],
    ...(
      [
        ['outside the V8 heap (MiB)', r.memory.outsideHeapMiB],
        ['V8 heap committed (MiB)', r.memory.heapCommittedMiB],
        ['V8 old generation used, floors (MiB)', r.memory.oldGenUsedFloorMiB],
      ] as const
    ).map(([name, f]) => [
      name,
      num(f.atWarmupEnd, 1),
      num(f.atEnd, 1),
      `${num(f.min, 1)} – ${num(f.max, 1)}`,
      num(f.slopePerMin, 3),
      num(f.growth, 2),
    ]),
  ];
}
