import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/listen.ts';
import { startSimulator } from '../../../src/server/simulator-server.ts';
import { simulatedTokens, simulatedVector, toBase64 } from '../../../src/simulator/simulator.ts';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));

describe('simulated vectors', () => {
  it('are deterministic, L2-normalised and seeded', () => {
    const a = simulatedVector('hello world', 2560, 1);
    expect(simulatedVector('hello world', 2560, 1)).toEqual(a);
    expect(norm(a)).toBeCloseTo(1, 5);
    expect(cosine(a, simulatedVector('hello world', 2560, 2))).toBeLessThan(0.2);
  });

  it('put similar texts closer than unrelated ones', () => {
    const a = simulatedVector('the cat sat on the mat', 1024, 1);
    const b = simulatedVector('the cat sat on a mat', 1024, 1);
    const c = simulatedVector('quarterly revenue grew by nine percent', 1024, 1);
    expect(cosine(a, b)).toBeGreaterThan(0.6);
    expect(cosine(a, c)).toBeLessThan(0.3);
  });

  it('truncates MRL-style: a prefix of the full vector, renormalised', () => {
    const full = simulatedVector('matryoshka', 2560, 3);
    const short = simulatedVector('matryoshka', 64, 3);
    expect(norm(short)).toBeCloseTo(1, 5);
    expect(cosine(short, full.slice(0, 64))).toBeCloseTo(1, 5);
  });

  it('tokenises CJK per character', () => {
    expect(simulatedTokens('你好，world!')).toEqual(['你', '好', '，', 'world', '!']);
  });
});

describe('the simulator server', () => {
  let sim: RunningServer;
  beforeAll(async () => {
    sim = await startSimulator({ model: 'sim', dimensions: 32, seed: 1, latencyMs: 0, latencyPerTokenMs: 0, failRate: 0 });
  });
  afterAll(() => sim.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sim.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers like an OpenAI-compatible server and says it is a simulator', async () => {
    const res = await post({ model: 'sim', input: ['a b', 'c'], encoding_format: 'base64' });
    expect(res.headers.get('x-embedding-simulator')).toBe('true');
    const json = (await res.json()) as { data: { embedding: string; index: number }[]; usage: { prompt_tokens: number } };
    expect(json.data.map((d) => d.index)).toEqual([0, 1]);
    expect(json.data[0]!.embedding).toBe(toBase64(simulatedVector('a b', 32, 1)));
    expect(json.usage.prompt_tokens).toBe(3);
  });

  it('rejects dimensions above its size with an OpenAI-style 400', async () => {
    const res = await post({ model: 'sim', input: 'x', dimensions: 33 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'dimensions', code: 'invalid_request' } });
  });

  it('injects faults on request', async () => {
    expect((await post({ model: 'sim', input: 'x' }, { 'x-simulator-fault': '429' })).status).toBe(429);
    const garbage = await post({ model: 'sim', input: 'x' }, { 'x-simulator-fault': 'garbage' });
    expect(garbage.status).toBe(200);
    await expect(garbage.json()).rejects.toThrow();
  });

  it('takes longer for more tokens (latency model)', async () => {
    const slow = await startSimulator({ model: 'sim', dimensions: 4, seed: 1, latencyMs: 5, latencyPerTokenMs: 0.5, failRate: 0 });
    try {
      const time = async (input: string) => {
        const t0 = performance.now();
        await (await fetch(`${slow.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'sim', input }) })).arrayBuffer();
        return performance.now() - t0;
      };
      expect(await time('one')).toBeGreaterThanOrEqual(5);
      expect(await time(Array.from({ length: 200 }, (_, i) => `w${i}`).join(' '))).toBeGreaterThanOrEqual(5 + 100);
    } finally {
      await slow.close();
    }
  });

  it('fails at the configured rate', async () => {
    const flaky = await startSimulator({
      model: 'sim',
      dimensions: 4,
      seed: 1,
      latencyMs: 0,
      latencyPerTokenMs: 0,
      failRate: 0.5,
      random: (() => {
        let i = 0;
        return () => (i++ % 2 === 0 ? 0.1 : 0.9);
      })(),
    });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await fetch(`${flaky.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'sim', input: 'x' }) })).status,
        );
      expect(statuses).toEqual([500, 200, 500, 200]);
    } finally {
      await flaky.close();
    }
  });
});
