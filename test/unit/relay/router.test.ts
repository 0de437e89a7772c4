// The route table (relay/router.ts) on a loopback server, with a fake upstream and no OpenTelemetry
// SDK: which path reaches which handler, what is recorded (a log line) and what is not.
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admission } from '../../../src/relay/admission.ts';
import { createRelayHandler } from '../../../src/relay/router.ts';
import { listen, type RunningServer } from '../../../src/server/listen.ts';
import { RelayMetrics } from '../../../src/telemetry/metrics.ts';
import { fakeUpstream } from '../../support/fake-upstream.ts';

const lines: Record<string, unknown>[] = [];
const logger = pino(
  { base: undefined },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
);
const fake = fakeUpstream((_method, path) =>
  path === '/models'
    ? { status: 200, body: '{"object":"list","data":[{"id":"m"}]}' }
    : { status: 200, body: '{"object":"list","model":"m","data":[{"index":0,"embedding":[0.6,0.8]}],"usage":{"prompt_tokens":2}}' },
);
let server: RunningServer;

beforeAll(async () => {
  const handler = createRelayHandler({
    upstream: fake.upstream,
    logger,
    metrics: new RelayMetrics(),
    profile: { providerName: 'test', usage: 'tokens' },
    maxBodyBytes: 1024,
    admission: new Admission({ budgetBytes: 1 << 30, queueMax: 0, queueTimeoutMs: 0, retryAfterS: 1 }),
    maxBatch: 8,
    maxModelLabels: 4,
    inspectMaxBytes: 1 << 20,
    estimateTokens: false,
    logInputs: false,
    expectedDimensions: new Map(),
    vectorCheckRate: 1,
    normBand: { check: true, min: 0.98, max: 1.02 },
  });
  server = await listen(createServer(handler), '127.0.0.1', 0);
});
afterAll(() => server.close());

const call = async (method: string, path: string, body?: unknown) => {
  const before = lines.length;
  const res = await fetch(`${server.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  await new Promise((r) => setTimeout(r, 20)); // the log line is written after the response
  return { status: res.status, allow: res.headers.get('allow'), text, logged: lines.slice(before) };
};

describe('relay/router.ts', () => {
  it.each(['/v1/embeddings', '/embeddings'])('POST %s runs the embeddings flow and is recorded', async (path) => {
    const calls = fake.calls.length;
    const r = await call('POST', path, { model: 'm', input: 'hi' });
    expect(r.status).toBe(200);
    expect(fake.calls.slice(calls)).toEqual([{ method: 'POST', path: '/embeddings' }]);
    expect(r.logged).toMatchObject([{ event: 'embedding_request', model: 'm', http_status: 200, output_dim: 2, input_tokens: 2 }]);
  });

  it('GET on the embeddings route is refused inside the flow (405, recorded)', async () => {
    const r = await call('GET', '/v1/embeddings');
    expect(r.status).toBe(405);
    expect(r.allow).toBe('POST');
    expect(r.logged).toMatchObject([{ event: 'embedding_request', http_status: 405, error_type: 'method_not_allowed' }]);
  });

  it.each(['/v1/models', '/models'])('GET %s is passed through, not recorded', async (path) => {
    const r = await call('GET', path);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ object: 'list', data: [{ id: 'm' }] });
    expect(r.logged).toEqual([]);
  });

  it('/healthz answers without the upstream; /readyz asks it', async () => {
    const calls = fake.calls.length;
    expect((await call('GET', '/healthz')).text).toBe('{"status":"ok"}');
    expect(fake.calls.length).toBe(calls);
    expect(JSON.parse((await call('GET', '/readyz')).text)).toEqual({ status: 'ready', upstream: { reachable: true, status: 200 } });
  });

  it('a non-GET on a read route is 405 with Allow: GET, HEAD, not recorded', async () => {
    const r = await call('POST', '/healthz');
    expect(r.status).toBe(405);
    expect(r.allow).toBe('GET, HEAD');
    expect(r.logged).toEqual([]);
  });

  it.each(['/nope', '/constructor', '/__proto__', '/v1/embeddings/extra'])(
    'unknown path %s is 404 not_found and recorded',
    async (path) => {
      const r = await call('GET', path);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'not_found' } });
      expect(r.logged).toMatchObject([{ event: 'http_request', method: 'GET', http_status: 404, error_type: 'not_found' }]);
    },
  );
});
