// Cardinality: 10,000 requests with random model names and random `user` values must leave the
// Prometheus series count bounded. The bound (README, "Metrics"): a metric has at most
// RELAY_MAX_MODEL_LABELS + 1 model label values (the first N names, then _OTHER); `user` and other
// request fields never become labels.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { relay, scrape, simulator } from '../support/harness.ts';
import { find } from '../support/prometheus-text.ts';

const REQUESTS = 10_000;
const CONCURRENCY = 32;
const MAX_MODEL_LABELS = 20;

let sim: RunningServer;
let r: RunningRelay;

beforeAll(async () => {
  sim = await simulator({ dimensions: 8 });
  ({ relay: r } = await relay({ upstreamUrl: `${sim.url}/v1`, providerName: 'cardinality', maxModelLabels: MAX_MODEL_LABELS }));
});
afterAll(async () => {
  await r.close(100);
  await sim.close();
});

const rand = () => Math.random().toString(36).slice(2, 10);

it(`${REQUESTS} requests with random model names and users keep every metric to ${MAX_MODEL_LABELS} + 1 model values`, async () => {
  const before = (await scrape()).length;
  let next = 0;
  let ok = 0;
  const models = new Set<string>();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const model = `model-${rand()}`;
        models.add(model);
        const res = await fetch(`${r.url}/v1/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, input: 'x', user: `user-${rand()}` }),
        });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
      }
    }),
  );
  expect(ok).toBe(REQUESTS);
  expect(models.size).toBeGreaterThan(9_900);
  const samples = await scrape();
  const ours = samples.filter((s) => s.labels['gen_ai_provider_name'] === 'cardinality');
  const modelValues = new Set(ours.map((s) => s.labels['gen_ai_request_model']));
  expect(modelValues.size).toBe(MAX_MODEL_LABELS + 1);
  expect(modelValues).toContain('_OTHER');
  // Per metric family: one series per model value (single status, no errors): ≤ 21.
  const counts = find(ours, 'gen_ai_client_operation_duration_seconds_count');
  expect(counts).toHaveLength(MAX_MODEL_LABELS + 1);
  expect(counts.reduce((sum, s) => sum + s.value, 0)).toBe(REQUESTS);
  // The whole exposition grew by a bounded amount (histogram buckets included), not by 10,000s.
  expect(samples.length - before).toBeLessThan(2_000);
  for (const s of samples) for (const v of Object.values(s.labels)) expect(v.startsWith('user-')).toBe(false);
}, 120_000);
