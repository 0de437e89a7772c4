// What the model server receives as `traceparent`, by tracing mode (a relay process in front of an
// upstream that records it): with tracing on, the relay's own span (same trace, new parent); with
// OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, the client's context unchanged, so the model
// server's spans join the client's trace directly.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { startRelayProcess } from '../support/relay-process.ts';

const CLIENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const seen: (string | undefined)[] = [];
let upstream: RunningServer;

beforeAll(async () => {
  upstream = await listen(
    createServer((req, res) => {
      if (req.url?.endsWith('/embeddings')) seen.push(req.headers['traceparent'] as string | undefined);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            data: [{ object: 'embedding', index: 0, embedding: [1, 0] }],
            model: 'm',
            usage: { prompt_tokens: 1, total_tokens: 1 },
          }),
        );
      });
    }),
    '127.0.0.1',
    0,
  );
});
afterAll(async () => {
  await upstream.close();
});

async function traceparentSent(env: Record<string, string>): Promise<string | undefined> {
  const p = await startRelayProcess({
    RELAY_UPSTREAM_URL: `${upstream.url}/v1`,
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    ...env,
  });
  try {
    const res = await fetch(`${p.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: CLIENT },
      body: JSON.stringify({ model: 'm', input: 'x' }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return seen.at(-1);
  } finally {
    expect(await p.stop()).toBe(0);
  }
}

describe('the trace context the model server receives', () => {
  it('tracing on: the relay’s span, in the client’s trace', async () => {
    const sent = await traceparentSent({});
    expect(sent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(sent).not.toBe(CLIENT);
  });

  it.each<Record<string, string>>([{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }])(
    'tracing off (%o): the client’s, unchanged',
    async (env) => {
      expect(await traceparentSent(env)).toBe(CLIENT);
    },
  );
});
