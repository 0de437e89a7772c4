// Semantic drift canary: probes build a baseline, a model swap behind the relay (the simulator
// restarted with another seed on the same port) drives the similarity below the alert's
// threshold within one probe interval, and probe traffic stays out of the user-traffic SLIs.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunningRelay } from '../../src/server/app.ts';
import { CANARY_TEXTS, cosine } from '../../src/monitors/canary.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { simulatedVector } from '../../src/simulator/simulator.ts';
import { type LogCapture, relay, scrape, SIM_DEFAULTS, simulator, spansNamed } from '../support/harness.ts';
import { find } from '../support/prometheus-text.ts';

const INTERVAL_MS = 300;
const rules = parse(readFileSync(new URL('../../prometheus/embedding-relay.rules.yml', import.meta.url), 'utf8')) as {
  groups: { rules: { alert?: string; expr: string }[] }[];
};
const driftExpr = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'EmbeddingSemanticDrift')!.expr;
const threshold = Number(/<\s*([\d.]+)\s*$/.exec(driftExpr)![1]);

let sim: RunningServer;
let port: number;
let r: RunningRelay;
let logs: LogCapture;
const baselineFile = join(mkdtempSync(join(tmpdir(), 'canary-')), 'baseline.json');

const gauge = async (name: string) => find(await scrape(), name, { gen_ai_request_model: 'm-canary' })[0]?.value;
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

beforeAll(async () => {
  sim = await simulator({ ...SIM_DEFAULTS, seed: 1, dimensions: 256 });
  port = Number(new URL(sim.url).port);
  ({ relay: r, logs } = await relay({
    upstreamUrl: `${sim.url}/v1`,
    canaryIntervalMs: INTERVAL_MS,
    canaryModel: 'm-canary',
    canaryBaselineFile: baselineFile,
  }));
});
afterAll(async () => {
  await r.close(100);
  sim.server.closeAllConnections();
  await sim.close();
});

describe('semantic drift canary', () => {
  it('the alert threshold is what the canary warns at', () => {
    expect(threshold).toBe(0.9);
  });

  it('saves a baseline on its first probe and reports similarity 1 and a positive margin', async () => {
    const similarity = await until('first probe', () => gauge('embedding_canary_similarity'), 5_000);
    expect(similarity).toBeCloseTo(1, 6);
    expect(existsSync(baselineFile)).toBe(true);
    const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as { model: string; texts: string[]; vectors: number[][] };
    expect(baseline.model).toBe('m-canary');
    expect(baseline.texts).toEqual(CANARY_TEXTS.map((t) => t.text));
    expect(baseline.vectors).toHaveLength(CANARY_TEXTS.length);
    expect(await gauge('embedding_canary_margin')).toBeGreaterThan(0.3);
    expect(logs.lines.some((l) => l['event'] === 'canary_baseline')).toBe(true);
  });

  it('is labelled as canary and stays out of the user-traffic SLIs', async () => {
    const span = spansNamed('embeddings canary')[0]!;
    expect(span.attributes).toMatchObject({
      'embedding.canary': true,
      'gen_ai.request.model': 'm-canary',
      'embedding.canary.similarity': expect.any(Number),
    });
    const m = await scrape();
    expect(find(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: 'm-canary' })).toEqual([]);
    expect(find(m, 'embedding_canary_probes_total', { gen_ai_request_model: 'm-canary', outcome: 'ok' })[0]!.value).toBeGreaterThan(0);
    expect(logs.requests()).toEqual([]); // no embedding_request lines: the canary has its own event
    expect(logs.lines.filter((l) => l['event'] === 'canary_probe').length).toBeGreaterThan(0);
  });

  it('a model swap drives the similarity below the alert threshold within one probe interval', async () => {
    sim.server.closeAllConnections();
    await sim.close();
    sim = await simulator({ ...SIM_DEFAULTS, seed: 2, dimensions: 256 }, port); // "another model", same address
    const swappedAt = Date.now();
    const similarity = await until(
      'similarity to fall',
      async () => {
        const v = await gauge('embedding_canary_similarity');
        return v !== undefined && v < threshold ? v : undefined;
      },
      5_000,
    );
    // One interval to the next probe, plus the probe itself and the scrape.
    expect(Date.now() - swappedAt).toBeLessThan(INTERVAL_MS + 1_500);
    expect(similarity).toBeLessThan(threshold);
    // The new model is sane in itself: the margin stays positive; only drift is reported.
    expect(await gauge('embedding_canary_margin')).toBeGreaterThan(0.3);
    expect(logs.lines.some((l) => l['event'] === 'canary_probe' && l['level'] === 40 && (l['similarity'] as number) < threshold)).toBe(
      true,
    );
  });

  it('cosine is what the simulator semantics promise', () => {
    const [en, para, unrelated] = ['en', 'en_paraphrase', 'unrelated'].map((id) =>
      Array.from(simulatedVector(CANARY_TEXTS.find((t) => t.id === id)!.text, 256, 1)),
    );
    expect(cosine(en!, para!)).toBeGreaterThan(cosine(en!, unrelated!) + 0.3);
  });
});
