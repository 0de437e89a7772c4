// The relay's own failures, as the official openai npm client raises them: each is the typed error the
// SDK raises for OpenAI's own, with the relay's stable `code`, `param` and message (test:clients shows
// the same for the Python SDKs). An error body in another shape would reach callers as a bare APIError.
// Every answer, an error or not, carries the relay's trace id as `x-request-id`, which the SDK exposes
// as `request_id`: the caller's way to the request's log line and trace.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { createSimulatorHandler } from '../../src/simulator/simulator.ts';
import { freePort } from '../support/port.ts';
import { type LogCapture, relay, SIM_DEFAULTS } from '../support/harness.ts';

const KEY = 'sk-relay-key';
let sim: RunningServer;
let guarded: RunningRelay;
let guardedLogs: LogCapture;
let deadEnd: RunningRelay;
let deadEndLogs: LogCapture;

beforeAll(async () => {
  sim = await listen(createServer(createSimulatorHandler(SIM_DEFAULTS)), '127.0.0.1', 0);
  ({ relay: guarded, logs: guardedLogs } = await relay({
    upstreamUrl: `${sim.url}/v1`,
    apiKeys: [{ caller: undefined, key: KEY }],
    maxInputChars: 100,
    maxBodyBytes: 64 * 1024,
  }));
  ({ relay: deadEnd, logs: deadEndLogs } = await relay({ upstreamUrl: `http://127.0.0.1:${await freePort()}/v1` }));
});

afterAll(async () => {
  await guarded?.close(100);
  await deadEnd?.close(100);
  sim.server.closeAllConnections();
  await sim?.close();
});

const client = (r: RunningRelay, apiKey = KEY) => new OpenAI({ baseURL: `${r.url}/v1`, apiKey, maxRetries: 0 });
const caught = async (call: Promise<unknown>): Promise<unknown> => {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded');
};

/** The trace id of the last log line, which is the request's (each test makes one request). */
const lastTraceId = (logs: LogCapture) => logs.requests().at(-1)?.['trace_id'];
const TRACE_ID = /^[0-9a-f]{32}$/;

describe('the relay’s errors, as openai-node raises them', () => {
  it('the right key works (the SDK sends it as Authorization: Bearer); request_id is the log line’s trace_id', async () => {
    const { data, request_id } = await client(guarded)
      .embeddings.create({ model: 'm-sdk', input: ['hello'], dimensions: 8 })
      .withResponse();
    expect(data.data[0]!.embedding).toHaveLength(8);
    expect(request_id).toMatch(TRACE_ID);
    expect(lastTraceId(guardedLogs)).toBe(request_id);
  });

  it('a wrong key: AuthenticationError, 401, code invalid_api_key', async () => {
    const err = await caught(client(guarded, 'sk-wrong').embeddings.create({ model: 'm-sdk', input: 'hello' }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    expect((err as Error).message).toBe('401 Incorrect API key provided.');
    expect((err as InstanceType<typeof OpenAI.APIError>).requestID).toMatch(TRACE_ID);
    expect(lastTraceId(guardedLogs)).toBe((err as InstanceType<typeof OpenAI.APIError>).requestID);
  });

  it('an input over the limit: BadRequestError, 400, code input_too_long, param naming the input', async () => {
    const err = await caught(client(guarded).embeddings.create({ model: 'm-sdk', input: ['ok', 'x'.repeat(101)] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'input_too_long', param: 'input[1]' });
  });

  it('a body over RELAY_MAX_BODY_BYTES: APIError, 413, code body_too_large', async () => {
    const err = await caught(client(guarded).embeddings.create({ model: 'm-sdk', input: 'x'.repeat(80 * 1024) }));
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' });
    expect((err as InstanceType<typeof OpenAI.APIError>).requestID).toMatch(TRACE_ID);
  });

  it('an upstream that is not there: InternalServerError, 502, code upstream_unreachable, type server_error', async () => {
    const err = await caught(client(deadEnd).embeddings.create({ model: 'm-sdk', input: 'hello' }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable', type: 'server_error' });
    expect(lastTraceId(deadEndLogs)).toBe((err as InstanceType<typeof OpenAI.APIError>).requestID);
  });

  it('an upstream’s own x-request-id (OpenAI sends one) is what the caller gets', async () => {
    const own = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const body = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }], model: 'm-own' });
          res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_upstream_1' }).end(body);
        });
      }),
      '127.0.0.1',
      0,
    );
    const { relay: r } = await relay({ upstreamUrl: `${own.url}/v1` });
    try {
      const { request_id } = await client(r).embeddings.create({ model: 'm-own', input: 'hello', encoding_format: 'float' }).withResponse();
      expect(request_id).toBe('req_upstream_1');
    } finally {
      await r.close(100);
      own.server.closeAllConnections();
      await own.close();
    }
  });
});
