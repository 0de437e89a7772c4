// The soak's arithmetic, apart from the run itself so tests can check it: least-squares fits,
// sawtooth floors, and the relay's memory read from its Prometheus exposition.
import { sumBy, sumValues } from '../../test/support/prometheus-text.ts';

const MiB = 1024 * 1024;

export interface Fit {
  /** Per minute (MiB/min for RSS, fds/min for fds). */
  slopePerMin: number;
  /** slope × window length. */
  growth: number;
  atWarmupEnd: number;
  atEnd: number;
  min: number;
  max: number;
}

/** Least-squares line through (x minutes, y) points. */
export function linearFit(points: [number, number][], windowMin: number): Fit {
  const n = points.length;
  if (n === 0)
    return { slopePerMin: Number.NaN, growth: Number.NaN, atWarmupEnd: Number.NaN, atEnd: Number.NaN, min: Number.NaN, max: Number.NaN };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const ys = points.map((p) => p[1]);
  return {
    slopePerMin: slope,
    growth: slope * windowMin,
    atWarmupEnd: ys[0]!,
    atEnd: ys[n - 1]!,
    min: Math.min(...ys),
    max: Math.max(...ys),
  };
}

export type MemorySample = [number, number, number, number, number, number];

/** The relay's memory as its /metrics reports it (MiB): RSS and the V8 heap summed over its spaces.
 *  Old generation = every space but new_space (where a leak's retained objects end up). */
export function memorySample(s: number, text: string): MemorySample | undefined {
  const space = 'v8js_heap_space_name';
  const rss = sumValues(sumBy(text, 'process_memory_usage_bytes'));
  const committed = sumValues(sumBy(text, 'v8js_memory_heap_space_size_bytes', space));
  const resident = sumValues(sumBy(text, 'v8js_memory_heap_space_physical_size_bytes', space));
  const usedBySpace = sumBy(text, 'v8js_memory_heap_used_bytes', space);
  const used = sumValues(usedBySpace);
  if (!(rss > 0 && committed > 0 && resident > 0 && used > 0)) return undefined;
  const m = (b: number) => Number((b / MiB).toFixed(2));
  return [s, m(rss), m(committed), m(resident), m(used), m(used - (usedBySpace['new_space'] ?? 0))];
}

/** The lowest value in each `bucketS`-second bucket, at the bucket's middle: the level a sawtooth
 *  (allocation, then GC) returns to, which is what grows when something is retained. */
export function floors(points: [number, number][], bucketS: number): [number, number][] {
  const out = new Map<number, number>();
  for (const [s, v] of points) {
    const b = Math.floor(s / bucketS);
    out.set(b, Math.min(out.get(b) ?? Infinity, v));
  }
  return [...out].sort((a, b) => a[0] - b[0]).map(([b, v]) => [(b + 0.5) * bucketS, v]);
}
