// server/banner.ts: the start-up lines an operator reads, from the facts of one start.
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/config/load.ts';
import { banner, exampleModel, upstreamWarning } from '../../../src/server/banner.ts';

const relay = (simulator: boolean) => ({
  url: 'http://127.0.0.1:8080',
  upstreamUrl: 'http://127.0.0.1:8000/v1',
  bound: { host: '0.0.0.0', port: 8080 },
  simulator: simulator ? ({} as never) : undefined,
  gpu: undefined,
  memory: {
    limitBytes: 512 * 2 ** 20,
    limitSource: 'cgroup' as const,
    budgetBytes: 128 * 2 ** 20,
    budgetSource: 'a quarter of the limit' as const,
  },
});

describe('server/banner.ts', () => {
  it('says where it listens, that anyone may call it, what it relays to, and a call that works', () => {
    const text = banner({
      config: { ...DEFAULTS },
      relay: relay(false),
      metrics: { url: 'http://127.0.0.1:9464/metrics', host: '0.0.0.0', port: 9464 },
      upstream: { reachable: true, status: 200, models: ['chat-model', 'Qwen/Qwen3-Embedding-4B'], ownedBy: [] },
    });
    expect(text).toContain('listening on 0.0.0.0:8080 (all interfaces; from this machine: http://127.0.0.1:8080)');
    expect(text).toContain('Inbound auth: none.');
    expect(text).toContain('Upstream: http://127.0.0.1:8000/v1 (GET /models answered 200, serving chat-model, Qwen/Qwen3-Embedding-4B).');
    expect(text).toContain('Prometheus metrics: http://127.0.0.1:9464/metrics (listening on 0.0.0.0:9464)');
    expect(text).toContain('"model":"Qwen/Qwen3-Embedding-4B"');
    expect(text).toContain(
      'Memory budget: requests in flight hold at most 128 MiB (a quarter of the cgroup limit, 512 MiB); past it up to 128 wait 10 s, the rest get 503 overloaded.',
    );
  });

  it('labels the simulator as a simulator, and says when telemetry is off', () => {
    const text = banner({ config: { ...DEFAULTS }, relay: relay(true), metrics: undefined, upstream: { reachable: false, reason: 'x' } });
    expect(text).toContain('the built-in SIMULATOR (deterministic fake vectors, not a model)');
    expect(text).toContain('Telemetry disabled');
  });

  it('picks an embedding model for the example call, and warns once about an upstream that does not answer', () => {
    expect(exampleModel(['gpt-4o', 'text-embedding-3-small'])).toBe('text-embedding-3-small');
    expect(exampleModel(['only-one'])).toBe('only-one');
    expect(upstreamWarning('http://u/v1', { reachable: true, status: 200, models: [], ownedBy: [] })).toBeUndefined();
    expect(upstreamWarning('http://u/v1', { reachable: false, reason: 'connect ECONNREFUSED' })).toContain(
      'the upstream http://u/v1 does not answer (connect ECONNREFUSED)',
    );
  });
});
