// Property-based tests (fast-check) over what clients send and what upstreams answer: the relay
// never throws out of its handler (embedding_relay_telemetry_errors_total{stage="handler"} stays
// 0), never crashes, and answers every request: 2xx, the upstream's own status, or an
// OpenAI-style error body of its own with a stable code.
import { createServer, type ServerResponse } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { createSimulatorHandler } from '../../src/simulator/simulator.ts';
import { relay, scrape, SIM_DEFAULTS } from '../support/harness.ts';
import { total } from '../support/prometheus-text.ts';

const RELAY_CODES = new Set([
  'invalid_json',
  'invalid_request',
  'batch_too_large',
  'input_too_long',
  'body_too_large',
  'method_not_allowed',
  'not_found',
  'upstream_unreachable',
  'upstream_timeout',
  'upstream_response_error',
  'internal_error',
]);

/** What the fake upstream answers next (set by each property run). */
let answer: ((res: ServerResponse) => void) | undefined;
let upstream: RunningServer;
let r: RunningRelay;
const simulate = createSimulatorHandler({ ...SIM_DEFAULTS, dimensions: 8 });

beforeAll(async () => {
  upstream = await listen(
    createServer((req, res) => {
      if (answer === undefined) return simulate(req, res);
      req.resume();
      req.on('end', () => answer!(res));
    }),
    '127.0.0.1',
    0,
  );
  ({ relay: r } = await relay({ upstreamUrl: `${upstream.url}/v1`, providerName: 'property', maxBodyBytes: 64 * 1024, maxBatch: 16 }));
});
afterAll(async () => {
  await r.close(100);
  await upstream.close();
});

const handlerErrors = async () => total(await scrape(), 'embedding_relay_telemetry_errors_total', { embedding_telemetry_stage: 'handler' });

const expectRelayError = (status: number, text: string) => {
  let body: unknown;
  expect(() => (body = JSON.parse(text)), `status ${status} body is not JSON: ${text.slice(0, 200)}`).not.toThrow();
  const error = (body as { error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } }).error;
  expect(typeof error?.message).toBe('string');
  expect(['invalid_request_error', 'server_error']).toContain(error?.type);
  expect(RELAY_CODES.has(String(error?.code)), `code ${String(error?.code)}`).toBe(true);
};

/** Request bodies: arbitrary JSON, arbitrary text, and valid envelopes with hostile field values. */
const anyValue = fc.jsonValue({ maxDepth: 3 });
const hostileBody = fc.oneof(
  anyValue.map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .record(
      {
        model: fc.oneof(fc.string({ maxLength: 40 }), anyValue),
        input: fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(fc.string({ maxLength: 20 }), { maxLength: 20 }),
          fc.array(fc.integer(), { maxLength: 20 }),
          fc.array(fc.array(fc.integer({ min: -5, max: 200_000 }), { maxLength: 8 }), { maxLength: 4 }),
          anyValue,
        ),
        dimensions: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), anyValue),
        encoding_format: fc.oneof(fc.constantFrom('float', 'base64'), fc.string({ maxLength: 10 }), anyValue),
        user: fc.oneof(fc.string({ maxLength: 20 }), anyValue),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  // Valid requests of every shape, so the success path is exercised as much as the error paths.
  fc
    .record(
      {
        model: fc.string({ minLength: 1, maxLength: 40 }),
        input: fc.oneof(
          fc.string({ minLength: 1, maxLength: 60 }),
          fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 16 }),
          fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 20 }),
        ),
        dimensions: fc.integer({ min: 1, max: 8 }),
        encoding_format: fc.constantFrom('float', 'base64'),
        user: fc.string({ maxLength: 20 }),
      },
      { requiredKeys: ['model', 'input'] },
    )
    .map((o) => JSON.stringify(o)),
);

describe('hostile request bodies', () => {
  it('every body gets 200 or an OpenAI-style 4xx; nothing escapes the handler', async () => {
    answer = undefined;
    const before = await handlerErrors();
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(hostileBody, async (body) => {
        const res = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        if (res.status === 200) {
          valid++;
          return;
        }
        expect(res.status, text).toBeGreaterThanOrEqual(400);
        expect(res.status, text).toBeLessThan(500);
        // A 4xx from the simulator is passed through as the upstream wrote it; the relay's own have its codes.
        if (res.headers.get('x-embedding-simulator') === null) expectRelayError(res.status, text);
      }),
      { numRuns: 300 },
    );
    expect(await handlerErrors()).toBe(before);
    expect(valid).toBeGreaterThan(30); // the generator does reach the success path
    const ok = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'm', input: 'still alive' }) });
    expect(ok.status).toBe(200);
  }, 60_000);
});

/** Upstream answers: random status, random bytes, and valid embeddings JSON damaged at random. */
const validJson = (n: number) =>
  JSON.stringify({
    object: 'list',
    data: Array.from({ length: n }, (_, i) => ({ object: 'embedding', index: i, embedding: [0.6, 0.8, 0, i] })),
    model: 'm',
    usage: { prompt_tokens: 3, total_tokens: 3 },
  });
const hostileUpstream = fc.record({
  // 204, 205 and 304 carry no body by definition (HTTP), so they are left out; so is 407, which
  // the test's own client (fetch) turns into a network error by spec, whatever the relay sends.
  status: fc.oneof(
    fc.constant(200),
    fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 205 && s !== 304 && s !== 407),
  ),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
    anyValue.map((v) => Buffer.from(JSON.stringify(v))),
    fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.nat(), fc.constantFrom('', 'NaN', 'null', '"x"', ']', '}', ',', '1e999', '-Infinity'))
      .map(([n, cut, junk]) => {
        const text = validJson(n);
        const at = cut % text.length;
        return Buffer.from(text.slice(0, at) + junk + text.slice(at));
      }),
  ),
});

describe('hostile upstream answers', () => {
  it('the client gets the upstream status and bytes unchanged; nothing escapes the handler', async () => {
    const before = await handlerErrors();
    await fc.assert(
      fc.asyncProperty(hostileUpstream, async ({ status, body }) => {
        answer = (res) => res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
        const res = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'm', input: ['a', 'b'] }) });
        const got = Buffer.from(await res.arrayBuffer());
        expect(res.status).toBe(status);
        expect(got.equals(body)).toBe(true);
      }),
      { numRuns: 300 },
    );
    answer = undefined;
    expect(await handlerErrors()).toBe(before);
  }, 60_000);
});
