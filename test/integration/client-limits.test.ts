// Inbound limits: per-input length, header size, and slow clients (headers or body that do not
// arrive in time). Every refusal is an OpenAI-style JSON error; a slow client cannot hold a
// connection past its timeout.
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { loadConfig } from '../../src/config/load.ts';
import { relay, simulator } from '../support/harness.ts';

let sim: RunningServer;
let r: RunningRelay;
let port: number;

beforeAll(async () => {
  sim = await simulator({ dimensions: 8 });
  ({ relay: r } = await relay({
    upstreamUrl: `${sim.url}/v1`,
    maxInputChars: 100,
    maxHeaderBytes: 2048,
    clientHeadersTimeoutMs: 500,
    clientRequestTimeoutMs: 1_000,
    keepAliveTimeoutMs: 2_000,
  }));
  port = Number(new URL(r.url).port);
});
afterAll(async () => {
  await r.close(100);
  await sim.close();
});

/** Raw TCP: write `parts` with `gapMs` between them; resolve with everything the server sent and when it closed. */
function rawExchange(parts: string[], gapMs: number): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (i < parts.length && socket.writable) socket.write(parts[i++]!);
      if (i < parts.length) timer = setTimeout(next, gapMs);
    };
    socket.on('connect', next);
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - t0 });
    });
    setTimeout(() => reject(new Error(`no close after 8 s; got: ${text}`)), 8_000).unref();
  });
}

const jsonError = (raw: string) =>
  JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { code: string; type: string; message: string } };

it('an input longer than RELAY_MAX_INPUT_CHARS → 400 input_too_long with its param', async () => {
  const res = await fetch(`${r.url}/v1/embeddings`, {
    method: 'POST',
    body: JSON.stringify({ model: 'm', input: ['ok', 'x'.repeat(101)] }),
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({
    error: {
      message: "'input[1]' has 101 characters; this relay accepts at most 100 per input.",
      type: 'invalid_request_error',
      param: 'input[1]',
      code: 'input_too_long',
    },
  });
  const ok = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'm', input: 'x'.repeat(100) }) });
  expect(ok.status).toBe(200);
});

it('headers larger than RELAY_MAX_HEADER_BYTES → 431 headers_too_large, as JSON', async () => {
  const { text } = await rawExchange(
    [`POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(4096)}\r\ncontent-length: 2\r\n\r\n{}`],
    0,
  );
  expect(text).toMatch(/^HTTP\/1\.1 431 /);
  expect(jsonError(text).error).toMatchObject({ code: 'headers_too_large', type: 'invalid_request_error' });
});

it('a client trickling its headers is answered 408 request_timeout and cut at the headers timeout', async () => {
  const parts = ['POST /v1/embeddings HTTP/1.1\r\n', ...Array.from({ length: 40 }, (_, i) => `x-slow-${i}: 1\r\n`)];
  const { text, closedAfterMs } = await rawExchange(parts, 100); // would take 4 s
  expect(text).toMatch(/^HTTP\/1\.1 408 /);
  expect(jsonError(text).error).toMatchObject({ code: 'request_timeout', type: 'invalid_request_error' });
  expect(closedAfterMs).toBeLessThan(2_500);
});

it('a client trickling its body is cut at the request timeout', async () => {
  const body = JSON.stringify({ model: 'm', input: 'hello' });
  const parts = [
    `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    ...body.split(''),
  ];
  const { text, closedAfterMs } = await rawExchange(parts, 150); // would take ~4 s
  expect(text).toMatch(/^HTTP\/1\.1 408 /);
  expect(closedAfterMs).toBeLessThan(3_000);
});

it('refuses a headers timeout larger than the request timeout at start-up', () => {
  expect(() => loadConfig([], { RELAY_CLIENT_HEADERS_TIMEOUT_MS: '5000', RELAY_CLIENT_REQUEST_TIMEOUT_MS: '1000' })).toThrow(
    'RELAY_CLIENT_HEADERS_TIMEOUT_MS must not be larger than RELAY_CLIENT_REQUEST_TIMEOUT_MS (the request timeout includes the headers).',
  );
});

const POST =
  'POST /v1/embeddings HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\ncontent-length: 29\r\n\r\n{"model":"m","input":"hello"}';

it('an idle keep-alive connection outlives the headers timeout and closes after RELAY_KEEP_ALIVE_TIMEOUT_MS', async () => {
  // The second request comes 1.2 s after the first: idle longer than clientHeadersTimeoutMs (0.5 s).
  const { text, closedAfterMs } = await rawExchange([POST, POST], 1_200);
  expect(text.match(/HTTP\/1\.1 200 /g), text).toHaveLength(2);
  expect(text).toContain('\r\nKeep-Alive: timeout=2\r\n');
  // Node keeps the socket keepAliveTimeoutBuffer (1 s) past the advertised 2 s; its default would be 5 + 1 s
  // (closed at 7.2 s). The upper bound leaves 1.5 s for a loaded machine's late timers.
  expect(closedAfterMs).toBeGreaterThanOrEqual(1_200 + 2_000);
  expect(closedAfterMs).toBeLessThan(1_200 + 3_000 + 1_500);
});

it('by default an idle connection stays open longer than nginx and AWS ALB keep theirs (60 s)', () => {
  expect(loadConfig([], {}).config.keepAliveTimeoutMs).toBeGreaterThan(60_000);
});
