// The soak's leak arithmetic (bench/soak/soak-memory.ts): the memory split read from a real-format
// exposition, the floors of a GC sawtooth, and fits that tell a leak from a bounded step.
import { expect, it } from 'vitest';
import { floors, linearFit, memorySample } from '../../../bench/soak/soak-memory.ts';

const MiB = 1024 * 1024;
const exposition = (rss: number, spaces: Record<string, [size: number, physical: number, used: number]>) =>
  [
    '# TYPE process_memory_usage_bytes gauge',
    `process_memory_usage_bytes{otel_scope_name="embedding-relay"} ${rss * MiB}`,
    ...Object.entries(spaces).flatMap(([name, [size, physical, used]]) => [
      `v8js_memory_heap_space_size_bytes{otel_scope_name="x",v8js_heap_space_name="${name}"} ${size * MiB}`,
      `v8js_memory_heap_space_physical_size_bytes{otel_scope_name="x",v8js_heap_space_name="${name}"} ${physical * MiB}`,
      `v8js_memory_heap_used_bytes{otel_scope_name="x",v8js_heap_space_name="${name}"} ${used * MiB}`,
      `v8js_memory_heap_space_available_size_bytes{otel_scope_name="x",v8js_heap_space_name="${name}"} ${(size - used) * MiB}`,
    ]),
  ].join('\n');

it('reads RSS, heap committed, resident, used and old-generation used from the exposition', () => {
  const text = exposition(250, { new_space: [128, 64, 10], old_space: [30, 30, 24], code_space: [4, 4, 3] });
  expect(memorySample(90, text)).toEqual([90, 250, 162, 98, 37, 27]);
  // Without the runtime series (an older relay, or a failed instrumentation) there is no sample.
  expect(memorySample(90, 'process_memory_usage_bytes 1000\n')).toBeUndefined();
});

it('takes the floor of a sawtooth, so allocation between GCs does not look like growth', () => {
  // 15-s samples of a heap that climbs 8 MiB between GCs every 60 s, flat underneath.
  const flat = Array.from({ length: 40 }, (_, i) => [i * 15, 20 + (i % 4) * 2] as [number, number]);
  const f = floors(flat, 120);
  expect(f).toHaveLength(5);
  expect(f.every(([, v]) => v === 20)).toBe(true);
  expect(
    linearFit(
      f.map(([s, v]) => [s / 60, v]),
      10,
    ).slopePerMin,
  ).toBe(0);
  // The same sawtooth on a floor rising 2 MiB/min: the floors' slope shows it.
  const leaking = flat.map(([s, v]) => [s, v + (2 * s) / 60] as [number, number]);
  const slope = linearFit(
    floors(leaking, 120).map(([s, v]) => [s / 60, v]),
    10,
  ).slopePerMin;
  expect(slope).toBeGreaterThan(1.9);
  expect(slope).toBeLessThan(2.1);
});

it('fits a slope per minute; no points give NaN, which fails any threshold', () => {
  const r = linearFit(
    [
      [0, 100],
      [1, 101],
      [2, 102],
    ],
    2,
  );
  expect(r.slopePerMin).toBeCloseTo(1, 10);
  expect(r.growth).toBeCloseTo(2, 10);
  expect([r.atWarmupEnd, r.atEnd, r.min, r.max]).toEqual([100, 102, 100, 102]);
  const none = linearFit([], 0);
  expect(none.slopePerMin <= 1).toBe(false);
});
