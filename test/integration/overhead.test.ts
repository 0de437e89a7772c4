// embedding.relay.overhead is what the relay added to a request (core/record.ts, overheadS): arrival →
// last byte written, less the wait for the upstream's answer. Not the upstream's time to answer,
// and not too little: streaming and inspecting a large body is the relay's work and must show.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ResponseScanner } from '../../src/inspect/scanner.ts';
import type { RunningRelay } from '../../src/server/app.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { relay, simulator, spansNamed } from '../support/harness.ts';

let sim: RunningServer;
let r: RunningRelay;

beforeAll(async () => {
  // 100 ms before each answer: the upstream's time, which the overhead must leave out.
  sim = await simulator({ dimensions: 2560, latencyMs: 100 });
  ({ relay: r } = await relay({ upstreamUrl: `${sim.url}/v1`, vectorCheckRate: 1 }));
});
afterAll(async () => {
  await r.close(100);
  await sim.close();
});

const input = Array.from({ length: 64 }, (_, i) => `overhead input ${i}`);

async function embed(model: string): Promise<Buffer> {
  const res = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model, input }) });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

it('counts the inspection of a large body (64 × 2560 floats, full check) and leaves out the upstream wait', async () => {
  const body = await embed('m-overhead-warm');
  // What inspecting this body costs here, in this process: the relay's part is at least that.
  const scanMs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    const scanner = new ResponseScanner({ health: true });
    for (let i = 0; i < body.length; i += 65536) scanner.push(body.subarray(i, i + 65536));
    scanner.finish();
    scanMs.push(performance.now() - t0);
  }
  const scan = scanMs.sort((a, b) => a - b)[2]!;
  await embed('m-overhead');
  const [span] = spansNamed('embeddings m-overhead');
  const overheadMs = (span!.attributes['embedding.relay.overhead'] as number) * 1000;
  const upstreamMs = (span!.attributes['embedding.upstream.duration'] as number) * 1000;
  expect(upstreamMs).toBeGreaterThanOrEqual(100);
  expect(overheadMs, `overhead ${overheadMs} ms, scan ${scan} ms`).toBeGreaterThanOrEqual(0.5 * scan);
  // The upstream waited 100 ms before answering: an overhead that contained that wait would be at least 100 ms.
  // (Not a tighter bound: streaming and inspecting 3.5 MB takes 20–60 ms here, depending on the machine's load.)
  expect(overheadMs, `overhead ${overheadMs} ms of upstream ${upstreamMs} ms`).toBeLessThan(100);
});
