// SIGTERM under load (real relay process): stop accepting, let every in-flight request finish
// within the grace period (no reset), flush spans and logs, exit 0. And past the grace period,
// requests still running are cut so shutdown stays bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, startRelayProcess } from '../support/relay-process.ts';
import { startTelemetrySink, type TelemetrySink } from '../support/telemetry-sink.ts';

let sink: TelemetrySink;

beforeAll(async () => {
  sink = await startTelemetrySink();
});
afterAll(() => sink.close());

const occurrences = (haystack: Buffer, needle: string) => {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
};

const post = (url: string, model: string) =>
  fetch(`${url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: ['a', 'b'], dimensions: 16 }),
  }).then(
    async (res) => ({ status: res.status, length: ((await res.json()) as { data: unknown[] }).data.length }),
    (err: unknown) => ({ status: 0, length: 0, error: String((err as Error).cause ?? err) }),
  );

describe('SIGTERM under load', () => {
  it('finishes all 20 in-flight requests, refuses new ones, flushes their spans and logs, exits 0', async () => {
    const p = await startRelayProcess({
      RELAY_SIMULATOR_LATENCY_MS: '600',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000', // spans leave only through the shutdown flush
      RELAY_SHUTDOWN_GRACE_MS: '5000',
    });
    const inFlight = Array.from({ length: 20 }, () => post(p.url, 'm-drain'));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const exit = p.stop();
    await new Promise((r) => setTimeout(r, 100));
    const late = await post(p.url, 'm-late');
    const results = await Promise.all(inFlight);
    expect(await exit).toBe(0);
    expect(Date.now() - t0).toBeLessThan(4_000);

    expect(results).toEqual(Array.from({ length: 20 }, () => ({ status: 200, length: 2 })));
    expect(late.status).toBe(0); // connection refused: the listener closed at SIGTERM
    expect(p.out.stderr).toContain('SIGTERM received, draining in-flight requests');
    expect(jsonLines(p.out.stdout).filter((l) => l['model'] === 'm-drain' && l['http_status'] === 200)).toHaveLength(20);
    expect(occurrences(Buffer.concat(sink.exports.filter((e) => e.path === '/v1/traces').map((e) => e.body)), 'embeddings m-drain')).toBe(
      20,
    );
  }, 20_000);

  // A client keeps its connection after the response (undici for 4 s, Python pools until they are closed):
  // the drain must end with the last response, not when the client lets go (found by test:docker).
  it('a keep-alive client does not hold the exit once its response is sent', async () => {
    const p = await startRelayProcess({
      RELAY_SIMULATOR_LATENCY_MS: '1000',
      OTEL_TRACES_EXPORTER: 'none',
      RELAY_SHUTDOWN_GRACE_MS: '10000',
    });
    const { Agent, request } = await import('undici');
    const dispatcher = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    const call = async () => {
      const res = await request(`${p.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm-keepalive', input: 'a' }),
        dispatcher,
      });
      await res.body.arrayBuffer();
      return res.statusCode;
    };
    try {
      expect(await call()).toBe(200); // the pool now holds one idle connection
      const inFlight = call();
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      const exit = p.stop();
      expect(await inFlight).toBe(200);
      expect(await exit).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2_500);
    } finally {
      await dispatcher.close();
    }
  }, 20_000);

  it('past RELAY_SHUTDOWN_GRACE_MS, requests still running are cut and shutdown completes', async () => {
    const p = await startRelayProcess({
      RELAY_SIMULATOR_LATENCY_MS: '30000',
      RELAY_SHUTDOWN_GRACE_MS: '500',
      OTEL_TRACES_EXPORTER: 'none',
    });
    const stuck = post(p.url, 'm-stuck');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect(await p.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect((await stuck).status).toBe(0);
  }, 20_000);
});
