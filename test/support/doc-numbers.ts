// The measured numbers the docs quote, rendered from the results files the scripts write
// (bench/newcomer/results.json, bench/ci/results.json, bench/results.json, bench/overload/results.json), so that
// test/integration/docs.test.ts can check that each page says exactly what was measured. A new
// measurement that changes a number fails that test until the page says the new one.
import { readFileSync } from 'node:fs';
import type { CiResults } from '../../bench/ci/ci-log.ts';
import type { NewcomerResults } from '../../bench/newcomer/newcomer.ts';
import type { OverloadResults, OverloadRun } from '../../bench/overload/overload.ts';
import type { BenchResult } from '../../bench/proxy/result.ts';

const root = new URL('../../', import.meta.url);
/** A test count, with its failures when the measured run had any. */
const testCount = (t: { tests?: number | undefined; failed?: number | undefined }): string =>
  `${t.tests} tests${t.failed ? `, ${t.failed} failing` : ''}`;
const json = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, root), 'utf8')) as T;
export const newcomerResults = () => json<NewcomerResults>('bench/newcomer/results.json');
export const ciResults = () => json<CiResults>('bench/ci/results.json');
export const benchResults = () => json<BenchResult>('bench/results.json');

/** 42 s, 2 min 22 s. */
export function duration(s: number): string {
  const whole = Math.round(s);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** 20 s, 2.5 min, 12 min: to the half minute from 90 s on. */
export function about(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 30) / 2} min`;
}

export const size = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`);

/** What a build line names, as the docs say it. */
const BUILD_NAMES: Record<string, string> = { compose: 'a docker-compose venv', 'compose venv': 'a docker-compose venv' };
const builtList = (builds: Record<string, number>): string => {
  const items = Object.entries(builds).map(([name, s]) => `${BUILD_NAMES[name] ?? name} (${duration(s)})`);
  return items.length < 2 ? (items[0] ?? 'nothing') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
};

/** The README's two commands, with their times. */
export function readmeCommands(n: NewcomerResults): string {
  return [
    `npm ci && npm start   # about ${about(n.startToBanner.seconds)} on a fresh clone: install, build, start the relay on its built-in SIMULATOR`,
    `npm test              # first run about ${about(n.testFirst.seconds)} (it builds its Go programs), later runs about ${about(n.testAgain.seconds)}`,
  ].join('\n');
}

/** The README's account of the measurement behind those times, and of what `npm test` leaves behind. */
export function readmeMeasured(n: NewcomerResults): string {
  const c = n.cacheBytes;
  const built = Object.keys(n.testFirst.builds).map((name) => BUILD_NAMES[name] ?? name);
  return (
    `Measured by \`npm run bench:newcomer\` (${n.commit}, ${n.date.slice(0, 10)}, ${n.machine.cpus} cores, Node ` +
    `${n.machine.node}, a fresh clone, an empty home): the banner ${duration(n.startToBanner.seconds)} after \`npm ci\` began; ` +
    `\`npm test\` ${duration(n.testFirst.seconds)}, then ${duration(n.testAgain.seconds)} (${testCount(n.testAgain)}); ` +
    `\`npm run test:unit\` ${duration(n.testUnitWithoutGo.seconds)} (${testCount(n.testUnitWithoutGo)}), with no Go on PATH. ` +
    `The first \`npm test\` builds ${built.slice(0, -1).join(', ')} and ${built.at(-1)} into \`~/.cache/embedding-relay\` ` +
    `(${size(c.embeddingRelay)}), and Go's caches keep ${size(c.goModules)} (\`~/go/pkg/mod\`) and ${size(c.goBuild)} (\`~/.cache/go-build\`).`
  );
}

/** The suites' times table of docs/development.md, from one CI run with cached builds and the
 *  first runs that made those builds. */
export function ciTable(ci: CiResults): string {
  const rows = Object.entries(ci.warm.steps).map(([step, s]) => {
    const command = step === 'test' ? 'npm test' : `npm run ${step}`;
    const built = ci.cold.builds[step];
    const first = built ? builtList(built) : '—';
    return `| \`${command}\` | ${s.tests === undefined ? '—' : testCount(s).replace(' tests', '')} | ${duration(s.seconds)} | ${first} |`;
  });
  return ['| command | tests | with cached builds | its first run also builds |', '|---|--:|--:|---|', ...rows].join('\n');
}

const failedStep = (ci: CiResults): string => {
  const failed = Object.entries(ci.warm.steps).find(([, step]) => step.failed !== undefined);
  return failed ? `, until \`${failed[0]}\` failed (${failed[1].failed} tests)` : '';
};

/** The CI paragraph's numbers. */
export function ciSummary(ci: CiResults): string {
  const coldS = Object.values(ci.cold.builds)
    .flatMap((b) => Object.values(b))
    .reduce((a, b) => a + b, 0);
  return (
    `From a clean clone with the builds cached it took ${duration(ci.warm.totalS)}${failedStep(ci)} (\`npm run bench:ci-log\` at ${ci.warm.commit} on ` +
    `${ci.warm.date.slice(0, 10)}, ${ci.machine}; [bench/ci/results.json](../bench/ci/results.json)). On a fresh machine the first ` +
    `run also makes every build in the table: ${duration(coldS)} of building in all (measured at ${ci.cold.commits.join(', ')}).`
  );
}

/** docs/performance.md's summary table, from the last full `npm run bench` (bench/results.json). */
export function performanceTable(r: BenchResult): string {
  const typical = r.scenarios.find((s) => s.name === 'typical')!;
  const large = r.scenarios.find((s) => s.name === 'large')!;
  const names = ['nginx', 'node-floor', 'relay', 'relay-otel-off'] as const;
  const of = (s: typeof typical, name: string) => s.targets.find((t) => t.target === name)!;
  const at200 = (name: string) => of(typical, name).fixed!.find((p) => p.targetRps === 200)!;
  const direct200 = of(typical, 'direct').fixed!.find((p) => p.targetRps === 200)!;
  const ms = (v: number) => (Math.abs(v) < 10 ? v.toFixed(2) : v.toFixed(1));
  const plus = (name: string, q: 'p50' | 'p99') => `+${ms(at200(name).latencyMs[q] - direct200.latencyMs[q])}`;
  const mib = (b: number | undefined) => `${Math.round((b ?? 0) / 1048576)} MiB`;
  // The peers (Portkey, LiteLLM) cannot sustain 200 req/s: their CPU is from their own lower rate.
  const peers = ['portkey', 'litellm'].filter((n) => typical.targets.some((t) => t.target === n));
  const peerMax = (n: string) => (of(typical, n).max.rps < 1 ? 'under 1' : String(Math.round(of(typical, n).max.rps)));
  const peerCpu = (n: string) => {
    const low = of(typical, n).low;
    return low ? `${Math.round(low.proxyCpuPer1k!)} s (at ${low.targetRps} req/s)` : '—';
  };
  const row = (label: string, cell: (name: string) => string, peer: (name: string) => string) =>
    `| ${label} | ${[...names.map(cell), ...peers.map(peer)].join(' | ')} |`;
  const title = { portkey: 'Portkey gateway', litellm: 'LiteLLM' } as Record<string, string>;
  return [
    `| \`typical\` (8 × 512 tokens in, 8 × 2560 floats out) | nginx | node-floor | relay | relay, OTel off | ${peers.map((n) => title[n]).join(' | ')} |`,
    `|---|--:|--:|--:|--:|${peers.map(() => '--:|').join('')}`,
    row('max req/s (32 connections)', (n) => String(Math.round(of(typical, n).max.rps)), peerMax),
    row(
      'added latency p50 / p99 at 200 req/s',
      (n) => `${plus(n, 'p50')} / ${plus(n, 'p99')} ms`,
      () => 'cannot sustain it',
    ),
    row('CPU per 1000 requests at 200 req/s', (n) => `${at200(n).proxyCpuPer1k!.toFixed(2)} s`, peerCpu),
    row(
      'peak RSS, `large` (3.5 MB responses) at 32 connections',
      (n) => mib(of(large, n).max.proxyPeakRssBytes),
      (n) => mib(of(large, n).max.proxyPeakRssBytes),
    ),
  ].join('\n');
}

export const overloadResults = () => json<OverloadResults>('bench/overload/results.json');

/** docs/operations.md's "Overload" table: each flood, with the memory budget and without. */
export function overloadTable(o: OverloadResults): string {
  const outcome = (c: OverloadRun['large']) => {
    const failed = Object.values(c.failed).reduce((a, b) => a + b, 0);
    return [c.ok && `${c.ok} × 200`, c.shed && `${c.shed} × 503`, failed && `${failed} reset`].filter(Boolean).join(', ');
  };
  const rows = o.runs.map(
    (r) =>
      `| ${r.budget === 'default' ? 'default (a quarter of the limit)' : 'none (as before it had one)'} | ${r.batches} | ${r.killed ? '**OOM-killed**' : 'alive'} | ${r.peakMiB} MiB | ${outcome(r.large)} | ${outcome(r.small)}${r.killed ? '' : `, p99 ${Math.round(r.small.p99Ms)} ms`} |`,
  );
  return [
    `Measured by \`${o.command}\` (${o.commit}, ${o.date.slice(0, 10)}, ${o.machine.cpus} cores, Node ${o.machine.node}): the relay in a ${o.limitMiB} MiB memory cgroup, each batch ${o.batch.inputs} inputs of ${o.batch.charsPerInput / 1000} KB (${(o.batch.bytes / 1e6).toFixed(1)} MB), sent all at once, ${o.smallPerSecond} single-input queries a second beside them, an upstream answering in ${o.upstreamDelayMs} ms ([bench/overload/results.json](../bench/overload/results.json)):`,
    '',
    '| memory budget | batches at once | the relay | peak memory | batches | single-input queries |',
    '|---|--:|---|--:|---|---|',
    ...rows,
  ].join('\n');
}
