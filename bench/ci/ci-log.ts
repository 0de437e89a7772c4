// Reads what `.ci/run` printed into bench/ci/results.json, the numbers docs/development.md and the
// README quote for CI and the suites (test/integration/docs.test.ts checks that they do):
//   - `warm`: one run with the builds cached (the last log given): each step's seconds and its
//     vitest count ("ci: step NAME took Ns", "vitest: N passed"), set-up and total;
//   - `cold`: how long each cached build took when it was built ("X built in Ns", "X: venv built in
//     Ns"), from every log given (the first runs on a fresh machine).
//   node bench/ci/ci-log.ts [--out FILE] [--cold-commit SHA --cold-date YYYY-MM-DD] [--keep-cold FILE] COLD_LOG... WARM_LOG
// (--cold-*: what a cold log without .ci/run's commit line was run at; --keep-cold: start from the cold
// builds of an earlier results file, so a log that builds only what changed replaces just those)
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface CiStep {
  seconds: number;
  /** Tests run in the step's vitest run (passed and failed); undefined for a step without one. */
  tests: number | undefined;
  /** Present when the step failed: how many of its tests did. */
  failed?: number;
}

export interface CiResults {
  command: string;
  machine: string;
  warm: { commit: string; date: string; setupS: number; totalS: number; steps: Record<string, CiStep> };
  /** By the npm script that built them (the step), then by what was built. */
  cold: { commits: string[]; dates: string[]; builds: Record<string, Record<string, number>> };
}

const HEADER = /^ci: commit (\S+), (\S+), (\d+) cores$/m;

/** One log's steps, in order; a vitest summary belongs to the step whose line follows it. */
export function stepsOf(log: string): Record<string, CiStep> {
  const steps: Record<string, CiStep> = {};
  let summary: RegExpExecArray | null = null;
  for (const line of log.split('\n')) {
    summary = /^vitest: (\d+) passed, (\d+) failed/.exec(line) ?? summary;
    const step = /^ci: step (\S+) (took|failed after) (\d+)s$/.exec(line);
    if (!step) continue;
    const tests = summary ? Number(summary[1]) + Number(summary[2]) : undefined;
    steps[step[1]!] = { seconds: Number(step[3]), tests, ...(step[2] === 'took' ? {} : { failed: Number(summary?.[2] ?? 0) }) };
    summary = null;
  }
  return steps;
}

/** The cached builds a log shows being made, in seconds, by the npm script whose run made them
 *  (npm's "> embedding-relay@VERSION SCRIPT" line before them): { licences: { promtool: 207, … }, … }. */
export function buildsOf(log: string): Record<string, Record<string, number>> {
  const builds: Record<string, Record<string, number>> = {};
  let script = 'set-up';
  for (const line of log.split('\n')) {
    const npm = /^> embedding-relay@\S+ (\S+)$/.exec(line);
    if (npm) script = npm[1]!;
    const m = /^(?:build-go-module: |build-otelcol: )?(\S+?):? (venv |model )?built in (\d+)s$/.exec(line);
    if (!m) continue;
    const name = line.startsWith('build-otelcol') ? 'otelcol' : `${m[1]}${m[2] ? ` ${m[2].trim()}` : ''}`;
    builds[script] = { ...builds[script], [name]: Number(m[3]) };
  }
  return builds;
}

function mergeBuilds(all: Record<string, Record<string, number>>[]): Record<string, Record<string, number>> {
  const merged: Record<string, Record<string, number>> = {};
  for (const builds of all) for (const [script, made] of Object.entries(builds)) merged[script] = { ...merged[script], ...made };
  return merged;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'cold-commit': { type: 'string' },
      'cold-date': { type: 'string' },
      'keep-cold': { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new Error('usage: node bench/ci/ci-log.ts [--out FILE] COLD_LOG... WARM_LOG');
  const logs = positionals.map((f) => readFileSync(f, 'utf8'));
  const warmLog = logs.at(-1)!;
  const header = HEADER.exec(warmLog);
  const setup = /^ci: set-up took (\d+)s$/m.exec(warmLog);
  if (!header || !setup) throw new Error(`${positionals.at(-1)}: not a .ci/run log (no commit line or set-up time)`);
  const steps = stepsOf(warmLog);
  // A log without the total (a run that stopped at a failed step) adds up its set-up and steps.
  const total = /^ci: took (\d+)s$/m.exec(warmLog);
  const totalS = total ? Number(total[1]) : Number(setup[1]) + Object.values(steps).reduce((a, s) => a + s.seconds, 0);
  const built = logs.map(buildsOf);
  // The cold side names the runs that built something.
  const headers = logs.filter((_, i) => Object.keys(built[i]!).length > 0).map((l) => HEADER.exec(l));
  const kept: CiResults['cold'] = values['keep-cold']
    ? (JSON.parse(readFileSync(values['keep-cold'], 'utf8')) as CiResults).cold
    : { commits: [], dates: [], builds: {} };
  const results: CiResults = {
    command: `node bench/ci/ci-log.ts ${process.argv.slice(2).join(' ')}`,
    machine: `${header[3]} cores`,
    warm: { commit: header[1]!, date: header[2]!, setupS: Number(setup[1]), totalS, steps },
    cold: {
      commits: [...new Set([...kept.commits, ...headers.map((h) => h?.[1] ?? values['cold-commit'] ?? 'unknown')])],
      dates: [...new Set([...kept.dates, ...headers.map((h) => h?.[2]?.slice(0, 10) ?? values['cold-date'] ?? 'unknown')])],
      builds: mergeBuilds([kept.builds, ...built]),
    },
  };
  const out = values.out ?? new URL('./results.json', import.meta.url).pathname;
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`ci-log: ${Object.keys(results.warm.steps).length} steps, ${Object.keys(results.cold.builds).length} builds → ${out}`);
}

if (import.meta.main) main();
