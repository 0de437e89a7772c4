// Reading a Prometheus text exposition (the relay's /metrics) in the bench: sums of a metric's
// samples, whole or per label value. (test/support/prometheus-text.ts parses samples fully for the tests.)

/** Sum of every sample of a Prometheus metric, grouped by one label's value ('' when absent, or
 *  when no label is given: then the one key '' holds the metric's total). */
export function sumBy(text: string, metric: string, label?: string): Record<string, number> {
  const out: Record<string, number> = {};
  const labelRe = label === undefined ? undefined : new RegExp(`[{,]${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))) continue;
    const key = labelRe?.exec(line)?.[1] ?? '';
    out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

export const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
