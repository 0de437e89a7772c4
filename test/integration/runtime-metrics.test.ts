// Runtime metrics: instrumentation-runtime-node's V8 heap, GC and event loop series and the relay's
// process.memory.usage reach /metrics under the Prometheus names in semconv.ts, both ways: every
// spec is exposed, and every exposed v8js_/nodejs_ family has a spec (a renamed or new metric in a
// package upgrade fails here instead of appearing without its unit suffix). Values are checked
// against what the process itself reports.
import { getHeapStatistics } from 'node:v8';
import { expect, it } from 'vitest';
import { RUNTIME_METRIC_SPECS, METRIC_PROCESS_MEMORY_USAGE } from '../../src/telemetry/semconv.ts';
import { makeGarbage, scrape, scrapeText } from '../support/harness.ts';
import { find, total } from '../support/prometheus-text.ts';

const promName = (otelName: string) => RUNTIME_METRIC_SPECS.find((s) => s.name === otelName)!.prometheusName!;

it('exposes every runtime metric under its suffixed name, and nothing runtime without a spec', async () => {
  await scrapeText(); // starts telemetry; the first collection only sets the event loop baseline
  await makeGarbage();
  const samples = await scrape();
  const names = new Set(samples.map((s) => s.name));
  const expected = RUNTIME_METRIC_SPECS.map((s) =>
    s.name === 'nodejs.eventloop.time'
      ? `${s.prometheusName}_total`
      : s.name === 'v8js.gc.duration'
        ? `${s.prometheusName}_count`
        : s.prometheusName!,
  ).map((n) => n.replaceAll('.', '_'));
  for (const name of [...expected, METRIC_PROCESS_MEMORY_USAGE.prometheusName!.replaceAll('.', '_')]) expect(names, name).toContain(name);

  const families = new Set(RUNTIME_METRIC_SPECS.map((s) => s.prometheusName!.replaceAll('.', '_')));
  families.add('v8js_resource_active'); // unit {resource}: no suffix to add, so no spec
  const family = (n: string) => n.replace(/_(total|bucket|count|sum)$/, '');
  for (const name of names)
    if (/^(v8js|nodejs)_/.test(name))
      expect(families, `${name} is exposed but has no spec in RUNTIME_METRIC_SPECS`).toContain(family(name));
});

it('reports the heap and RSS the process itself sees', async () => {
  const samples = await scrape();
  const heap = getHeapStatistics();
  const spaceSize = total(samples, promName('v8js.memory.heap.space.size').replaceAll('.', '_'));
  const physical = total(samples, promName('v8js.memory.heap.space.physical_size').replaceAll('.', '_'));
  // One space per V8 heap space (new_space, old_space, code_space, large_object_space, ...).
  expect(find(samples, 'v8js_memory_heap_space_size_bytes', { v8js_heap_space_name: 'old_space' })).toHaveLength(1);
  // Same quantities, read a moment apart: within 25 %.
  expect(spaceSize / heap.total_heap_size).toBeGreaterThan(0.75);
  expect(spaceSize / heap.total_heap_size).toBeLessThan(1.25);
  expect(physical).toBeGreaterThan(0);
  expect(physical).toBeLessThanOrEqual(spaceSize * 1.25);
  const rss = total(samples, 'process_memory_usage_bytes');
  expect(rss / process.memoryUsage.rss()).toBeGreaterThan(0.75);
  expect(rss / process.memoryUsage.rss()).toBeLessThan(1.25);
  expect(rss).toBeGreaterThan(physical);
  expect(total(samples, 'v8js_gc_duration_seconds_count')).toBeGreaterThan(0);
});
