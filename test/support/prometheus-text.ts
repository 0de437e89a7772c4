// Minimal parser for the Prometheus text exposition format (what the relay's /metrics serves),
// so tests can assert on metric points exactly as Prometheus would see them.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL_RE)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Samples of `name` whose labels include every pair in `match`. */
export function find(samples: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** Sum of the values of `name` over the samples matching `match` (0 when none). */
/** Every sample whose name starts with `prefix`, as sorted `name{labels} value` lines: what a
 *  before/after comparison needs to say that nothing in a family of series changed. */
export function seriesLines(samples: Sample[], prefix: string): string[] {
  return samples
    .filter((s) => s.name.startsWith(prefix))
    .map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`)
    .sort();
}

export function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return find(samples, name, match).reduce((a, s) => a + s.value, 0);
}

/** Sum of every sample of a metric in exposition text, grouped by one label's value ('' when
 *  absent, or when no label is given: then the one key '' holds the metric's total). The bench
 *  reads the relay's /metrics with it every second. */
export function sumBy(text: string, metric: string, label?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parsePrometheusText(text)) {
    if (s.name !== metric) continue;
    const key = label === undefined ? '' : (s.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** The values of a sumBy result added up. */
export const sumValues = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
