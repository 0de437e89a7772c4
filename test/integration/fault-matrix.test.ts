// The upstream faults not covered in relay.integration.test.ts, each with what the client sees and
// what telemetry shows: a trickled body, a body that stalls past RELAY_BODY_TIMEOUT_MS, truncated
// JSON with status 200, and a burst of 5xx.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { relay, scrape, spansNamed } from '../support/harness.ts';
import { total } from '../support/prometheus-text.ts';

type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;
let behave: Behaviour;
let upstream: RunningServer;
let r: RunningRelay;

const BODY = JSON.stringify({
  object: 'list',
  data: [0, 1].map((i) => ({ object: 'embedding', index: i, embedding: [0.6, 0.8, 0, 0] })),
  model: 'm',
  usage: { prompt_tokens: 2, total_tokens: 2 },
});

beforeAll(async () => {
  upstream = await listen(
    createServer((req, res) => req.resume().on('end', () => behave(req, res))),
    '127.0.0.1',
    0,
  );
  ({ relay: r } = await relay({ upstreamUrl: `${upstream.url}/v1`, providerName: 'faults', bodyTimeoutMs: 400 }));
});
afterAll(async () => {
  await r.close(100);
  await upstream.close();
});

/** Status and body, or status 0 when the connection broke (before or during the body). */
const call = async (model: string) => {
  try {
    const res = await fetch(`${r.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: ['a', 'b'] }),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: String((err as Error).cause ?? err) };
  }
};
const onlySpan = (name: string) => {
  const s = spansNamed(name);
  expect(s).toHaveLength(1);
  return s[0]!;
};

it('a trickled body (20 pieces, 50 ms apart) is relayed whole and inspected', async () => {
  behave = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const step = Math.ceil(BODY.length / 20);
    let at = 0;
    const timer = setInterval(() => {
      res.write(BODY.slice(at, at + step));
      at += step;
      if (at >= BODY.length) {
        clearInterval(timer);
        res.end();
      }
    }, 50);
  };
  const got = await call('m-trickle');
  expect(got).toEqual({ status: 200, text: BODY });
  expect(onlySpan('embeddings m-trickle').attributes).toMatchObject({
    'gen_ai.embeddings.dimension.count': 4,
    'gen_ai.usage.input_tokens': 2,
  });
});

it('a body that stalls longer than RELAY_BODY_TIMEOUT_MS is cut and recorded as upstream_timeout', async () => {
  behave = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.write(BODY.slice(0, 20)); // then nothing
  };
  const got = await call('m-stall');
  expect(got).toEqual({ status: 0, text: 'SocketError: other side closed' }); // a cut, never a clean-looking answer
  // The client sees the cut first; the relay records the request right after.
  for (let i = 0; i < 50 && spansNamed('embeddings m-stall').length === 0; i++) await new Promise((res) => setTimeout(res, 20));
  const span = onlySpan('embeddings m-stall');
  expect(span.attributes['error.type']).toBe('upstream_timeout');
  expect(span.status.code).toBe(2); // ERROR
  expect(
    total(await scrape(), 'gen_ai_client_operation_duration_seconds_count', {
      gen_ai_request_model: 'm-stall',
      error_type: 'upstream_timeout',
    }),
  ).toBe(1);
});

it('truncated JSON with status 200 reaches the client unchanged; the failed inspection is counted, not fatal', async () => {
  const truncated = BODY.slice(0, BODY.length - 30);
  behave = (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': truncated.length }).end(truncated);
  const before = total(await scrape(), 'embedding_relay_telemetry_errors_total', { embedding_telemetry_stage: 'inspect' });
  expect(await call('m-truncated')).toEqual({ status: 200, text: truncated });
  expect(total(await scrape(), 'embedding_relay_telemetry_errors_total', { embedding_telemetry_stage: 'inspect' })).toBe(before + 1);
  expect(onlySpan('embeddings m-truncated').attributes).not.toHaveProperty('gen_ai.embeddings.dimension.count');
});

it('a burst of 5xx passes through one for one, each counted under its status', async () => {
  let n = 0;
  behave = (_req, res) => {
    const status = n++ % 2 === 0 ? 503 : 500;
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: null, param: null } }));
  };
  const results = await Promise.all(Array.from({ length: 20 }, () => call('m-burst')));
  expect(results.map((x) => x.status).sort()).toEqual([...Array(10).fill(500), ...Array(10).fill(503)]);
  const m = await scrape();
  expect(total(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: 'm-burst', error_type: '503' })).toBe(10);
  expect(total(m, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: 'm-burst', error_type: '500' })).toBe(10);
  expect(spansNamed('embeddings m-burst').every((s) => s.status.code === 2)).toBe(true);
});
