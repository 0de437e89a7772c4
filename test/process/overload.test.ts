// The memory budget at its bound, from outside a relay process: a request that does not fit gets a
// 503 `overloaded` with Retry-After in the OpenAI-style error body (no reset, even mid-upload; the
// connection stays for the next request), its log line names the model and the reason, /metrics
// counts it by reason (every reason at 0 from the start) and shows the budget and what is held;
// openai-node, with its retry settings as shipped, retries the 503 on its own and ends with the
// vectors. The budget is small here (4 MiB,
// no queue: test/support/busy-relay.ts) and one slow batch holds all the room large requests may use.
import { Agent, request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/fake-loki.ts';
import { type BusyRelay, startBusyRelay } from '../support/busy-relay.ts';
import { jsonLines, type RelayProcess } from '../support/relay-process.ts';

const MODEL = 'overload-model';
let busy: BusyRelay;
let r: RelayProcess;
const logs = () => jsonLines(r.out.stdout).filter((l) => l['event'] === 'embedding_request');
const metricsText = () => busy.metricsText();
const batch = (mib: number, tag: string) => busy.batch(mib, tag);
const heldNow = () => busy.heldNow();
const hold = () => busy.hold();

beforeAll(async () => {
  busy = await startBusyRelay(MODEL);
  r = busy.relay;
});

afterAll(async () => {
  expect(await busy?.stop()).toBe(0);
});

describe('at the memory budget', () => {
  it('answers 503 overloaded with Retry-After and the error body, logs it with the model, and counts it by reason', async () => {
    const before = await metricsText();
    for (const reason of ['queue_full', 'queue_timeout', 'body_over_budget'])
      expect(before).toMatch(new RegExp(`^embedding_relay_shed_total\\{embedding_relay_shed_reason="${reason}"[^}]*\\} 0$`, 'm'));
    expect(before).toMatch(/^embedding_relay_memory_budget_bytes(\{[^}]*\})? 4194304$/m);

    const held = hold();
    await heldNow();
    const res = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify(batch(1, 'refused')) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: 'overloaded', type: 'server_error' });
    expect(body.error.message).toContain('Retry-After');
    // The small request beside it is served: the reserve is for it.
    const small = await fetch(`${r.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: MODEL, input: 'one query' }) });
    expect(small.status).toBe(200);
    expect((await held).status).toBe(200);

    await until(() => logs().some((l) => l['http_status'] === 503), 3_000, 'the 503 logged');
    expect(logs().find((l) => l['http_status'] === 503)).toMatchObject({
      model: MODEL,
      status: 'error',
      error_type: 'overloaded',
      shed_reason: 'queue_full',
    });
    expect(await metricsText()).toMatch(/^embedding_relay_shed_total\{embedding_relay_shed_reason="queue_full"[^}]*\} 1$/m);
  });

  it('keeps the connection: once the refused upload has been read, the next request goes on the same socket', async () => {
    const held = hold();
    await heldNow();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string) =>
      new Promise<{ status: number; socketPort: number | undefined }>((resolve, reject) => {
        const req = request(
          `${r.url}/v1/embeddings`,
          { method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socketPort: req.socket?.localPort }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const refused = await send(JSON.stringify(batch(1, 'keep-alive')));
    const next = await send(JSON.stringify({ model: MODEL, input: 'after the 503' }));
    agent.destroy();
    expect(refused.status).toBe(503);
    expect(next.status).toBe(200);
    expect(next.socketPort).toBe(refused.socketPort);
    expect((await held).status).toBe(200);
  });

  it('a body sent without Content-Length is refused once it outgrows the room left, without a reset', async () => {
    const held = hold();
    await heldNow();
    const text = JSON.stringify(batch(2, 'chunked'));
    const answer = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const req = request(`${r.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
      });
      req.on('error', reject);
      // Chunked: no Content-Length, so the relay charges the body as it arrives.
      for (let i = 0; i < text.length; i += 64 * 1024) req.write(text.slice(i, i + 64 * 1024));
      req.end();
    });
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('1');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'overloaded' } });
    expect((await held).status).toBe(200);
    await until(() => logs().some((l) => l['shed_reason'] === 'body_over_budget'), 3_000, 'the refusal logged');
    expect(logs().find((l) => l['shed_reason'] === 'body_over_budget')).toMatchObject({ model: MODEL, http_status: 503 });
  });

  it('openai-node, as shipped (2 retries, Retry-After honoured), retries the 503 and ends with the vectors', async () => {
    const held = hold();
    await heldNow();
    const shedBefore = logs().filter((l) => l['http_status'] === 503).length;
    const client = new OpenAI({ baseURL: `${r.url}/v1`, apiKey: 'unused' });
    const input = batch(1, 'node-sdk').input;
    const out = await client.embeddings.create({ model: MODEL, input, dimensions: 8 });
    expect(out.data).toHaveLength(input.length);
    expect((await held).status).toBe(200);
    // It was refused first, then retried on its own.
    expect(logs().filter((l) => l['http_status'] === 503).length).toBeGreaterThan(shedBefore);
  });
});
